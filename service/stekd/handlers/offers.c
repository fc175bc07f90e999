/*
 * /v1/offers and their exceptions. Reads are public. An admin key writes any
 * offer; a partner key writes only the offers of its own partner, and any
 * other offer is 404 to it (never 403, which would tell that it exists).
 */
#include "stek/handlers.h"
#include "stek/feed.h"
#include "stek/offerimport.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/scope.h"
#include "stek/hint.h"
#include "stek/i18n.h"
#include "stek/ids.h"
#include "stek/tx.h"
#include "stek/mergepatch.h"
#include "stek/entity.h"
#include "stek/qspec.h"
#include "stek/offer.h"
#include "stek/date.h"
#include "stek/jspec.h"
#include "stek/rrule.h"

#include <stdio.h>
#include <string.h>

#define OFFERS "/v1/offers"
#define MAX_SCHEDULES 20

static const char *const registrations[] = {"none", "required", NULL};
static const char *const statuses[] = {"cancelled", "moved", NULL};
static const struct constraint_reply constraints[] = {
    {"offers_site_id_fkey", ERR_VALIDATION, "site_id", "does not name an existing site"},
    {"offers_partner_id_fkey", ERR_VALIDATION, "partner_id", "does not name an existing partner"},
    {"schedules_site_id_fkey", ERR_VALIDATION, "schedules",
     "a schedule's site_id does not name an existing site"},
    {"offer_exceptions_site_id_fkey", ERR_VALIDATION, "site_id", "does not name an existing site"},
    {NULL, ERR_VALIDATION, NULL, NULL},
};

/* An offer checked and converted to the statements' fields; strings borrow from its JSON. */
struct offer_parsed {
    struct offer_fields f;
    struct schedule_fields sched[MAX_SCHEDULES];
    int nsched;
    bool has_schedules;
    json_t *plain, *translations; /* owned: the texts f borrows (offer_parsed_clear) */
};

/* What a reader may read in several languages (as offer_doc lists it). */
static const char *const translatable[] = {"title", "description", "audience", "price_note", NULL};

static void
offer_parsed_clear(struct offer_parsed *o)
{
    json_decref(o->plain);
    json_decref(o->translations);
    o->plain = o->translations = NULL;
}

/*
 * Checks a whole offer document (a POST body, the document after a merge patch, a row of an
 * upload) with every error at once into errs; false when there is one (o cleared).
 */
