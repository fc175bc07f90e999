/*
 * /v1/signals, /v1/signals/batch, /v1/themes: referral and structural signals.
 * Posted by partner keys, anonymous by construction: no field for a visitor
 * exists, and notes are scanned for personal data before they are stored.
 * A 2xx is sent only after the commit; Idempotency-Key replays the first answer.
 */
#include "stek/config.h"
#include "stek/crypto.h"
#include "stek/domain.h"
#include "stek/handlers.h"
#include "stek/hutil.h"
#include "stek/jspec.h"
#include "stek/metrics.h"
#include "stek/rrule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 500
#define HANDOFF_DAYS 90

static const char *const kinds[] = {"referral", "barrier", NULL};
static const char *const statuses[] = {"new", "in_review", "raised", "answered", "closed", NULL};
static const char *const list_params[] = {"limit", "cursor", "kind",   "theme", "site",
                                          "from",  "to",     "status", NULL};

static const struct constraint_reply constraints[] = {
    {"signals_theme_fkey", ERR_VALIDATION, "theme", "is not a known theme (see /v1/themes)"},
    {"signals_site_id_fkey", ERR_VALIDATION, "site_id", "does not name an existing site"},
    {"signals_referred_to_partner_id_fkey", ERR_VALIDATION, "referred_to_partner_id",
     "does not name an existing partner"},
    {"themes_pkey", ERR_CONFLICT, "code", "exists already"},
    {NULL, ERR_VALIDATION, NULL, NULL},
};

/* A signal as a request describes it; strings borrow from the request's JSON. */
struct signal_in {
    struct signal_fields f;
    const char *idempotency_key; /* batch items carry their own */
    char hash[STEK_SHA256_HEX_LEN + 1];
    char code[9];
    char expires[11];
};

