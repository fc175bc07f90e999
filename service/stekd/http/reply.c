#include "stek/http.h"
#include "stek/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    unsigned status;
    const char *slug;
    const char *title;
} errors[ERR_COUNT] = {
#define X(name, status, slug, title) [ERR_##name] = {status, slug, title},
#include "stek/errors.def"
#undef X
};

unsigned
stek_err_status(enum stek_err err)
{
    return errors[err].status;
}

/* Drops what the current body holds, before it is replaced or the reply is cleared. */
static void
drop_body(struct reply *rep)
{
    if (!rep->body_static)
        free(rep->body);
    if (rep->release != NULL)
        rep->release(rep->release_cls);
    rep->body = NULL;
    rep->release = NULL;
    rep->release_cls = NULL;
}

void
reply_clear(struct reply *rep)
{
    drop_body(rep);
    for (int i = 0; i < rep->nheaders; i++)
        free(rep->headers[i].value);
    memset(rep, 0, sizeof(*rep));
}

void
reply_raw_steal(struct request *r, unsigned status, char *body, size_t len, const char *ctype)
{
    drop_body(&r->reply);
    r->reply.status = status;
    r->reply.body = body;
    r->reply.len = len;
    r->reply.body_static = false;
    r->reply.ctype = ctype;
}

void
reply_static(struct request *r, unsigned status, const char *body, size_t len, const char *ctype)
{
    drop_body(&r->reply);
    r->reply.status = status;
    /* body_static marks it as not ours; the cast only satisfies the field type. */
    r->reply.body = (char *)(uintptr_t)body;
    r->reply.len = len;
    r->reply.body_static = true;
    r->reply.ctype = ctype;
}

void
reply_shared(struct request *r, unsigned status, const char *body, size_t len, const char *ctype,
             void (*release)(void *cls), void *cls)
{
    reply_static(r, status, body, len, ctype);
    r->reply.release = release;
    r->reply.release_cls = cls;
}

void
reply_empty(struct request *r, unsigned status)
{
    reply_static(r, status, "", 0, NULL);
}

void
reply_json_plain_steal(struct request *r, unsigned status, json_t *body)
{
    /* 15 significant digits: coordinates read back as 51.3869, not 51.386899999999997. */
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));

    json_decref(body);
    if (text == NULL)
        abort(); /* only on allocation failure; request sizes are bounded */
    reply_raw_steal(r, status, text, strlen(text), "application/json");
}

void
reply_header(struct request *r, const char *name, const char *value)
{
    char *copy;

    for (int i = 0; i < r->reply.nheaders; i++) {
        if (strcmp(r->reply.headers[i].name, name) == 0) {
            copy = strdup(value);
            if (copy == NULL)
                abort();
            free(r->reply.headers[i].value);
            r->reply.headers[i].value = copy;
            return;
        }
    }
    if (r->reply.nheaders == REPLY_MAX_HEADERS)
        abort(); /* a programming error: the table is sized for our handlers */
    copy = strdup(value);
    if (copy == NULL)
        abort();
    r->reply.headers[r->reply.nheaders].name = name;
    r->reply.headers[r->reply.nheaders].value = copy;
    r->reply.nheaders++;
}

void
reply_problem(struct request *r, enum stek_err err, json_t *errs, const char *fmt, ...)
{
    char type[96];
    json_t *body;

    snprintf(type, sizeof(type), "urn:stek:problem:%s", errors[err].slug);
    body = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", errors[err].title, "status",
                     (int)errors[err].status, "request_id", r->request_id);
    if (body == NULL)
        abort();
    if (fmt != NULL) {
        char detail[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        json_object_set_new(body, "detail", json_string(detail));
    } else {
        json_object_set_new(body, "detail", json_string(errors[err].title));
    }
    if (errs != NULL)
        json_object_set_new(body, "errors", errs);
    /* Drop headers a handler may have prepared for a success reply (ETag, Location). */
    for (int i = 0; i < r->reply.nheaders; i++)
        free(r->reply.headers[i].value);
    r->reply.nheaders = 0;
    reply_json_plain_steal(r, errors[err].status, body);
    r->reply.ctype = "application/problem+json";
    if (err == ERR_DB_UNAVAILABLE || err == ERR_OVERLOADED)
        reply_header(r, "Retry-After", "5");
    if (err == ERR_UNAUTHORIZED)
        reply_header(r, "WWW-Authenticate", "Bearer realm=\"stek\"");
}

bool
reply_found(struct request *r, enum db_qs qs, const char *what)
{
    if (qs > 0)
        return true;
    if (qs < 0)
        reply_db_error(r);
    else
        reply_problem(r, ERR_NOT_FOUND, NULL, "no %s with this id", what);
    return false;
}

void
reply_db_error(struct request *r)
{
    if (r->db != NULL && db_out_of_room(r->db))
        reply_problem(r, ERR_DB_UNAVAILABLE, NULL,
                      "the database is out of room (its disk full or its connections all taken); "
                      "nothing was written; retry later");
    else if (r->db == NULL || db_conn_lost(r->db))
        reply_problem(r, ERR_DB_UNAVAILABLE, NULL, "the database cannot be reached; retry later");
    else
        reply_problem(r, ERR_INTERNAL, NULL, "the request could not be completed (request %s)",
                      r->request_id);
}

bool
reply_constraint(struct request *r, const struct constraint_reply *table, const char *prefix)
{
    enum db_qs failure = db_last_failure(r->db);
    const char *name = db_constraint(r->db);
    char field[96];

    for (const struct constraint_reply *c = table; c->constraint != NULL; c++) {
        if (strcmp(c->constraint, name) != 0)
            continue;
        snprintf(field, sizeof(field), "%s%s", prefix, c->field);
        reply_problem(r, c->err, json_pack("[{s:s, s:s}]", "field", field, "message", c->message),
                      "%s %s", field, c->message);
        return true;
    }
    if (failure == DB_CHECK || failure == DB_FOREIGN_KEY) {
        reply_problem(r, ERR_VALIDATION, NULL, "a value is outside what the database accepts");
        return true;
    }
    return false;
}

void
http_date(int64_t t, char out[40])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}