static bool
check_offer(const json_t *doc, struct offer_parsed *o, json_t *errs)
{
    const json_t *fns = NULL, *cats = NULL, *scheds = NULL;
    struct offer_fields *f = &o->f;
    struct jspec spec[] = {
        JS_STR("title", &f->title, JF_REQUIRED | JF_GUARD, 1, 200),
        JS_ENUMF("kind", &f->kind, 0, offer_kinds),
        JS_TXT("description", &f->description, JF_NULLABLE, 4000),
        JS_UUIDF("site_id", &f->site_id, JF_REQUIRED),
        JS_UUIDF("partner_id", &f->partner_id, JF_REQUIRED),
        JS_LIST("functions", &fns, JF_REQUIRED, 1, 4, stek_functions),
        JS_LIST("categories", &cats, 0, 0, 20, NULL),
        JS_TXT("audience", &f->audience, JF_NULLABLE, 500),
        JS_BOOLEAN("free", NULL, JF_NULLABLE), /* read below: null or absent is unknown */
        JS_TXT("price_note", &f->price_note, JF_NULLABLE, 500),
        JS_ENUMF("registration", &f->registration, JF_NULLABLE, registrations),
        JS_EMAILF("email", &f->email, JF_NULLABLE),
        JS_PHONEF("phone", &f->phone, JF_NULLABLE),
        JS_ARR("schedules", &scheds, 0, MAX_SCHEDULES),
        JS_BOOLEAN("active", &f->active, 0),
        JS_ENUMF("main_language", NULL, 0, i18n_languages),
        JS_IGNORE("language"),
        JS_RO("id"),
        JS_RO("created_at"),
        JS_RO("updated_at"),
        JS_RO("confirmed_at"), /* POST .../confirm, or any edit */
        JS_RO("source"),       /* its calendar's (issue 33) */
        JS_SPEC_END,
    };
    size_t i, before = json_array_size(errs);
    json_t *item;

    memset(o, 0, sizeof(*o));
    /* Price and registration stay unknown (NULL) unless the offer says them: a default would
     * tell residents "free" and "walk in" when nobody said so. */
    f->active = true;
    f->kind = "activity";
    o->plain = jspec_check_i18n(doc, spec, translatable, "nl", &f->lang.main_language,
                                &o->translations, errs);
    f->lang.translations = o->translations;
    if (o->plain != NULL) {
        const json_t *fv = json_object_get(o->plain, "free");
        f->free = json_is_boolean(fv) ? (json_is_true(fv) ? FACT_YES : FACT_NO) : FACT_UNKNOWN;
    }
    o->has_schedules = json_object_get(doc, "schedules") != NULL;
    json_array_foreach(scheds, i, item)
    {
        struct schedule_fields *s = &o->sched[i];
        char prefix[48];
        struct jspec sspec[] = {
            JS_IGNORE("id"), /* schedules are replaced as a whole; ids are issued anew */
            JS_UUIDF("site_id", &s->site_id, JF_NULLABLE),
            JS_DATEF("dtstart", &s->dtstart, JF_REQUIRED),
            JS_DATEF("until", &s->until, JF_NULLABLE),
            JS_STR("rrule", &s->rrule, JF_NULLABLE, 1, 500),
            JS_TIMEF("start_time", &s->start_time, JF_REQUIRED),
            JS_TIMEF("end_time", &s->end_time, JF_REQUIRED),
            JS_SPEC_END,
        };
        snprintf(prefix, sizeof(prefix), "schedules[%zu].", i);
        if (jspec_check(item, sspec, prefix, errs))
            schedule_check(
                &(struct schedule_text){s->dtstart, s->until, s->rrule, s->start_time, s->end_time},
                prefix, errs);
        o->nsched = (int)i + 1;
    }
    if (json_array_size(errs) > before) {
        offer_parsed_clear(o);
        return false;
    }
    f->functions = fns;
    f->categories = cats;
    return true;
}

/* check_offer for a request: replies 422 and returns false when the document is not valid. */
static bool
parse_offer(struct request *r, const json_t *doc, struct offer_parsed *o)
{
    json_t *errs = json_array();
    if (check_offer(doc, o, errs)) {
        json_decref(errs);
        return true;
    }
    jspec_reply_invalid(r, errs);
    return false;
}

/* True when the request's key may write an offer of partner_id (a coordinator: any partner's,
 * at the sites of its municipalities: offer_sites_in_scope). */
static bool
may_write(const struct request *r, const char *partner_id)
{
    return r->who.role == ROLE_ADMIN || r->who.role == ROLE_COORDINATOR ||
           (partner_id != NULL && strcmp(partner_id, r->who.partner_id) == 0);
}

/* For a coordinator: every site the offer names (its own, its schedules') in its scope. */
static enum tx_result
offer_sites_in_scope(struct request *r, const struct offer_parsed *o)
{
    enum tx_result res = scope_check(r, "site", o->f.site_id, "site_id");
    for (int i = 0; i < o->nsched && res == TX_COMMIT; i++) {
        char field[40];
        snprintf(field, sizeof(field), "schedules[%d].site_id", i);
        res = scope_check(r, "site", o->sched[i].site_id, field);
    }
    return res;
}

static bool
refuse_foreign_partner(struct request *r, const struct offer_parsed *o)
{
    if (may_write(r, o->f.partner_id))
        return false;
    reply_problem(r, ERR_VALIDATION,
                  json_pack("[{s:s, s:s}]", "field", "partner_id", "message",
                            "must be the partner of your API key"),
                  "a partner key writes only its own partner's offers");
    return true;
}