/* Handoff codes: 8 characters without 0/O, 1/I/L, so that a card is read right (~40 bits). */
static bool
new_handoff_code(char out[9])
{
    static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    unsigned char b[8];

    if (!stek_random_bytes(b, sizeof(b)))
        return false;
    for (int i = 0; i < 8; i++)
        out[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
    out[8] = '\0';
    return true;
}

/* 1-255 printable ASCII characters. */
static bool
valid_idempotency_key(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    if (n < 1 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
            return false;
    return true;
}

/*
 * Checks one signal object (prefix "" or "signals[3].") and fills in. Every
 * problem goes to errs. The hash covers the body as sent, without its key.
 */
static void
check_signal(const json_t *obj, const char *prefix, bool batch, struct signal_in *in, json_t *errs)
{
    struct signal_fields *f = &in->f;
    struct jspec spec[] = {
        JS_ENUMF("kind", &f->kind, JF_REQUIRED, kinds),
        JS_STR("theme", &f->theme, JF_REQUIRED, 1, 40),
        JS_UUIDF("site_id", &f->site_id, JF_REQUIRED),
        JS_DATEF("occurred_on", &f->occurred_on, JF_REQUIRED),
        JS_UUIDF("referred_to_partner_id", &f->referred_to_partner_id, JF_NULLABLE),
        JS_TXT("note", &f->note, JF_NULLABLE, 500),
        batch ? (struct jspec)JS_STR("idempotency_key", &in->idempotency_key, JF_REQUIRED, 1, 255)
              : (struct jspec)JS_RO("idempotency_key"),
        JS_RO("id"),
        JS_RO("partner_id"),
        JS_RO("handoff_code"),
        JS_RO("handoff_expires_on"),
        JS_RO("arrived_at"),
        JS_RO("status"),
        JS_RO("raised_with"),
        JS_RO("answer"),
        JS_RO("created_at"),
        JS_RO("updated_at"),
        JS_SPEC_END,
    };
    char field[64];
    size_t before = json_array_size(errs);
    int32_t day, today = service_today();

    memset(in, 0, sizeof(*in));
    if (!jspec_check(obj, spec, prefix, errs)) {
        /* The note's personal data was refused by the guard in jspec; counted here too. */
        for (size_t i = before; i < json_array_size(errs); i++)
            if (json_object_get(json_array_get(errs, i), "personal_data") != NULL)
                metric_inc(M_SIGNALS_REFUSED_PRIVACY);
        goto hash;
    }
    if (batch && !valid_idempotency_key(in->idempotency_key)) {
        snprintf(field, sizeof(field), "%sidempotency_key", prefix);
        jspec_error(errs, field, "must be 1 to 255 printable characters without spaces");
    }
    /* A date, not a time: less identifying. Not in the future, at most a year back. */
    date_parse(f->occurred_on, &day);
    snprintf(field, sizeof(field), "%soccurred_on", prefix);
    if (day > today)
        jspec_error(errs, field, "must not be in the future");
    else if (day < today - 366)
        jspec_error(errs, field, "must be within the last year");
    if (strcmp(f->kind, "barrier") == 0 && f->referred_to_partner_id != NULL) {
        snprintf(field, sizeof(field), "%sreferred_to_partner_id", prefix);
        jspec_error(errs, field, "only a referral is referred to a partner");
    }
hash:
    if (json_array_size(errs) == before) {
        json_t *copy = json_deep_copy(obj);
        json_object_del(copy, "idempotency_key");
        char *canon = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(copy);
        if (canon == NULL)
            abort();
        stek_sha256_hex(canon, strlen(canon), in->hash);
        free(canon);
    }
}

/* A random version 4 UUID: the new signal's id, chosen before the statement that stores it. */
static bool
new_uuid(char out[37])
{
    unsigned char b[16];
    if (!stek_random_bytes(b, sizeof(b)))
        return false;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return true;
}

/*
 * Creates one signal under its idempotency key in one statement, or finds the
 * first answer to that key. *doc receives the signal document (owned by the
 * caller). Outside a transaction the statement is its own transaction: the 2xx
 * follows its commit.
 */
static enum tx_result
create_one(struct request *r, struct signal_in *in, const char *key, const char *key_field,
           const char *prefix, json_t **doc)
{
    struct db_doc out;
    char id[37], hash[65];
    enum db_qs qs;

    *doc = NULL;
    in->f.partner_id = r->who.partner_id;
    if (!new_uuid(id))
        return TX_DB_ERROR;
    if (strcmp(in->f.kind, "referral") == 0) {
        if (!new_handoff_code(in->code))
            return TX_DB_ERROR;
        date_format(service_today() + HANDOFF_DAYS, in->expires);
        in->f.handoff_code = in->code;
        in->f.handoff_expires_on = in->expires;
    }
    qs = db_create_signal(r->db, key, in->hash, id, r->who.key_id, &in->f, &out);
    if (qs < 0)
        return reply_constraint(r, constraints, prefix) ? TX_REPLIED : TX_DB_ERROR;
    if (qs > 0) {
        *doc = out.doc;
        metric_inc(M_SIGNALS_ACCEPTED);
        return TX_COMMIT;
    }
    if ((qs = db_replay_signal(r->db, r->who.partner_id, key, hash, doc)) <= 0)
        return TX_DB_ERROR;
    if (strcmp(hash, in->hash) != 0) {
        json_decref(*doc);
        *doc = NULL;
        reply_problem(r, ERR_VALIDATION,
                      json_pack("[{s:s, s:s}]", "field", key_field, "message",
                                "was used before with a different body"),
                      "this Idempotency-Key was used before with a different body");
        return TX_REPLIED;
    }
    metric_inc(M_SIGNALS_REPLAYED);
    return TX_COMMIT;
}

static bool
partner_key_only(struct request *r)
{
    if (r->who.role == ROLE_PARTNER)
        return true;
    reply_problem(r, ERR_FORBIDDEN, NULL,
                  "signals are posted with the key of the partner that saw them");
    return false;
}

void
h_signals_create(struct request *r)
{
    struct signal_in in;
    json_t *errs, *doc = NULL;

    if (!partner_key_only(r))
        return;
    if (!valid_idempotency_key(r->h_idempotency_key)) {
        reply_problem(r, ERR_BAD_REQUEST,
                      json_pack("[{s:s, s:s}]", "field", "Idempotency-Key", "message",
                                "is required: 1 to 255 printable characters"),
                      "send an Idempotency-Key header, so that a retry never posts twice");
        return;
    }
    if (!req_json_body(r, false))
        return;
    errs = json_array();
    check_signal(r->json, "", false, &in, errs);
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the signal is not valid; see errors");
        return;
    }
    json_decref(errs);
    switch (create_one(r, &in, r->h_idempotency_key, "Idempotency-Key", "", &doc)) {
    case TX_COMMIT: {
        char loc[80];
        snprintf(loc, sizeof(loc), "/v1/signals/%s", json_string_value(json_object_get(doc, "id")));
        /* A replay answers as the first time did: 201 with the same signal. */
        reply_json_steal(r, 201, doc);
        reply_header(r, "Location", loc);
        break;
    }
    case TX_DB_ERROR:
        reply_db_error(r);
        break;
    case TX_REPLIED:
        break;
    }
}

struct batch_ctx {
    struct signal_in *items;
    size_t n;
    json_t *docs;
};

static enum tx_result
batch_tx(struct request *r, void *cls)
{
    struct batch_ctx *c = cls;

    json_decref(c->docs);
    c->docs = json_array();
    for (size_t i = 0; i < c->n; i++) {
        char prefix[32], key_field[48];
        json_t *doc;
        snprintf(prefix, sizeof(prefix), "signals[%zu].", i);
        snprintf(key_field, sizeof(key_field), "signals[%zu].idempotency_key", i);
        enum tx_result res =
            create_one(r, &c->items[i], c->items[i].idempotency_key, key_field, prefix, &doc);
        if (res != TX_COMMIT)
            return res;
        json_array_append_new(c->docs, doc);
    }
    return TX_COMMIT;
}

void
h_signals_batch(struct request *r)
{
    const json_t *list = NULL;
    struct jspec spec[] = {JS_ARR("signals", &list, JF_REQUIRED, BATCH_MAX), JS_SPEC_END};
    struct batch_ctx c = {0};
    json_t *errs, *item;
    size_t i;

    if (!partner_key_only(r) || !req_json_body(r, false))
        return;
    errs = json_array();
    if (jspec_check(r->json, spec, "", errs)) {
        c.n = json_array_size(list);
        c.items = calloc(c.n + 1, sizeof(*c.items));
        if (c.items == NULL)
            abort();
        json_array_foreach(list, i, item)
        {
            char prefix[32];
            snprintf(prefix, sizeof(prefix), "signals[%zu].", i);
            check_signal(item, prefix, true, &c.items[i], errs);
            for (size_t j = 0; j < i && c.items[i].idempotency_key; j++) {
                if (c.items[j].idempotency_key &&
                    strcmp(c.items[j].idempotency_key, c.items[i].idempotency_key) == 0) {
                    char field[48];
                    snprintf(field, sizeof(field), "signals[%zu].idempotency_key", i);
                    jspec_error(errs, field, "is used twice in this batch");
                    break;
                }
            }
        }
        if (c.n == 0)
            jspec_error(errs, "signals", "must hold at least one signal");
    }
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the batch is not valid; nothing was stored");
        free(c.items);
        return;
    }
    json_decref(errs);
    if (run_tx(r, batch_tx, &c)) {
        reply_json_steal(r, 201, json_pack("{s:O}", "items", c.docs));
    }
    json_decref(c.docs);
    free(c.items);
}

