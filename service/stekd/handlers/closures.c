/*
 * /v1/sites/{id}/closures: periods in which a site is closed (Christmas, the
 * summer, a renovation). Every occurrence at the site in the period is then
 * cancelled in the feed with the closure's note (domain/feed.c); an explicit
 * exception of an occurrence still wins. Reading is public. Written by an
 * admin, or by a partner that runs an offer at the site (its own site or a
 * schedule's): the partners that would otherwise each cancel their dates.
 */
#include "stek/handlers.h"
#include "stek/scope.h"
#include "stek/i18n.h"
#include "stek/qspec.h"
#include "stek/ids.h"
#include "stek/tx.h"
#include "stek/mergepatch.h"
#include "stek/entity.h"
#include "stek/date.h"
#include "stek/jspec.h"
#include "stek/rrule.h"

#include <stdio.h>
#include <string.h>

#define CLOSURE_MAX_DAYS 366

static const struct constraint_reply constraints[] = {
    {"site_closures_no_overlap", ERR_VALIDATION, "from",
     "overlaps another closure of this site (see GET /v1/sites/{id}/closures)"},
    {"site_closures_order", ERR_VALIDATION, "to", "must not be before from"},
    {"site_closures_length", ERR_VALIDATION, "to", "a closure lasts at most a year"},
    {"site_closures_site_id_fkey", ERR_NOT_FOUND, NULL, "no site with this id"},
    {NULL, ERR_VALIDATION, NULL, NULL},
};

/* The site exists (404 otherwise) and this key may manage its closures (403 otherwise): an
 * admin, a coordinator of its municipality, a partner with an offer there. */
static enum tx_result
may_manage(struct request *r, const char *site, bool lock)
{
    struct db_doc d;
    enum db_qs qs;

    if ((qs = db_get_site(r->db, site, lock, &d)) < 0)
        return TX_DB_ERROR;
    db_doc_clear(&d);
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no site with this id");
        return TX_REPLIED;
    }
    if (r->who.role == ROLE_ADMIN)
        return TX_COMMIT;
    if (r->who.role == ROLE_COORDINATOR) /* the sites of its municipalities */
        return scope_check(r, "site", site, NULL);
    if ((qs = db_partner_runs_offer_at(r->db, site, r->who.partner_id)) < 0)
        return TX_DB_ERROR;
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_FORBIDDEN, NULL,
                      "only an admin, or a partner with an offer at this site, manages its "
                      "closures");
        return TX_REPLIED;
    }
    return TX_COMMIT;
}

void
h_closures_list(struct request *r)
{
    const char *site = req_id(r, "site");
    struct qpage p = QPAGE_INIT;
    const struct qspec spec[] = {QS_PAGE(&p), QS_LANGUAGE, QS_SPEC_END};
    struct db_doc d;
    struct db_page page;

    if (site == NULL || !qspec_parse(r, spec))
        return;
    if (!reply_found(r, db_get_site(r->db, site, false, &d), "site"))
        return;
    db_doc_clear(&d);
    if (db_list_closures(r->db, site, qcursor_a(&p.cursor), qcursor_b(&p.cursor), p.limit, &page) <
        0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}

/* The site and the closure of /v1/sites/{id}/closures/{cid}; false after a 404. */
static bool
closure_path(struct request *r, const char **site, const char **id)
{
    *site = req_id(r, "site");
    *id = r->params[1];
    if (*site != NULL && !is_uuid(*id)) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no closure with this id");
        return false;
    }
    return *site != NULL;
}

void
h_closures_get(struct request *r)
{
    const char *site, *id;
    struct db_doc d;
    enum db_qs qs;

    if (!closure_path(r, &site, &id))
        return;
    if ((qs = db_get_closure(r->db, site, id, &d)) < 0) {
        reply_db_error(r);
        return;
    }
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no closure with this id at this site");
        return;
    }
    reply_json_steal(r, 200, d.doc);
}

struct closure_ctx {
    const char *site, *from, *to, *note, *id;
    const json_t *patch; /* PATCH: the merge patch */
    struct db_languages lang;
    json_t *plain, *translations, *merged; /* owned: what the fields borrow */
    struct db_doc out;
};

static void
closure_ctx_clear(struct closure_ctx *c)
{
    json_decref(c->plain);
    json_decref(c->translations);
    json_decref(c->merged);
    c->plain = c->translations = c->merged = NULL;
    db_doc_clear(&c->out);
}

/*
 * Checks a closure's document (a POST body, or the stored one after a PATCH's merge) with every
 * error at once; a note is in main unless the document names its language. Replies 422 and
 * returns false otherwise.
 */