void
h_offers_list(struct request *r)
{
    struct qpage p = QPAGE_INIT;
    struct offer_filter f = {0};
    struct qsearch qs = {0};
    struct qopen qo = {0};
    struct feed_open open;
    char *open_ids = NULL;
    struct db_page page;
    const struct qspec spec[] = {
        QS_PAGE(&p),
        QS_ID("site", &f.site, "a site id"),
        QS_ID("partner", &f.partner, "a partner id"),
        QS_TXT("municipality", &f.municipality, 100),
        QS_ONEOF("function", &f.function, stek_functions),
        QS_TXT("category", &f.category, 40),
        QS_BOOLEAN("free", &f.free),
        QS_BOOLEAN("active", &f.active),
        QS_SEARCH("q", &qs),
        QS_OPEN(&qo),
        QS_BOOLEAN("stale", &f.stale),
        QS_LANGUAGE,
        QS_MISSING_LANGUAGES,
        QS_SPEC_END,
    };
    char stale_before[24];

    json_t *errs = qspec_check(r, spec);
    qopen_finish(&qo, errs, &open);
    if (!qspec_reply(r, errs) || !search_widen(r, &qs, false) ||
        (feed_open_given(&open) && !feed_open_offers(r, &open, &open_ids))) {
        qsearch_clear(&qs);
        return;
    }
    f.open_ids = open_ids;
    snprintf(stale_before, sizeof(stale_before), "%lld",
             (long long)offer_stale_before(service_today()));
    f.stale_before = stale_before;
    f.search = qsearch_query(&qs);
    enum db_qs got =
        db_list_offers(r->db, qcursor_a(&p.cursor), qcursor_b(&p.cursor), &f, p.limit, &page);
    qsearch_clear(&qs);
    free(open_ids);
    if (got < 0) {
        reply_db_error(r);
        return;
    }
    bool empty = page.n == 0 && !p.cursor.present;
    reply_page(r, &page);
    if (empty)
        reply_hint_municipality(r, f.municipality);
}

struct create_ctx {
    struct offer_parsed o;
    char new_id[48];
    struct db_doc out;
};