static const char *
visible_to(const struct request *r)
{
    return r->who.role == ROLE_ADMIN ? NULL : r->who.partner_id;
}

void
h_signals_list(struct request *r)
{
    int limit;
    const char *cursor;
    char a[32], b[48];
    struct signal_filter f = {.partner = visible_to(r)};
    struct db_page page;
    int32_t day;

    if (!req_query_allow(r, list_params) || !req_page(r, &limit, &cursor) ||
        !req_cursor(r, cursor, a, b) || !req_choice(r, "kind", kinds, &f.kind) ||
        !req_choice(r, "status", statuses, &f.status))
        return;
    if (!req_text(r, "theme", 40, &f.theme))
        return;
    f.site = req_query(r, "site");
    f.from = req_query(r, "from");
    f.to = req_query(r, "to");
    if (f.site && !is_uuid(f.site)) {
        reply_bad_param(r, "site", "must be a site id (UUID)");
        return;
    }
    if ((f.from && !date_parse(f.from, &day)) || (f.to && !date_parse(f.to, &day))) {
        reply_bad_param(r, f.from && !date_parse(f.from, &day) ? "from" : "to",
                        "must be a date YYYY-MM-DD");
        return;
    }
    if (db_list_signals(r->db, cursor ? a : NULL, &f, limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}

void
h_signals_get(struct request *r)
{
    const char *id = req_id(r, "signal");
    struct db_doc d;
    enum db_qs qs;

    if (id == NULL)
        return;
    if ((qs = db_get_signal(r->db, id, visible_to(r), false, &d)) < 0) {
        reply_db_error(r);
        return;
    }
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no signal with this id");
        return;
    }
    reply_json_steal(r, 200, d.doc);
}

static int
status_rank(const char *s)
{
    for (int i = 0; statuses[i] != NULL; i++)
        if (s != NULL && strcmp(statuses[i], s) == 0)
            return i;
    return -1;
}

struct patch_ctx {
    const char *id, *status, *raised_with, *answer;
    bool answer_public, has_public;
    struct db_doc out;
};

static enum tx_result
patch_tx(struct request *r, void *cls)
{
    struct patch_ctx *c = cls;
    struct db_doc cur;
    enum db_qs qs;
    const char *from;
    const char *problem = NULL;

    db_doc_clear(&c->out);
    if ((qs = db_get_signal(r->db, c->id, NULL, true, &cur)) < 0)
        return TX_DB_ERROR;
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no signal with this id");
        return TX_REPLIED;
    }
    from = json_string_value(json_object_get(cur.doc, "status"));
    if (from == NULL)
        problem = "only barrier signals move along the advocacy work";
    else if (c->status == NULL)
        problem = NULL; /* only answer_public changes */
    else if (status_rank(c->status) <= status_rank(from))
        problem = "must move forward: new, in_review, raised, answered, closed";
    else if (strcmp(c->status, "raised") == 0 && c->raised_with == NULL &&
             json_is_null(json_object_get(cur.doc, "raised_with")))
        problem = "raised needs raised_with: with whom it was raised";
    else if (strcmp(c->status, "answered") == 0 && c->answer == NULL &&
             json_is_null(json_object_get(cur.doc, "answer")))
        problem = "answered needs the answer";
    if (problem != NULL) {
        db_doc_clear(&cur);
        reply_problem(r, ERR_VALIDATION,
                      json_pack("[{s:s, s:s}]", "field", "status", "message", problem), "%s",
                      problem);
        return TX_REPLIED;
    }
    char from_copy[16];
    snprintf(from_copy, sizeof(from_copy), "%s", from);
    bool answered = !json_is_null(json_object_get(cur.doc, "answer")) || c->answer != NULL;
    db_doc_clear(&cur);
    if (c->has_public && c->answer_public && !answered) {
        reply_problem(r, ERR_VALIDATION,
                      json_pack("[{s:s, s:s}]", "field", "answer_public", "message",
                                "only an answer can be made public; give the answer first"),
                      "only an answer can be made public");
        return TX_REPLIED;
    }
    if (c->status != NULL && (db_update_signal_status(r->db, c->id, c->status, c->raised_with,
                                                      c->answer, &c->out) <= 0 ||
                              db_insert_signal_history(r->db, c->id, r->who.key_id, from_copy,
                                                       c->status, c->raised_with, c->answer) < 0))
        return TX_DB_ERROR;
    if (c->has_public) {
        db_doc_clear(&c->out);
        if (db_update_signal_public(r->db, c->id, c->answer_public, &c->out) <= 0)
            return TX_DB_ERROR;
    }
    return audit(r, "update", "signal", c->id) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

void
h_signals_patch(struct request *r)
{
    struct patch_ctx c = {.id = req_id(r, "signal")};
    struct jspec spec[] = {
        JS_ENUMF("status", &c.status, 0, statuses),
        JS_TXT("raised_with", &c.raised_with, JF_NULLABLE, 500),
        JS_TXT("answer", &c.answer, JF_NULLABLE, 2000),
        {"answer_public", JS_BOOL, 0, 0, 0, NULL, NULL, &c.answer_public, &c.has_public},
        JS_SPEC_END,
    };
    json_t *errs;

    if (c.id == NULL || !req_json_body(r, true))
        return;
    errs = json_array();
    /* raised_with and answer go to policy makers: the guard in jspec checks them. */
    if (jspec_check(r->json, spec, "", errs) && c.status == NULL && !c.has_public)
        jspec_error(errs, "status", "is required (or answer_public alone)");
    if (c.status == NULL && (c.raised_with != NULL || c.answer != NULL))
        jspec_error(errs, "status", "is required with raised_with or answer");
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the change is not valid; see errors");
        return;
    }
    json_decref(errs);
    if (run_tx(r, patch_tx, &c)) {
        reply_json_steal(r, 200, c.out.doc);
        c.out.doc = NULL;
    }
    db_doc_clear(&c.out);
}

