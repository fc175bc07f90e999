/* Helpers shared by the handlers (service/stekd/handlers/common.c). */
#ifndef STEK_HUTIL_H
#define STEK_HUTIL_H

#include "stek/db.h"
#include "stek/http.h"
#include "stek/tz.h"

#include <stdint.h>

/* Replies 503 when the database connection was lost, else 500. */
void reply_db_error(struct request *r);

/* Replies 200 {"items": [...], "next_cursor": ...}; takes page->items. */
void reply_page(struct request *r, struct db_page *page);

/*
 * Decodes ?cursor= into its two parts (a, b stay empty when there is none).
 * Replies 400 and returns false for a cursor this service did not make.
 */
bool req_cursor(struct request *r, const char *cursor, char a[32], char b[48]);

/*
 * The path parameter {id} of r when it is a UUID; otherwise replies 404
 * ("no <what> with this id") and returns NULL.
 */
const char *req_id(struct request *r, const char *what);

/*
 * Parses ?near=lat,lon and ?radius_km= (1 to 500, default 10) into decimal
 * text (each buffer 32 bytes); all stay "" when near is absent. Replies 400
 * and returns false when either is invalid or radius_km comes without near.
 */
bool req_near(struct request *r, char lat[32], char lon[32], char radius[32]);

/* Parses a true/false query parameter into "t"/"f" or NULL; replies 400 on other values. */
bool req_bool(struct request *r, const char *name, const char **out);

/* A timezone by IANA name, loaded once and shared read-only; NULL when unknown. */
const struct tz *tz_cached(const char *name);

/* Frees the loaded timezones (at shutdown). */
void tz_cache_free(void);

/* Today's date in Europe/Brussels, whose "today" the service's defaults use. */
int32_t service_today(void);

/* The API's four functions of a STEK: meeting, learning, referral, advocacy (NULL-ended). */
extern const char *const stek_functions[];

/*
 * A query parameter that must be one of choices (NULL-ended): true with *out
 * set (NULL when absent), or false after replying 400 that lists the choices.
 */
bool req_choice(struct request *r, const char *name, const char *const *choices, const char **out);

/* How a constraint the database refused is told to the client. */
struct constraint_reply {
    const char *constraint; /* its name in the migrations; NULL ends a table */
    enum stek_err err;      /* ERR_VALIDATION (422) or ERR_CONFLICT (409) */
    const char *field;
    const char *message;
};

/*
 * After a failed write: replies for the constraint of the last statement when
 * table names it (the field prefixed with prefix, such as "signals[2]."), and
 * with a 422 without a field for any other CHECK or data error. False for any
 * other failure, which the caller turns into 503/500.
 */
bool reply_constraint(struct request *r, const struct constraint_reply *table, const char *prefix);

/*
 * A free-text query parameter of 1 to max characters: true with *out set (NULL
 * when absent), or false after replying 400.
 */
bool req_text(struct request *r, const char *name, size_t max, const char **out);

/* Replies 400 naming the query parameter. */
void reply_bad_param(struct request *r, const char *name, const char *message);

/*
 * A transaction body: returns TX_COMMIT to commit, TX_REPLIED when it has set
 * an error reply (rolled back), or TX_DB_ERROR after a failed statement
 * (retried when the failure was a serialization failure or deadlock).
 * It may run more than once, so it must reset what it produces on entry.
 */
enum tx_result { TX_COMMIT, TX_REPLIED, TX_DB_ERROR };
typedef enum tx_result (*tx_fn)(struct request *r, void *cls);

/* Runs fn in a transaction (up to 3 tries); true when committed. Replies on failure. */
bool run_tx(struct request *r, tx_fn fn, void *cls);

/* Records a write of the authenticated key in the audit log (inside the caller's transaction). */
enum db_qs audit(struct request *r, const char *action, const char *entity, const char *id);

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

/* Sets ETag and replies 200 (or 201 with Location) with the document; takes d->doc. */
void reply_doc(struct request *r, unsigned status, struct db_doc *d, const char *location_base);

#endif