static enum tx_result
create_tx(struct request *r, void *cls)
{
    struct create_ctx *c = cls;

    db_doc_clear(&c->out);
    enum tx_result in = offer_sites_in_scope(r, &c->o);
    if (in != TX_COMMIT)
        return in;
    if (db_insert_offer(r->db, &c->o.f, c->new_id) <= 0 ||
        db_replace_schedules(r->db, c->new_id, c->o.sched, c->o.nsched) < 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    if (audit(r, "create", "offer", c->new_id, NULL) < 0 ||
        db_get_offer(r->db, c->new_id, false, &c->out) <= 0)
        return TX_DB_ERROR;
    return TX_COMMIT;
}

void
h_offers_create(struct request *r)
{
    struct create_ctx c = {0};

    if (!req_json_body(r, false) || !parse_offer(r, r->json, &c.o))
        return;
    if (!refuse_foreign_partner(r, &c.o) && run_tx(r, create_tx, &c))
        reply_doc(r, 201, &c.out, OFFERS);
    db_doc_clear(&c.out);
    offer_parsed_clear(&c.o);
}

void
h_offers_get(struct request *r)
{
    reply_entity(r, "offer", db_get_offer);
}

/* Someone else's offer does not exist for a partner key. */
static bool
visible(const struct request *r, const json_t *doc)
{
    return may_write(r, json_string_value(json_object_get(doc, "partner_id")));
}

static enum tx_result
lock_offer(struct request *r, const char *id, bool check_etag, struct db_doc *cur)
{
    return lock_entity(r, "offer", db_get_offer, visible, id, check_etag, cur);
}

/* What an offer's calendar owns (issue 33): a change through the API would be undone by the
 * next sync. Its functions, categories and translations stay the partner's to edit. */
static const char *const source_owned[] = {"title",      "description", "schedules",     "site_id",
                                           "partner_id", "active",      "main_language", NULL};

/* True (after replying 409 naming each field) when doc comes from a calendar and patch
 * touches what the calendar owns. */
static bool
refuse_source_owned(struct request *r, const json_t *doc, const json_t *patch)
{
    const json_t *source = json_object_get(doc, "source");
    json_t *errs;

    if (source == NULL || json_is_null(source))
        return false;
    errs = json_array();
    if (patch == NULL) /* an exception: the calendar's EXDATEs and overrides */
        field_error(errs, "date",
                    "the offer's exceptions come from its calendar: change them "
                    "there (or disconnect the calendar)");
    for (const char *const *f = source_owned; patch != NULL && *f != NULL; f++)
        if (json_object_get(patch, *f) != NULL)
            field_error(errs, *f,
                        "comes from the offer's calendar: change it there (or "
                        "disconnect the calendar)");
    if (json_array_size(errs) == 0) {
        json_decref(errs);
        return false;
    }
    reply_problem(r, ERR_CONFLICT, errs,
                  "this offer is kept by its partner's calendar, which owns these fields");
    return true;
}

static enum tx_result
update(struct request *r, const char *id, const json_t *merged, const json_t *patch,
       struct db_doc *out)
{
    struct offer_parsed o;
    enum tx_result res = TX_COMMIT;

    /* A coordinator edits the offers at its places and moves none away from them. */
    if ((res = scope_check(r, "offer", id, NULL)) != TX_COMMIT)
        return res;
    if (refuse_source_owned(r, merged, patch))
        return TX_REPLIED;
    json_object_del((json_t *)merged, "source"); /* the server's */
    if (!parse_offer(r, merged, &o))
        return TX_REPLIED;
    if (refuse_foreign_partner(r, &o))
        res = TX_REPLIED;
    else if ((res = offer_sites_in_scope(r, &o)) != TX_COMMIT)
        ;
    else if (db_update_offer(r->db, id, &o.f) <= 0 ||
             /* Schedules are replaced only when the patch sends them. */
             (json_object_get(patch, "schedules") != NULL &&
              db_replace_schedules(r->db, id, o.sched, o.nsched) < 0))
        res = reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    else if (db_get_offer(r->db, id, false, out) <= 0)
        res = TX_DB_ERROR;
    offer_parsed_clear(&o);
    return res;
}

static enum tx_result
remove_offer(struct request *r, const char *id)
{
    enum tx_result in = scope_check(r, "offer", id, NULL);
    if (in != TX_COMMIT)
        return in;
    return db_delete_offer(r->db, id) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

static const struct entity_ops ops = {"offer", db_get_offer, visible, update, remove_offer};

void
h_offers_patch(struct request *r)
{
    patch_entity(r, &ops);
}

void
h_offers_delete(struct request *r)
{
    delete_entity(r, &ops);
}

struct confirm_ctx {
    const char *id;
    struct db_doc out;
};

static enum tx_result
confirm_tx(struct request *r, void *cls)
{
    struct confirm_ctx *c = cls;
    struct db_doc cur;
    enum tx_result res;

    db_doc_clear(&c->out);
    if ((res = lock_offer(r, c->id, false, &cur)) != TX_COMMIT)
        return res;
    db_doc_clear(&cur);
    if ((res = scope_check(r, "offer", c->id, NULL)) != TX_COMMIT)
        return res;
    json_t *changed = json_pack("[s]", "confirmed_at");
    enum db_qs qs = db_confirm_offer(r->db, c->id, &c->out);
    if (qs > 0)
        qs = audit(r, "update", "offer", c->id, changed);
    json_decref(changed);
    return qs <= 0 ? TX_DB_ERROR : TX_COMMIT;
}

/*
 * POST /v1/offers/{id}/confirm: the offer is still as it stands (its partner, an admin, a
 * coordinator of its places): confirmed_at is now, a stale or quiet offer is public again.
 */
void
h_offers_confirm(struct request *r)
{
    struct confirm_ctx c = {.id = req_id(r, "offer")};

    if (c.id != NULL && run_tx(r, confirm_tx, &c))
        reply_doc(r, 200, &c.out, NULL);
    db_doc_clear(&c.out);
}

/* ---- exceptions ---- */

void
h_exceptions_list(struct request *r)
{
    const char *id = req_id(r, "offer");
    struct qpage p = QPAGE_INIT;
    const struct qspec spec[] = {QS_PAGE(&p), QS_LANGUAGE, QS_SPEC_END};
    struct db_doc d;
    struct db_page page;

    if (id == NULL || !qspec_parse(r, spec))
        return;
    if (!reply_found(r, db_get_offer(r->db, id, false, &d), "offer"))
        return;
    db_doc_clear(&d);
    if (db_list_exceptions(r->db, id, qcursor_a(&p.cursor), p.limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}

/*
 * The offer and the date of /v1/offers/{id}/exceptions/{date}; NULL after a 404 (an offer id
 * that is no UUID, a date that is no YYYY-MM-DD).
 */
static const char *
exception_path(struct request *r, const char **date)
{
    const char *id = req_id(r, "offer");
    int32_t day;

    *date = r->params[1];
    if (id != NULL && !date_parse(*date, &day)) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "exceptions are named by their date, YYYY-MM-DD");
        return NULL;
    }
    return id;
}

struct exception_ctx {
    const char *id, *date; /* the offer; the date of the path (PATCH) */
    const json_t *patch;   /* PATCH: the merge patch */
    struct exception_fields f;
    int32_t day;
    json_t *plain, *translations, *merged; /* owned: what f borrows */
    struct db_doc out;
    bool patching;
};

static void
exception_ctx_clear(struct exception_ctx *c)
{
    json_decref(c->plain);
    json_decref(c->translations);
    json_decref(c->merged);
    c->plain = c->translations = c->merged = NULL;
}

/*
 * Checks an exception's document (a POST body, or the stored one after a PATCH's merge) with
 * every error at once into c->f; a note is in main unless the document names its language.
 * Replies 422 and returns false otherwise.
 */
static bool
exception_check(struct request *r, const json_t *doc, const char *main, struct exception_ctx *c)
{
    struct exception_fields *f = &c->f;
    struct jspec spec[] = {
        JS_DATEF("date", &f->date, JF_REQUIRED),
        JS_ENUMF("status", &f->status, JF_REQUIRED, statuses),
        JS_TIMEF("start_time", &f->start_time, JF_NULLABLE),
        JS_TIMEF("end_time", &f->end_time, JF_NULLABLE),
        JS_UUIDF("site_id", &f->site_id, JF_NULLABLE),
        JS_TXT("note", &f->note, JF_NULLABLE, 500),
        JS_ENUMF("main_language", NULL, 0, i18n_languages),
        JS_IGNORE("language"),
        JS_SPEC_END,
    };
    static const char *const note_only[] = {"note", NULL};
    json_t *errs = json_array();
    int start, end;

    json_decref(c->plain);
    json_decref(c->translations);
    memset(f, 0, sizeof(*f));
    c->plain = jspec_check_i18n(doc, spec, note_only, main, &f->lang.main_language,
                                &c->translations, errs);
    f->lang.translations = c->translations;
    if (json_array_size(errs) == 0) {
        bool moved = strcmp(f->status, "moved") == 0;
        if ((f->start_time == NULL) != (f->end_time == NULL))
            field_error(errs, f->start_time ? "end_time" : "start_time",
                        "is required together with the other time");
        else if (f->start_time != NULL && time_parse(f->start_time, &start) &&
                 time_parse(f->end_time, &end) && end <= start)
            field_error(errs, "end_time", "must be after start_time");
        if (!moved && (f->start_time != NULL || f->site_id != NULL))
            field_error(errs, "status", "a cancellation takes no new time or site; use moved");
        if (moved && f->start_time == NULL && f->site_id == NULL)
            field_error(errs, "status", "moved needs a new start_time/end_time or site_id");
        if (c->patching && strcmp(f->date, c->date) != 0)
            field_error(errs, "date",
                        "is the exception's name (its path): delete it and post one on the "
                        "other date instead");
        date_parse(f->date, &c->day);
    }
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the exception is not valid; see errors");
        return false;
    }
    json_decref(errs);
    return true;
}

/* For a PATCH: the stored exception, merged with the patch and checked (in the transaction). */
static enum tx_result
exception_merge(struct request *r, struct exception_ctx *c)
{
    struct db_doc cur;
    enum db_qs qs;
    char main[4];

    if ((qs = db_get_exception(r->db, c->id, c->date, &cur)) < 0)
        return TX_DB_ERROR;
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL,
                      "this offer has no exception on %s: post one to "
                      "/v1/offers/{id}/exceptions",
                      c->date);
        return TX_REPLIED;
    }
    snprintf(main, sizeof(main), "%s",
             json_string_value(json_object_get(cur.doc, "main_language")));
    json_decref(c->merged);
    c->merged = merge_writable_steal(&cur, c->patch);
    return exception_check(r, c->merged, main, c) ? TX_COMMIT : TX_REPLIED;
}