/* ---- themes ---- */

void
h_themes_list(struct request *r)
{
    static const char *const params[] = {"limit", "cursor", NULL};
    struct db_page page;
    const char *cursor;
    char a[32], b[48];
    int limit;

    if (!req_query_allow(r, params) || !req_page(r, &limit, &cursor) ||
        !req_cursor(r, cursor, a, b))
        return;
    if (db_list_themes(r->db, cursor ? a : NULL, limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
    reply_header(r, "Cache-Control", "public, max-age=300");
}

struct theme_ctx {
    const char *code, *nl, *en;
    struct db_doc out;
};

static enum tx_result
theme_tx(struct request *r, void *cls)
{
    struct theme_ctx *c = cls;

    db_doc_clear(&c->out);
    if (db_insert_theme(r->db, c->code, c->nl, c->en, &c->out) <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    return audit(r, "create", "theme", c->code) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

void
h_themes_create(struct request *r)
{
    const char *code = NULL, *nl = NULL, *en = NULL;
    struct jspec spec[] = {
        JS_STR("code", &code, JF_REQUIRED, 2, 40),
        JS_STR("label_nl", &nl, JF_REQUIRED | JF_GUARD, 1, 100),
        JS_STR("label_en", &en, JF_REQUIRED | JF_GUARD, 1, 100),
        JS_SPEC_END,
    };
    json_t *errs;

    if (!req_json_body(r, false))
        return;
    errs = json_array();
    if (jspec_check(r->json, spec, "", errs) &&
        (strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(code) ||
         !(code[0] >= 'a' && code[0] <= 'z')))
        jspec_error(errs, "code", "must be lower-case ascii letters, digits and _");
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the theme is not valid; see errors");
        return;
    }
    json_decref(errs);
    struct theme_ctx c = {code, nl, en, {0}};
    if (run_tx(r, theme_tx, &c)) {
        reply_json_steal(r, 201, c.out.doc);
        c.out.doc = NULL;
    }
    db_doc_clear(&c.out);
}
