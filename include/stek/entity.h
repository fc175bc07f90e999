/*
 * The generic GET, PATCH and DELETE of a versioned entity (partners, sites,
 * offers): ETags, If-Match, merge patches, 404 for what a key may not see
 * (service/stekd/handlers/entity.c).
 */
#ifndef STEK_ENTITY_H
#define STEK_ENTITY_H

#include "stek/db.h"
#include "stek/http.h"
#include "stek/tx.h"

/*
 * The path parameter {id} of r when it is a UUID; otherwise replies 404
 * ("no <what> with this id") and returns NULL.
 */
const char *req_id(struct request *r, const char *what);

/* Reads one versioned entity: db_get_partner, db_get_site, db_get_offer. */
typedef enum db_qs (*db_get_fn)(struct db_conn *c, const char *id, bool for_update,
                                struct db_doc *out);

/* Decides whether the request's key may see (and so write) a document; NULL: any. */
typedef bool (*visible_fn)(const struct request *r, const json_t *doc);

/*
 * GET of a versioned entity by the {id} of the path: 404 naming what, ETag,
 * If-None-Match answered with 304, otherwise 200 with Cache-Control: no-cache.
 */
void reply_entity(struct request *r, const char *what, db_get_fn get);

/*
 * Reads an entity for a write, locked: 404 when it does not exist or is not
 * visible to the key, then (with check_etag) 412 when If-Match is stale. On
 * TX_COMMIT cur holds the document (the caller clears it).
 */
enum tx_result lock_entity(struct request *r, const char *what, db_get_fn get, visible_fn visible,
                           const char *id, bool check_etag, struct db_doc *cur);

/*
 * Applies a merge patch to the writable part of cur's document (without id,
 * created_at and updated_at, which the patch may therefore not set) and
 * returns the result; takes cur->doc.
 */
json_t *merge_writable_steal(struct db_doc *cur, const json_t *patch);

/* How one kind of versioned entity is changed and deleted (partners, sites, offers). */
struct entity_ops {
    const char *what; /* "partner": in messages and in the audit log */
    db_get_fn get;
    visible_fn visible; /* NULL: every key may see every one */
    /* Checks the document after the merge patch and stores it; TX_COMMIT with *out set. */
    enum tx_result (*update)(struct request *r, const char *id, const json_t *merged,
                             const json_t *patch, struct db_doc *out);
    /* Deletes it; TX_REPLIED after a reply of its own (a 409). */
    enum tx_result (*remove)(struct request *r, const char *id);
};

/*
 * PATCH /.../{id} as a JSON merge patch: 404, If-Match (412), the merge on the
 * writable fields, ops->update, the audit entry, and 200 with the new ETag.
 */
void patch_entity(struct request *r, const struct entity_ops *ops);

/* DELETE /.../{id}: 404, If-Match (412), ops->remove, the audit entry, 204. */
void delete_entity(struct request *r, const struct entity_ops *ops);

/*
 * The main language of the entity id (read with get), into out: what a note of
 * it is written in unless the note says otherwise; "nl" when it is not found.
 */
void entity_language(struct request *r, db_get_fn get, const char *id, char out[4]);

/* Sets ETag and replies 200 (or 201 with Location) with the document; takes d->doc. */
void reply_doc(struct request *r, unsigned status, struct db_doc *d, const char *location_base);

/* The partner of the path ({id}) when this key may manage its `what` (webhooks, calendars):
 * an admin any partner's, a partner its own (else 403), a reader for the reads its routes
 * allow; 404 for an unknown partner. NULL after replying. */
const char *owned_partner(struct request *r, const char *what);

#endif
