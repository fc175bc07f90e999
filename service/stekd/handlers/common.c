#include "stek/hutil.h"
#include "stek/strbuf.h"
#include "stek/domain.h"
#include "stek/log.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

void
reply_db_error(struct request *r)
{
    if (r->db == NULL || db_conn_lost(r->db))
        reply_problem(r, ERR_DB_UNAVAILABLE, NULL, "the database cannot be reached; retry later");
    else
        reply_problem(r, ERR_INTERNAL, NULL, "the request could not be completed (request %s)",
                      r->request_id);
}

const char *
req_id(struct request *r, const char *what)
{
    if (r->nparams > 0 && is_uuid(r->params[0]))
        return r->params[0];
    reply_problem(r, ERR_NOT_FOUND, NULL, "no %s with this id", what);
    return NULL;
}

void
reply_bad_param(struct request *r, const char *name, const char *message)
{
    json_t *errs = json_pack("[{s:s, s:s}]", "field", name, "message", message);
    reply_problem(r, ERR_BAD_QUERY, errs, "%s %s", name, message);
}

void
reply_page(struct request *r, struct db_page *page)
{
    json_t *body = json_object();

    json_object_set_new(body, "items", page->items);
    page->items = NULL;
    if (page->more) {
        char cursor[CURSOR_MAX];
        cursor_encode(cursor, page->last_a, page->last_b);
        json_object_set_new(body, "next_cursor", json_string(cursor));
    } else {
        json_object_set_new(body, "next_cursor", json_null());
    }
    reply_json_steal(r, 200, body);
}

bool
req_cursor(struct request *r, const char *cursor, char a[32], char b[48])
{
    a[0] = b[0] = '\0';
    if (cursor == NULL)
        return true;
    if (!cursor_decode(cursor, a, b)) {
        reply_bad_param(r, "cursor", "is not a cursor returned by this list");
        return false;
    }
    return true;
}

bool
run_tx(struct request *r, tx_fn fn, void *cls)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        enum tx_result res;

        if (db_begin(r->db) != DB_NO_ROWS) {
            reply_db_error(r);
            return false;
        }
        res = fn(r, cls);
        if (res == TX_COMMIT) {
            if (db_commit(r->db) == DB_NO_ROWS)
                return true;
            if (!db_retryable(r->db)) {
                reply_db_error(r);
                return false;
            }
            continue;
        }
        db_rollback(r->db);
        if (res == TX_REPLIED)
            return false;
        if (!db_retryable(r->db)) {
            reply_db_error(r);
            return false;
        }
        reply_clear(&r->reply);
    }
    log_event("warn", "transaction gave up after retries", "request_id", r->request_id, NULL);
    reply_problem(r, ERR_DB_UNAVAILABLE, NULL, "the database is busy; retry later");
    return false;
}

enum db_qs
audit(struct request *r, const char *action, const char *entity, const char *id)
{
    return db_insert_audit(r->db, r->who.authenticated ? r->who.key_id : NULL, action, entity, id);
}

void
reply_doc(struct request *r, unsigned status, struct db_doc *d, const char *location_base)
{
    char etag[64];

    make_etag(etag, sizeof(etag), d->id, d->version);
    reply_json_steal(r, status, d->doc);
    d->doc = NULL;
    reply_header(r, "ETag", etag);
    if (location_base != NULL) {
        char loc[128];
        snprintf(loc, sizeof(loc), "%s/%s", location_base, d->id);
        reply_header(r, "Location", loc);
    }
}

static bool
parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    if (*s == '\0' || strlen(s) > 24)
        return false;
    *out = strtod(s, &end);
    return *end == '\0' && *out >= lo && *out <= hi && *out == *out;
}