static bool
closure_check(struct request *r, const json_t *doc, const char *main, struct closure_ctx *c)
{
    struct jspec spec[] = {
        JS_DATEF("from", &c->from, JF_REQUIRED),
        JS_DATEF("to", &c->to, JF_REQUIRED),
        JS_TXT("note", &c->note, JF_NULLABLE, 500),
        JS_ENUMF("main_language", NULL, 0, i18n_languages),
        JS_IGNORE("language"),
        JS_RO("id"),
        JS_RO("site_id"),
        JS_RO("created_at"),
        JS_SPEC_END,
    };
    static const char *const note_only[] = {"note", NULL};
    json_t *errs = json_array();
    int32_t from, to;

    json_decref(c->plain);
    json_decref(c->translations);
    c->from = c->to = c->note = NULL;
    c->plain = jspec_check_i18n(doc, spec, note_only, main, &c->lang.main_language,
                                &c->translations, errs);
    c->lang.translations = c->translations;
    if (json_array_size(errs) == 0 && date_parse(c->from, &from) && date_parse(c->to, &to)) {
        if (to < from)
            field_error(errs, "to", "must not be before from");
        else if (to - from > CLOSURE_MAX_DAYS)
            field_error(errs, "to", "a closure lasts at most a year (366 days); add another");
    }
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the closure is not valid; see errors");
        return false;
    }
    json_decref(errs);
    return true;
}

static enum tx_result
create_tx(struct request *r, void *cls)
{
    struct closure_ctx *c = cls;
    enum tx_result res;

    db_doc_clear(&c->out);
    /* The site row is locked: the overlap check of the trigger then holds. */
    if ((res = may_manage(r, c->site, true)) != TX_COMMIT)
        return res;
    if (db_insert_closure(r->db, c->site, c->from, c->to, c->note, &c->lang, &c->out) <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    return audit(r, "create", "site_closure", c->out.id, NULL) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

void
h_closures_create(struct request *r)
{
    struct closure_ctx c = {.site = req_id(r, "site")};
    char main[4];

    if (c.site == NULL || !req_json_body(r, false))
        return;
    /* A note is in its site's main language unless it says otherwise. */
    entity_language(r, db_get_site, c.site, main);
    if (closure_check(r, r->json, main, &c) && run_tx(r, create_tx, &c)) {
        char loc[128];
        snprintf(loc, sizeof(loc), "/v1/sites/%s/closures/%s", c.site, c.out.id);
        reply_json_steal(r, 201, c.out.doc);
        c.out.doc = NULL;
        reply_header(r, "Location", loc);
    }
    closure_ctx_clear(&c);
}

static enum tx_result
patch_tx(struct request *r, void *cls)
{
    struct closure_ctx *c = cls;
    struct db_doc cur;
    enum tx_result res;
    enum db_qs qs;
    char main[4];

    db_doc_clear(&c->out);
    if ((res = may_manage(r, c->site, true)) != TX_COMMIT)
        return res;
    if ((qs = db_get_closure(r->db, c->site, c->id, &cur)) < 0)
        return TX_DB_ERROR;
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no closure with this id at this site");
        return TX_REPLIED;
    }
    snprintf(main, sizeof(main), "%s",
             json_string_value(json_object_get(cur.doc, "main_language")));
    json_decref(c->merged);
    json_t *before = json_deep_copy(cur.doc);
    c->merged = merge_writable_steal(&cur, c->patch);
    json_object_del(c->merged, "site_id"); /* read-only, as in a POST */
    if (!closure_check(r, c->merged, main, c)) {
        json_decref(before);
        return TX_REPLIED;
    }
    if (db_update_closure(r->db, c->site, c->id, c->from, c->to, c->note, &c->lang, &c->out) <= 0) {
        json_decref(before);
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    }
    json_t *changed = json_changed_fields(before, c->out.doc);
    qs = audit(r, "update", "site_closure", c->id, changed);
    json_decref(changed);
    json_decref(before);
    return qs < 0 ? TX_DB_ERROR : TX_COMMIT;
}

/* PATCH /v1/sites/{id}/closures/{cid}: a merge patch (its note in another language, new dates). */
void
h_closures_patch(struct request *r)
{
    struct closure_ctx c = {0};

    if (!closure_path(r, &c.site, &c.id) || !req_json_body(r, true))
        return;
    c.patch = r->json;
    if (run_tx(r, patch_tx, &c)) {
        reply_json_steal(r, 200, c.out.doc);
        c.out.doc = NULL;
    }
    closure_ctx_clear(&c);
}

static enum tx_result
delete_tx(struct request *r, void *cls)
{
    struct closure_ctx *c = cls;
    enum tx_result res;
    enum db_qs qs;

    if ((res = may_manage(r, c->site, true)) != TX_COMMIT)
        return res;
    /* The entry first, while the closure still says where it was (its places). */
    if (audit(r, "delete", "site_closure", c->id, NULL) < 0 ||
        (qs = db_delete_closure(r->db, c->site, c->id)) < 0)
        return TX_DB_ERROR;
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no closure with this id at this site");
        return TX_REPLIED;
    }
    return TX_COMMIT;
}

void
h_closures_delete(struct request *r)
{
    struct closure_ctx c = {0};

    if (!closure_path(r, &c.site, &c.id))
        return;
    if (run_tx(r, delete_tx, &c))
        reply_empty(r, 204);
}