static enum tx_result
exception_tx(struct request *r, void *cls)
{
    struct exception_ctx *c = cls;
    struct db_doc offer;
    enum tx_result res;
    char entity_id[64];

    db_doc_clear(&c->out);
    if ((res = lock_offer(r, c->id, false, &offer)) != TX_COMMIT)
        return res;
    if ((res = scope_check(r, "offer", c->id, NULL)) != TX_COMMIT ||
        refuse_source_owned(r, offer.doc, NULL)) {
        db_doc_clear(&offer);
        return res != TX_COMMIT ? res : TX_REPLIED;
    }
    bool occurs = offer_occurs_on(offer.doc, c->day);
    db_doc_clear(&offer);
    if (c->patching && (res = exception_merge(r, c)) != TX_COMMIT)
        return res;
    /* A coordinator moves an occurrence only to a site of its municipalities. */
    if ((res = scope_check(r, "site", c->f.site_id, "site_id")) != TX_COMMIT)
        return res;
    if (!c->patching && !occurs) {
        reply_problem(r, ERR_VALIDATION,
                      json_pack("[{s:s, s:s}]", "field", "date", "message",
                                "is not an occurrence of this offer's schedules"),
                      "%s is not an occurrence of this offer", c->f.date);
        return TX_REPLIED;
    }
    struct db_doc before = {0};
    if (db_get_exception(r->db, c->id, c->f.date, &before) < 0)
        return TX_DB_ERROR;
    if (db_upsert_exception(r->db, c->id, &c->f, &c->out) <= 0) {
        db_doc_clear(&before);
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    }
    snprintf(entity_id, sizeof(entity_id), "%s/%s", c->id, c->f.date);
    json_t *changed = before.doc != NULL ? json_changed_fields(before.doc, c->out.doc) : NULL;
    enum db_qs qs = audit(r, c->out.version ? "create" : "update", "offer_exception", entity_id,
                          c->out.version ? NULL : changed);
    json_decref(changed);
    db_doc_clear(&before);
    return qs < 0 ? TX_DB_ERROR : TX_COMMIT;
}