bool
req_near(struct request *r, char lat[32], char lon[32], char radius[32])
{
    const char *near = req_query(r, "near"), *rad = req_query(r, "radius_km");
    double la, lo, km = 10;
    char buf[64];
    char *comma;

    lat[0] = lon[0] = radius[0] = '\0';
    if (near == NULL) {
        if (rad != NULL) {
            reply_bad_param(r, "radius_km", "needs near=lat,lon");
            return false;
        }
        return true;
    }
    snprintf(buf, sizeof(buf), "%s", near);
    comma = strchr(buf, ',');
    if (strlen(near) >= sizeof(buf) || comma == NULL) {
        reply_bad_param(r, "near", "must be lat,lon such as 51.3731,4.4625");
        return false;
    }
    *comma = '\0';
    if (!parse_double(buf, -90, 90, &la) || !parse_double(comma + 1, -180, 180, &lo)) {
        reply_bad_param(r, "near", "must be lat,lon with lat -90..90 and lon -180..180");
        return false;
    }
    if (rad != NULL && !parse_double(rad, 0.1, 500, &km)) {
        reply_bad_param(r, "radius_km", "must be a number from 0.1 to 500");
        return false;
    }
    snprintf(lat, 32, "%.7f", la);
    snprintf(lon, 32, "%.7f", lo);
    snprintf(radius, 32, "%.3f", km);
    return true;
}

bool
req_bool(struct request *r, const char *name, const char **out)
{
    const char *v = req_query(r, name);

    *out = NULL;
    if (v == NULL)
        return true;
    if (strcmp(v, "true") == 0)
        *out = "t";
    else if (strcmp(v, "false") == 0)
        *out = "f";
    else {
        reply_bad_param(r, name, "must be true or false");
        return false;
    }
    return true;
}

void
reply_entity(struct request *r, const char *what, db_get_fn get)
{
    const char *id = req_id(r, what);
    struct db_doc d;
    enum db_qs qs;
    char etag[64];

    if (id == NULL)
        return;
    if ((qs = get(r->db, id, false, &d)) < 0) {
        reply_db_error(r);
        return;
    }
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no %s with this id", what);
        return;
    }
    make_etag(etag, sizeof(etag), d.id, d.version);
    if (req_if_none_match(r, etag)) {
        db_doc_clear(&d);
        reply_empty(r, 304);
        reply_header(r, "ETag", etag);
        return;
    }
    reply_doc(r, 200, &d, NULL);
    reply_header(r, "Cache-Control", "no-cache");
}

enum tx_result
lock_entity(struct request *r, const char *what, db_get_fn get, visible_fn visible, const char *id,
            bool check_etag, struct db_doc *cur)
{
    char etag[64];
    enum db_qs qs = get(r->db, id, true, cur);

    if (qs < 0)
        return TX_DB_ERROR;
    /* Visibility first: a key must not learn from a 412 that someone else's entity exists. */
    if (qs == DB_NO_ROWS || (visible != NULL && !visible(r, cur->doc))) {
        db_doc_clear(cur);
        reply_problem(r, ERR_NOT_FOUND, NULL, "no %s with this id", what);
        return TX_REPLIED;
    }
    make_etag(etag, sizeof(etag), cur->id, cur->version);
    if (check_etag && !req_if_match(r, etag)) {
        db_doc_clear(cur);
        return TX_REPLIED;
    }
    return TX_COMMIT;
}

json_t *
merge_writable_steal(struct db_doc *cur, const json_t *patch)
{
    json_t *doc = cur->doc;

    cur->doc = NULL;
    json_object_del(doc, "id");
    json_object_del(doc, "created_at");
    json_object_del(doc, "updated_at");
    return merge_patch_steal(doc, patch);
}

static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[72];
    struct tz *tz;
} zones[64];
static int nzones;

const struct tz *
tz_cached(const char *name)
{
    const struct tz *found = NULL;

    pthread_mutex_lock(&tz_mu);
    for (int i = 0; i < nzones && found == NULL; i++)
        if (strcmp(zones[i].name, name) == 0)
            found = zones[i].tz;
    if (found == NULL && nzones < (int)(sizeof(zones) / sizeof(zones[0])) &&
        strlen(name) < sizeof(zones[0].name)) {
        struct tz *z = tz_load(name);
        if (z != NULL) {
            snprintf(zones[nzones].name, sizeof(zones[0].name), "%s", name);
            zones[nzones++].tz = z;
            found = z;
        }
    }
    pthread_mutex_unlock(&tz_mu);
    return found;
}

void
tz_cache_free(void)
{
    pthread_mutex_lock(&tz_mu);
    for (int i = 0; i < nzones; i++)
        tz_free(zones[i].tz);
    nzones = 0;
    pthread_mutex_unlock(&tz_mu);
}

int32_t
service_today(void)
{
    const struct tz *z = tz_cached("Europe/Brussels");
    int64_t now = (int64_t)time(NULL);
    return (int32_t)((now + (z ? tz_offset_at(z, now) : 0)) / 86400);
}

