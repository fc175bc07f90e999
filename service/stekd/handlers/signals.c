/*
 * /v1/signals, /v1/signals/batch, /v1/themes: referral and structural signals.
 * Posted by partner keys, anonymous by construction: no field for a visitor
 * exists, and notes are scanned for personal data before they are stored.
 * A 2xx is sent only after the commit; Idempotency-Key replays the first answer.
 */
#include "stek/config.h"
#include "stek/ids.h"
#include "stek/tx.h"
#include "stek/mergepatch.h"
#include "stek/entity.h"
#include "stek/qspec.h"
#include "stek/auth.h"
#include "stek/clock.h"
#include "stek/date.h"
#include "stek/crypto.h"
#include "stek/handlers.h"
#include "stek/scope.h"
#include "stek/strbuf.h"
#include "stek/i18n.h"
#include "stek/signal.h"
#include "stek/jspec.h"
#include "stek/metrics.h"
#include "stek/rrule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 500

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

/*
 * Checks one signal object (prefix "" or "signals[3].") and fills in. Every
 * problem goes to errs. The hash covers the body as sent, without its key.
 */
static void
check_signal(const json_t *obj, const char *prefix, bool batch, struct signal_in *in, json_t *errs)
{
    struct signal_fields *f = &in->f;
    struct jspec spec[] = {
        JS_ENUMF("kind", &f->kind, JF_REQUIRED, signal_kinds),
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
    const char *problem;
    int32_t day;

    memset(in, 0, sizeof(*in));
    if (!jspec_check(obj, spec, prefix, errs)) {
        /* The note's personal data was refused by the guard in jspec; counted here too. */
        for (size_t i = before; i < json_array_size(errs); i++)
            if (json_object_get(json_array_get(errs, i), "personal_data") != NULL)
                metric_inc(M_SIGNALS_REFUSED_PRIVACY);
        goto hash;
    }
    if (batch && !idempotency_key_valid(in->idempotency_key)) {
        snprintf(field, sizeof(field), "%sidempotency_key", prefix);
        field_error(errs, field, "must be 1 to 255 printable characters without spaces");
    }
    date_parse(f->occurred_on, &day);
    snprintf(field, sizeof(field), "%soccurred_on", prefix);
    if ((problem = signal_occurred_on_problem(day, service_today())) != NULL)
        field_error(errs, field, problem);
    if (strcmp(f->kind, "barrier") == 0 && f->referred_to_partner_id != NULL) {
        snprintf(field, sizeof(field), "%sreferred_to_partner_id", prefix);
        field_error(errs, field, "only a referral is referred to a partner");
    }
hash:
    if (json_array_size(errs) == before)
        signal_body_hash(obj, in->hash);
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
    if (!uuid_new(id))
        return TX_DB_ERROR;
    if (strcmp(in->f.kind, "referral") == 0) {
        if (!handoff_code_new(in->code))
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
    /* Nothing written: the key revoked or its partner archived meanwhile (401/403), else the
     * key was used before (a replay). */
    if (!auth_confirm_write(r))
        return TX_REPLIED;
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
    if (!idempotency_key_valid(r->h_idempotency_key)) {
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
                    field_error(errs, field, "is used twice in this batch");
                    break;
                }
            }
        }
        if (c.n == 0)
            field_error(errs, "signals", "must hold at least one signal");
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

/* The partner whose signals a key reads (its own and those referred to it); NULL for every
 * partner's (an admin, a reader, a coordinator: at its places, scope.h). */
static const char *
visible_to(const struct request *r)
{
    return r->who.role == ROLE_PARTNER ? r->who.partner_id : NULL;
}

void
h_signals_list(struct request *r)
{
    struct qpage p = QPAGE_INIT;
    struct signal_filter f = {.partner = visible_to(r), .scope = scope_of(r)};
    struct db_page page;
    int32_t from = DAY_NONE, to = DAY_NONE;
    char from_iso[11], to_iso[11];
    const struct qspec spec[] = {
        QS_PAGE(&p),
        QS_ONEOF("kind", &f.kind, signal_kinds),
        QS_TXT("theme", &f.theme, 40),
        QS_ID("site", &f.site, "a site id"),
        QS_DAY("from", &from),
        QS_DAY("to", &to),
        QS_ONEOF("status", &f.status, signal_statuses),
        QS_SPEC_END,
    };

    if (!qspec_parse(r, spec))
        return;
    /* A coordinator's list holds its places; asking for a site elsewhere is 403, not empty. */
    if (f.site != NULL && !scope_allows(r, "site", f.site, "site"))
        return;
    if (from != DAY_NONE) {
        date_format(from, from_iso);
        f.from = from_iso;
    }
    if (to != DAY_NONE) {
        date_format(to, to_iso);
        f.to = to_iso;
    }
    if (db_list_signals(r->db, qcursor_a(&p.cursor), &f, p.limit, &page) < 0) {
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

    if (id == NULL)
        return;
    if (reply_found(r, db_get_signal(r->db, id, visible_to(r), false, &d), "signal")) {
        if (scope_allows(r, "signal", id, NULL))
            reply_json_steal(r, 200, d.doc);
        else
            json_decref(d.doc);
    }
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
    const char *problem;

    db_doc_clear(&c->out);
    if ((qs = db_get_signal(r->db, c->id, NULL, true, &cur)) < 0)
        return TX_DB_ERROR;
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no signal with this id");
        return TX_REPLIED;
    }
    enum tx_result in = scope_check(r, "signal", c->id, NULL); /* a coordinator: its places */
    if (in != TX_COMMIT) {
        db_doc_clear(&cur);
        return in;
    }
    from = json_string_value(json_object_get(cur.doc, "status"));
    problem = signal_transition_problem(
        from, c->status,
        c->raised_with != NULL || !json_is_null(json_object_get(cur.doc, "raised_with")),
        c->answer != NULL || !json_is_null(json_object_get(cur.doc, "answer")));
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
    json_t *before = json_deep_copy(cur.doc);
    db_doc_clear(&cur);
    if (c->has_public && c->answer_public && !answered) {
        json_decref(before);
        reply_problem(r, ERR_VALIDATION,
                      json_pack("[{s:s, s:s}]", "field", "answer_public", "message",
                                "only an answer can be made public; give the answer first"),
                      "only an answer can be made public");
        return TX_REPLIED;
    }
    if (c->status != NULL && (db_update_signal_status(r->db, c->id, c->status, c->raised_with,
                                                      c->answer, &c->out) <= 0 ||
                              db_insert_signal_history(r->db, c->id, r->who.key_id, from_copy,
                                                       c->status, c->raised_with, c->answer) < 0)) {
        json_decref(before);
        return TX_DB_ERROR;
    }
    if (c->has_public) {
        db_doc_clear(&c->out);
        if (db_update_signal_public(r->db, c->id, c->answer_public, &c->out) <= 0) {
            json_decref(before);
            return TX_DB_ERROR;
        }
    }
    json_t *changed = json_changed_fields(before, c->out.doc);
    qs = audit(r, "update", "signal", c->id, changed);
    json_decref(changed);
    json_decref(before);
    return qs < 0 ? TX_DB_ERROR : TX_COMMIT;
}

void
h_signals_patch(struct request *r)
{
    struct patch_ctx c = {.id = req_id(r, "signal")};
    struct jspec spec[] = {
        JS_ENUMF("status", &c.status, 0, signal_statuses),
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
        field_error(errs, "status", "is required (or answer_public alone)");
    if (c.status == NULL && (c.raised_with != NULL || c.answer != NULL))
        field_error(errs, "status", "is required with raised_with or answer");
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
    struct qpage p = QPAGE_INIT;
    const struct qspec spec[] = {QS_PAGE(&p), QS_LANGUAGE, QS_SPEC_END};
    struct db_page page;

    if (!qspec_parse(r, spec))
        return;
    if (db_list_themes(r->db, qcursor_a(&p.cursor), p.limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
    reply_header(r, "Cache-Control", "public, max-age=300");
}

struct theme_ctx {
    const char *code;
    struct theme_labels labels;
    struct db_doc out;
};

static enum tx_result
theme_tx(struct request *r, void *cls)
{
    struct theme_ctx *c = cls;

    db_doc_clear(&c->out);
    if (db_insert_theme(r->db, c->code, &c->labels, &c->out) <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    return audit(r, "create", "theme", c->code, NULL) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

/*
 * A theme's labels may also come as "label": a plain string (Dutch) or an object
 * of languages, like every other text; label_nl, label_en, ... given as well win.
 * English falls back to the Dutch label. Returns a new body with label_xx only.
 */
static json_t *
theme_labels(const json_t *in, json_t *errs)
{
    json_t *body = json_copy((json_t *)in), *label = json_object_get(in, "label"), *v;
    const char *lang;
    char field[32];

    json_object_del(body, "label");
    if (json_is_string(label) && json_object_get(body, "label_nl") == NULL)
        json_object_set(body, "label_nl", label);
    json_object_foreach(json_is_object(label) ? label : NULL, lang, v)
    {
        snprintf(field, sizeof(field), "label_%.8s", lang);
        if (!i18n_supported(lang))
            field_error(errs, "label", "takes the languages nl, fr, en and de");
        else if (json_object_get(body, field) == NULL)
            json_object_set(body, field, v);
    }
    if (json_is_string(label) &&
        (utf8_chars(json_string_value(label)) < 1 || utf8_chars(json_string_value(label)) > 100))
        field_error(errs, "label", "must be 1 to 100 characters");
    if (label != NULL && !json_is_string(label) && !json_is_object(label))
        field_error(errs, "label", "must be a string or an object of languages");
    if (label != NULL && json_object_get(body, "label_en") == NULL &&
        json_is_string(json_object_get(body, "label_nl")))
        json_object_set(body, "label_en", json_object_get(body, "label_nl"));
    return body;
}

void
h_themes_create(struct request *r)
{
    static const char *const theme_main_language[] = {"nl", NULL};
    const char *code = NULL;
    struct theme_labels l = {0};
    struct jspec spec[] = {
        JS_STR("code", &code, JF_REQUIRED, 2, 40),
        JS_STR("label_nl", &l.nl, JF_REQUIRED | JF_GUARD, 1, 100),
        JS_STR("label_en", &l.en, JF_REQUIRED | JF_GUARD, 1, 100),
        JS_STR("label_fr", &l.fr, JF_NULLABLE | JF_GUARD, 1, 100),
        JS_STR("label_de", &l.de, JF_NULLABLE | JF_GUARD, 1, 100),
        JS_IGNORE("language"),
        JS_ENUMF("main_language", NULL, 0, theme_main_language),
        JS_SPEC_END,
    };
    json_t *errs, *body;

    if (!req_json_body(r, false))
        return;
    errs = json_array();
    body = theme_labels(r->json, errs);
    if (jspec_check(body, spec, "", errs) &&
        (strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(code) ||
         !(code[0] >= 'a' && code[0] <= 'z')))
        field_error(errs, "code", "must be lower-case ascii letters, digits and _");
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the theme is not valid; see errors");
        json_decref(body);
        return;
    }
    json_decref(errs);
    struct theme_ctx c = {code, l, {0}};
    if (run_tx(r, theme_tx, &c)) {
        reply_json_steal(r, 201, c.out.doc);
        c.out.doc = NULL;
    }
    db_doc_clear(&c.out);
    json_decref(body);
}