/* Replies with the stored exception (201 when new, else 200) and its Location. */
static void
reply_exception(struct request *r, struct exception_ctx *c)
{
    char loc[128];
    snprintf(loc, sizeof(loc), "%s/%s/exceptions/%s", OFFERS, c->id, c->f.date);
    reply_json_steal(r, c->out.version ? 201 : 200, c->out.doc);
    c->out.doc = NULL;
    reply_header(r, "Location", loc);
}

/*
 * POST /v1/offers/{id}/exceptions. An exception is named by its date: posting one for a date
 * that has one replaces it whole (200 instead of 201), as PUT would; PATCH changes some fields.
 */
void
h_exceptions_create(struct request *r)
{
    struct exception_ctx c = {.id = req_id(r, "offer")};
    char main[4];

    if (c.id == NULL || !req_json_body(r, false))
        return;
    /* A note is in its offer's main language unless it says otherwise. */
    entity_language(r, db_get_offer, c.id, main);
    if (exception_check(r, r->json, main, &c) && run_tx(r, exception_tx, &c))
        reply_exception(r, &c);
    db_doc_clear(&c.out);
    exception_ctx_clear(&c);
}

/*
 * PATCH /v1/offers/{id}/exceptions/{date}: a merge patch of the exception (its note in another
 * language: {"note": {"fr": "..."}}); the date stays, a moved occurrence need not occur still.
 */
void
h_exceptions_patch(struct request *r)
{
    struct exception_ctx c = {.patching = true};

    if ((c.id = exception_path(r, &c.date)) == NULL || !req_json_body(r, true))
        return;
    c.patch = r->json;
    if (run_tx(r, exception_tx, &c))
        reply_exception(r, &c);
    db_doc_clear(&c.out);
    exception_ctx_clear(&c);
}

