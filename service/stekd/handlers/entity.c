#include "stek/entity.h"
#include "stek/i18n.h"
#include "stek/tx.h"
#include "stek/ids.h"
#include "stek/mergepatch.h"
#include "stek/qspec.h"

#include <stdio.h>
#include <string.h>

const char *
req_id(struct request *r, const char *what)
{
    if (r->nparams > 0 && is_uuid(r->params[0]))
        return r->params[0];
    reply_problem(r, ERR_NOT_FOUND, NULL, "no %s with this id", what);
    return NULL;
}

/*
 * The ETag of d's representation for this reader: localizes d->doc first, and
 * tags a representation in a language other than the record's main language.
 */
static void
representation_etag(struct request *r, struct db_doc *d, char etag[64])
{
    const char *m = json_string_value(json_object_get(d->doc, "main_language"));
    char main[8];
    snprintf(main, sizeof(main), "%s", m != NULL ? m : "");
    const char *used = reply_localize(r, d->doc);
    make_etag(etag, 64, d->id, d->version, used != NULL && strcmp(used, main) != 0 ? used : NULL);
}

void
reply_doc(struct request *r, unsigned status, struct db_doc *d, const char *location_base)
{
    char etag[64];

    representation_etag(r, d, etag);
    reply_json_steal(r, status, d->doc);
    d->doc = NULL;
    reply_header(r, "ETag", etag);
    if (location_base != NULL) {
        char loc[128];
        snprintf(loc, sizeof(loc), "%s/%s", location_base, d->id);
        reply_header(r, "Location", loc);
    }
}

void
reply_entity(struct request *r, const char *what, db_get_fn get)
{
    const char *id = req_id(r, what);
    const struct qspec spec[] = {QS_MISSING_LANGUAGES, QS_LANGUAGE, QS_SPEC_END};
    struct db_doc d;
    enum db_qs qs;
    char etag[64];

    if (id == NULL || !qspec_parse(r, spec))
        return;
    if ((qs = get(r->db, id, false, &d)) < 0) {
        reply_db_error(r);
        return;
    }
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no %s with this id", what);
        return;
    }
    /* (?missing_languages=true is answered by reply_localize, with the record's languages.) */
    representation_etag(r, &d, etag);
    if (req_if_none_match(r, etag)) {
        db_doc_clear(&d);
        reply_empty(r, 304);
        reply_header(r, "ETag", etag);
        return;
    }
    reply_json_steal(r, 200, d.doc);
    d.doc = NULL;
    reply_header(r, "ETag", etag);
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
    make_etag(etag, sizeof(etag), cur->id, cur->version, NULL);
    if (check_etag && !req_if_match(r, etag)) {
        db_doc_clear(cur);
        return TX_REPLIED;
    }
    return TX_COMMIT;
}

json_t *
merge_writable_steal(struct db_doc *cur, const json_t *patch)
{
    /* Translatable fields as objects of their languages: a patch changes one language. */
    json_t *doc = i18n_expand_steal(cur->doc);

    cur->doc = NULL;
    json_object_del(doc, "id");
    json_object_del(doc, "created_at");
    json_object_del(doc, "updated_at");
    json_object_del(doc, "confirmed_at"); /* an offer's: the server's */
    return merge_patch_steal(doc, patch);
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
    json_t *before = json_deep_copy(cur.doc);
    c->merged = merge_writable_steal(&cur, c->patch);
    if ((res = c->ops->update(r, c->id, c->merged, c->patch, &c->out)) != TX_COMMIT) {
        json_decref(before);
        return res;
    }
    json_t *changed = json_changed_fields(before, c->out.doc);
    enum db_qs qs = audit(r, "update", c->ops->what, c->id, changed);
    json_decref(changed);
    json_decref(before);
    return qs < 0 ? TX_DB_ERROR : TX_COMMIT;
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
    /* The entry first, while the record still says where it was (its places). */
    if (audit(r, "delete", c->ops->what, c->id, NULL) < 0)
        return TX_DB_ERROR;
    return c->ops->remove(r, c->id);
}

void
delete_entity(struct request *r, const struct entity_ops *ops)
{
    struct entity_ctx c = {.ops = ops, .id = req_id(r, ops->what)};

    if (c.id != NULL && run_tx(r, delete_tx, &c))
        reply_empty(r, 204);
}

void
entity_language(struct request *r, db_get_fn get, const char *id, char out[4])
{
    struct db_doc d = {0};
    const char *l = NULL;

    if (get(r->db, id, false, &d) > 0)
        l = json_string_value(json_object_get(d.doc, "main_language"));
    snprintf(out, 4, "%s", i18n_supported(l) ? l : "nl");
    db_doc_clear(&d);
}

const char *
owned_partner(struct request *r, const char *what)
{
    const char *partner = req_id(r, "partner");
    struct db_doc d;

    if (partner == NULL)
        return NULL;
    /* An admin any partner's; a reader any partner's, for the reads its routes allow it. */
    if (r->who.role == ROLE_PARTNER && strcmp(r->who.partner_id, partner) != 0) {
        reply_problem(r, ERR_FORBIDDEN, NULL, "a partner manages only its own %s", what);
        return NULL;
    }
    if (!reply_found(r, db_get_partner(r->db, partner, false, &d), "partner"))
        return NULL;
    db_doc_clear(&d);
    return partner;
}