const char *const stek_functions[] = {"meeting", "learning", "referral", "advocacy", NULL};

bool
req_choice(struct request *r, const char *name, const char *const *choices, const char **out)
{
    char msg[160];
    size_t used = 0;

    *out = req_query(r, name);
    if (*out == NULL)
        return true;
    for (const char *const *c = choices; *c != NULL; c++)
        if (strcmp(*c, *out) == 0)
            return true;
    msg[0] = '\0';
    for (const char *const *c = choices; *c != NULL; c++)
        used += (size_t)snprintf(msg + used, used < sizeof(msg) ? sizeof(msg) - used : 0, "%s%s",
                                 c == choices ? "must be one of: " : ", ", *c);
    reply_bad_param(r, name, msg);
    return false;
}

struct entity_ctx {
    const struct entity_ops *ops;
    const char *id;
    const json_t *patch;
    json_t *merged; /* owned: the document after the patch; the update borrows from it */
    struct db_doc out;
};

static enum tx_result
patch_tx(struct request *r, void *cls)
{
    struct entity_ctx *c = cls;
    struct db_doc cur;
    enum tx_result res;

    db_doc_clear(&c->out);
    json_decref(c->merged);
    c->merged = NULL;
    res = lock_entity(r, c->ops->what, c->ops->get, c->ops->visible, c->id, true, &cur);
    if (res != TX_COMMIT)
        return res;
    c->merged = merge_writable_steal(&cur, c->patch);
    if ((res = c->ops->update(r, c->id, c->merged, c->patch, &c->out)) != TX_COMMIT)
        return res;
    return audit(r, "update", c->ops->what, c->id) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

void
patch_entity(struct request *r, const struct entity_ops *ops)
{
    struct entity_ctx c = {.ops = ops, .id = req_id(r, ops->what)};

    if (c.id == NULL || !req_json_body(r, true))
        return;
    c.patch = r->json;
    if (run_tx(r, patch_tx, &c))
        reply_doc(r, 200, &c.out, NULL);
    db_doc_clear(&c.out);
    json_decref(c.merged);
}

static enum tx_result
delete_tx(struct request *r, void *cls)
{
    struct entity_ctx *c = cls;
    struct db_doc cur;
    enum tx_result res =
        lock_entity(r, c->ops->what, c->ops->get, c->ops->visible, c->id, true, &cur);

    if (res != TX_COMMIT)
        return res;
    db_doc_clear(&cur);
    if ((res = c->ops->remove(r, c->id)) != TX_COMMIT)
        return res;
    return audit(r, "delete", c->ops->what, c->id) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

void
delete_entity(struct request *r, const struct entity_ops *ops)
{
    struct entity_ctx c = {.ops = ops, .id = req_id(r, ops->what)};

    if (c.id != NULL && run_tx(r, delete_tx, &c))
        reply_empty(r, 204);
}

bool
reply_constraint(struct request *r, const struct constraint_reply *table, const char *prefix)
{
    const char *state = db_sqlstate(r->db), *name = db_constraint(r->db);
    char field[96];

    for (const struct constraint_reply *c = table; c->constraint != NULL; c++) {
        if (strcmp(c->constraint, name) != 0)
            continue;
        snprintf(field, sizeof(field), "%s%s", prefix, c->field);
        reply_problem(r, c->err, json_pack("[{s:s, s:s}]", "field", field, "message", c->message),
                      "%s %s", field, c->message);
        return true;
    }
    if (strcmp(state, "23514") == 0 || strcmp(state, "23503") == 0 ||
        strncmp(state, "22", 2) == 0) {
        reply_problem(r, ERR_VALIDATION, NULL, "a value is outside what the database accepts");
        return true;
    }
    return false;
}

bool
req_text(struct request *r, const char *name, size_t max, const char **out)
{
    char msg[64];

    *out = req_query(r, name);
    if (*out == NULL)
        return true;
    /* Characters, not bytes: a value is UTF-8 (checked when the query was read). */
    size_t chars = utf8_chars(*out);
    if (chars >= 1 && chars <= max)
        return true;
    snprintf(msg, sizeof(msg), "must be 1 to %zu characters", max);
    reply_bad_param(r, name, msg);
    return false;
}