struct exception_delete_ctx {
    const char *id, *date;
};

static enum tx_result
exception_delete_tx(struct request *r, void *cls)
{
    struct exception_delete_ctx *c = cls;
    struct db_doc offer;
    enum tx_result res;
    enum db_qs qs;
    char entity_id[64];

    if ((res = lock_offer(r, c->id, false, &offer)) != TX_COMMIT)
        return res;
    bool sourced = refuse_source_owned(r, offer.doc, NULL);
    db_doc_clear(&offer);
    if (sourced)
        return TX_REPLIED;
    if ((res = scope_check(r, "offer", c->id, NULL)) != TX_COMMIT)
        return res;
    if ((qs = db_delete_exception(r->db, c->id, c->date)) < 0)
        return TX_DB_ERROR;
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "this offer has no exception on %s", c->date);
        return TX_REPLIED;
    }
    snprintf(entity_id, sizeof(entity_id), "%s/%s", c->id, c->date);
    return audit(r, "delete", "offer_exception", entity_id, NULL) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

/* GET /v1/offers/{id}/exceptions/{date}: where a created exception's Location points. */
void
h_exceptions_get(struct request *r)
{
    const char *date, *id = exception_path(r, &date);
    struct db_doc d;
    enum db_qs qs;

    if (id == NULL)
        return;
    if ((qs = db_get_exception(r->db, id, date, &d)) < 0) {
        reply_db_error(r);
        return;
    }
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no exception of this offer on this date");
        return;
    }
    reply_json_steal(r, 200, d.doc);
}

void
h_exceptions_delete(struct request *r)
{
    struct exception_delete_ctx c;

    if ((c.id = exception_path(r, &c.date)) == NULL)
        return;
    if (run_tx(r, exception_delete_tx, &c))
        reply_empty(r, 204);
}

/* ---- uploads of many offers (issue 33): POST /v1/imports/offers ---- */

struct import_ctx {
    json_t *rows;           /* [{"row", "doc"}] */
    struct offer_parsed *o; /* checked, one per row */
    size_t n;
    json_t *ids; /* the new offers' ids */
};

/* A row's problems as the answer names them: {"row", "column", "message"} (and "field", the
 * problem+json way: "row 3: rrule"). */
static void
import_errors(json_t *out, size_t row, json_t *errs)
{
    size_t i;
    json_t *e;
    json_array_foreach(errs, i, e)
    {
        const char *col = import_column(json_string_value(json_object_get(e, "field")));
        char field[96];
        snprintf(field, sizeof(field), "row %zu: %s", row, col);
        json_array_append_new(out, json_pack("{s:s, s:I, s:s, s:O}", "field", field, "row",
                                             (json_int_t)row, "column", col, "message",
                                             json_object_get(e, "message")));
    }
}

/* A row's site or partner named by id or exact name into its id (an error otherwise). */
static void
resolve(struct request *r, json_t *doc, bool site, json_t *errs, json_t *cache)
{
    const char *col = site ? "site" : "partner";
    const char *given = json_string_value(json_object_get(doc, col));
    char id[40];

    if (given == NULL)
        return; /* the offer check names the missing site_id / partner_id */
    json_t *known = json_object_get(json_object_get(cache, col), given);
    if (known != NULL) {
        json_object_set(doc, site ? "site_id" : "partner_id", known);
    } else {
        enum db_qs qs = db_resolve(r->db, site, given, id);
        if (qs == 1) {
            json_object_set_new(json_object_get(cache, col), given, json_string(id));
            json_object_set_new(doc, site ? "site_id" : "partner_id", json_string(id));
        } else {
            json_array_append_new(errs, json_pack("{s:s, s:s}", "field",
                                                  site ? "site_id" : "partner_id", "message",
                                                  qs == DB_NO_ROWS ? "names no known one (an id or "
                                                                     "the exact name)"
                                                                   : "names more than one: give "
                                                                     "its id"));
        }
    }
    json_object_del(doc, col);
}

/* Every row checked as one offer is, with what this key may write; its problems into out. */
static void
import_check(struct request *r, struct import_ctx *c, json_t *out)
{
    json_t *cache = json_pack("{s:{}, s:{}}", "site", "partner");
    size_t i;
    json_t *row;

    c->n = json_array_size(c->rows);
    if ((c->o = calloc(c->n + 1, sizeof(*c->o))) == NULL)
        abort();
    json_array_foreach(c->rows, i, row)
    {
        json_t *doc = json_object_get(row, "doc"), *errs = json_array();
        size_t n = (size_t)json_integer_value(json_object_get(row, "row"));
        resolve(r, doc, true, errs, cache);
        resolve(r, doc, false, errs, cache);
        if (check_offer(doc, &c->o[i], errs)) {
            if (!may_write(r, c->o[i].f.partner_id))
                json_array_append_new(errs,
                                      json_pack("{s:s, s:s}", "field", "partner_id", "message",
                                                "must be the partner of your API key"));
            else if (r->who.role == ROLE_COORDINATOR &&
                     db_in_scope(r->db, r->who.scope, "site", c->o[i].f.site_id) == DB_NO_ROWS)
                json_array_append_new(errs, json_pack("{s:s, s:s}", "field", "site_id", "message",
                                                      "lies outside this coordinator key's "
                                                      "municipalities"));
        }
        import_errors(out, n, errs);
        json_decref(errs);
    }
    json_decref(cache);
}

static enum tx_result
import_tx(struct request *r, void *cls)
{
    struct import_ctx *c = cls;
    char id[48];

    json_array_clear(c->ids);
    for (size_t i = 0; i < c->n; i++) {
        if (db_insert_offer(r->db, &c->o[i].f, id) <= 0 ||
            db_replace_schedules(r->db, id, c->o[i].sched, c->o[i].nsched) < 0)
            return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
        if (audit(r, "create", "offer", id, NULL) < 0)
            return TX_DB_ERROR;
        json_array_append_new(c->ids, json_string(id));
    }
    return TX_COMMIT;
}

/*
 * POST /v1/imports/offers (text/csv, or JSON lines): every row an offer. ?dry_run=true answers
 * every row's problems without writing; otherwise all rows are made or, with any problem,
 * none (422 naming row and column).
 */
void
h_offers_import(struct request *r)
{
    const char *dry = NULL;
    const struct qspec spec[] = {QS_BOOLEAN("dry_run", &dry), QS_SPEC_END};
    bool csv = req_media_is(r, "text/csv");
    struct import_ctx c = {0};
    json_t *errors;

    if (!qspec_parse(r, spec))
        return;
    if (!csv && !req_media_is(r, "application/x-ndjson") && !req_media_is(r, "application/jsonl")) {
        reply_problem(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                      "send the rows as text/csv or as JSON lines (application/x-ndjson)");
        return;
    }
    errors = json_array();
    c.rows = import_rows(r->body ? r->body : "", r->body_len, csv, errors);
    c.ids = json_array();
    import_check(r, &c, errors);
    if (dry != NULL && strcmp(dry, "t") == 0) {
        reply_json_plain_steal(r, 200,
                               json_pack("{s:I, s:o}", "rows", (json_int_t)c.n, "errors", errors));
        errors = NULL;
    } else if (json_array_size(errors) > 0 || c.n == 0) {
        if (c.n == 0 && json_array_size(errors) == 0)
            json_array_append_new(errors, json_pack("{s:s, s:I, s:s, s:s}", "field",
                                                    "row 0: ", "row", (json_int_t)0, "column", "",
                                                    "message", "the upload holds no row"));
        reply_problem(r, ERR_VALIDATION, errors, "%zu problem%s in the upload; nothing was made",
                      json_array_size(errors), json_array_size(errors) == 1 ? "" : "s");
        errors = NULL;
    } else if (run_tx(r, import_tx, &c)) {
        reply_json_plain_steal(r, 201,
                               json_pack("{s:I, s:O}", "created", (json_int_t)c.n, "ids", c.ids));
    }
    for (size_t i = 0; i < c.n; i++)
        offer_parsed_clear(&c.o[i]);
    free(c.o);
    json_decref(c.rows);
    json_decref(c.ids);
    json_decref(errors);
}
