/*
 * The database layer. Only files under service/stekd/db/ see libpq; the rest
 * of the daemon calls the typed functions below, one per SQL statement, each
 * named after its prepared statement.
 *
 * A struct db_conn belongs to exactly one thread (a worker) for its whole
 * life: connections are never shared.
 *
 * Results are typed: the positive number of rows, DB_NO_ROWS, or one kind
 * of failure (all negative, so "qs < 0" is any failure). The database's
 * SQLSTATEs stay inside db/: callers see DB_UNIQUE, DB_FOREIGN_KEY and
 * DB_CHECK (with the constraint's name from db_constraint), DB_RETRY (run the
 * transaction again), or DB_HARD_ERROR (connection lost or a bug: 503/500).
 */
#ifndef STEK_DB_H
#define STEK_DB_H

#include "stek/feed.h"
#include "stek/ids.h"
#include "stek/offer.h"
#include "stek/secrets.h"
#include "stek/stats.h"

#include <jansson.h>

struct search_config;
struct search_query;
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum db_qs {
    DB_HARD_ERROR = -5,  /* the connection was lost, or a statement failed unexpectedly */
    DB_RETRY = -4,       /* a serialization failure or deadlock: the transaction may run again */
    DB_UNIQUE = -3,      /* a unique constraint refused the row */
    DB_FOREIGN_KEY = -2, /* a foreign key refused the row (or still refers to it) */
    DB_CHECK = -1,       /* a CHECK or NOT NULL constraint, or a value out of the type's range */
    DB_NO_ROWS = 0
};

struct db_conn;

/* Creates an unconnected handle for url (copied). Never NULL. */
struct db_conn *db_conn_new(const char *url, const char *application_name,
                            int statement_timeout_ms);

/* Closes and frees; NULL is a no-op. */
void db_conn_free(struct db_conn *c);

/*
 * Makes sure the connection is usable: connects (or reconnects after a loss,
 * at most once a second) and prepares every statement. False when the
 * database cannot be reached now.
 */
bool db_conn_ensure(struct db_conn *c);

/*
 * Marks the start of a request's work on the connection. After a failure,
 * db_conn_lost_at_start tells whether the connection was found dead by the
 * request's very first statement: nothing of the request ran, so it may be
 * run again on a fresh connection (a connection idle in the pool may have
 * been closed by the server).
 */
void db_conn_begin_request(struct db_conn *c);
bool db_conn_lost_at_start(const struct db_conn *c);

/* True when the last failure was the connection itself (the database is unavailable). */
bool db_conn_lost(const struct db_conn *c);
/* True when the last failure was the server out of a resource (SQLSTATE class 53: its disk
 * full, out of memory, at its connection limit): a write answers 503 with Retry-After, and the
 * next one tries again. */
bool db_out_of_room(const struct db_conn *c);
/* True when the last statement was cancelled by a statement timeout or a conflict with the
 * recovery a replica is replaying (SQLSTATE 57014, 40001): on a replica, worth once more on the
 * primary. */
bool db_replica_conflict(const struct db_conn *c);

/* The libpq error message of the last connection failure ("" if none). */
const char *db_conn_error(const struct db_conn *c);

/* The failure of the last statement (DB_NO_ROWS when it succeeded). */
enum db_qs db_last_failure(const struct db_conn *c);

/* The constraint the last statement broke ("" if none or not known). */
const char *db_constraint(const struct db_conn *c);

/* Transactions. db_rollback is a no-op outside a transaction. */
enum db_qs db_begin(struct db_conn *c);
/* A read-only transaction whose statements all see the same snapshot (REPEATABLE READ). */
enum db_qs db_begin_snapshot(struct db_conn *c);
enum db_qs db_commit(struct db_conn *c);
void db_rollback(struct db_conn *c);

/* A page of a list: the item documents and the sort key of the last one. */
struct db_page {
    void *result; /* owned: the PGresult whose first column holds the documents' JSON text */
    int n;        /* documents on the page */
    char last_a[32];
    char last_b[48];
    bool more; /* another page follows */
};

/* The JSON text of document i (0 <= i < page->n), as the database made it; borrowed. */
const char *db_page_doc(const struct db_page *page, int i);

/* ---- rate limits shared across daemons (ratecounts.c) ---- */

struct db_rate_count {
    int kind;
    const char *key;
    unsigned count;
};
typedef void (*db_rate_fn)(int kind, const char *key, unsigned count, void *arg);

/*
 * Writes this daemon's (daemon: its UUID) counts of minute (since 1970, in minutes), calls
 * others for each (kind, key) the other daemons counted in it, and forgets older minutes.
 */
enum db_qs db_rate_sync(struct db_conn *c, const char *daemon, long long minute,
                        const struct db_rate_count *mine, size_t n, db_rate_fn others, void *arg);

/* The primary's WAL position now ("16/B374D848"): 1, or an error. */
enum db_qs db_current_lsn(struct db_conn *c, char out[32]);

/* What a replica has replayed (a primary: its position now): 1, or an error. */
enum db_qs db_replayed_lsn(struct db_conn *c, char out[32]);

/* Frees what the page holds. */
void db_page_clear(struct db_page *page);

/* One entity read back as its JSON document and version (for the ETag). */
struct db_doc {
    json_t *doc; /* owned */
    long version;
    char id[48];
};

void db_doc_clear(struct db_doc *d);

/* ---- schema (schema.c) ---- */

/*
 * Compares the applied migrations with the ones this binary was built with.
 * Writes the names of the missing ones, comma-separated, into missing, and the
 * first applied migration newer than this build that is not marked compatible
 * ("-- stek:compatible": README "Upgrading") into ahead ("" when none).
 * Returns the number missing, or DB_HARD_ERROR.
 */
int db_schema_missing(struct db_conn *c, char *missing, size_t len, char *ahead, size_t ahead_len);

/* ---- partners (partners.c) ---- */

/* A record's language (i18n.h): its main language and its other languages' texts. */
struct db_languages {
    const char *main_language;  /* nl, fr, en, de */
    const json_t *translations; /* {lang: {field: text}}; NULL: none */
};

struct partner_fields {
    const char *name, *kind, *description, *website, *email, *phone;
    const char *uitdatabank_organizer_id; /* the partner as an organizer in UiTdatabank, or NULL */
    bool active;
    struct db_languages lang;
};

enum db_qs db_list_partners(struct db_conn *c, const char *after_a, const char *after_b, int limit,
                            const char *active, struct db_page *page);
enum db_qs db_get_partner(struct db_conn *c, const char *id, bool for_update, struct db_doc *out);
enum db_qs db_insert_partner(struct db_conn *c, const struct partner_fields *f, struct db_doc *out);
enum db_qs db_update_partner(struct db_conn *c, const char *id, const struct partner_fields *f,
                             struct db_doc *out);
enum db_qs db_delete_partner(struct db_conn *c, const char *id);

/* ---- sites (sites.c) ---- */

/* Text values as the statements take them; NULL is SQL NULL. */
struct site_fields {
    const char *name, *kind, *model, *description, *street, *postal_code, *municipality, *country;
    const char *lat, *lon; /* decimal text, both NULL or both set */
    const char *timezone, *email, *phone, *accessibility, *coordinator_partner_id;
    const char *uitdatabank_place_id; /* the site's place in UiTdatabank, or NULL */
    bool active;
    struct db_languages lang;
};

struct site_filter {
    const char *municipality, *postal_code, *model, *active;
    const struct search_query *search;           /* q (search.h), or NULL */
    const char *near_lat, *near_lon, *radius_km; /* all NULL, or all set */
};

enum db_qs db_list_sites(struct db_conn *c, const char *after_a, const char *after_b,
                         const struct site_filter *f, int limit, struct db_page *page);
enum db_qs db_get_site(struct db_conn *c, const char *id, bool for_update, struct db_doc *out);
enum db_qs db_insert_site(struct db_conn *c, const struct site_fields *f, struct db_doc *out);
enum db_qs db_update_site(struct db_conn *c, const char *id, const struct site_fields *f,
                          struct db_doc *out);
enum db_qs db_delete_site(struct db_conn *c, const char *id);
/* The municipalities of the active sites, by name (a new array into out, or NULL on error). */
enum db_qs db_known_municipalities(struct db_conn *c, json_t **out);

/* ---- offers (offers.c) ---- */

struct offer_fields {
    const char *title, *description, *site_id, *partner_id;
    const json_t *functions, *categories; /* arrays of validated names; categories NULL: none */
    const char *audience, *price_note, *email, *phone;
    const char *registration; /* none | required, or NULL: not said */
    const char *kind;         /* activity | opening_hours */
    enum offer_fact free;
    bool active;
    struct db_languages lang;
};

struct schedule_fields {
    const char *site_id, *dtstart, *until, *rrule, *start_time, *end_time;
};

struct offer_filter {
    const char *site, *partner, *municipality, *function, *category, *free, *active;
    const struct search_query *search; /* q, analysed and widened (search.h), or NULL */
    const char *open_ids;     /* only these offers (a uuid[] literal: feed_open_offers), or NULL */
    const char *stale;        /* "t": only stale offers, "f": only the others, NULL: all */
    const char *stale_before; /* seconds since 1970: confirmed before is stale */
};

enum db_qs db_list_offers(struct db_conn *c, const char *after_a, const char *after_b,
                          const struct offer_filter *f, int limit, struct db_page *page);
enum db_qs db_get_offer(struct db_conn *c, const char *id, bool for_update, struct db_doc *out);
/* Writes the new id (37 bytes) on success. */
enum db_qs db_insert_offer(struct db_conn *c, const struct offer_fields *f, char *id_out);
enum db_qs db_update_offer(struct db_conn *c, const char *id, const struct offer_fields *f);
/* Replaces every schedule of the offer by s[0..n). */
enum db_qs db_replace_schedules(struct db_conn *c, const char *offer_id,
                                const struct schedule_fields *s, int n);
enum db_qs db_delete_offer(struct db_conn *c, const char *id);
/* A site (site true) or partner by its id or exact name: 1 with its id, 2 when the name is
 * ambiguous, DB_NO_ROWS when none. */
enum db_qs db_resolve(struct db_conn *c, bool site, const char *name, char id[40]);
/* Marks the offer confirmed now (its document with it into out); DB_NO_ROWS when unknown. */
enum db_qs db_confirm_offer(struct db_conn *c, const char *id, struct db_doc *out);
/* offer.confirmation_due to the partners of active offers confirmed before due_before (once
 * per confirmation); the number announced. */
enum db_qs db_remind_confirmations(struct db_conn *c, int64_t due_before, unsigned confirm_days,
                                   unsigned grace_days);

struct exception_fields {
    const char *date, *status, *start_time, *end_time, *site_id, *note;
    struct db_languages lang;
};

enum db_qs db_list_exceptions(struct db_conn *c, const char *offer_id, const char *after_day,
                              int limit, struct db_page *page);
/* out->version is 1 when the exception is new, 0 when it replaced one. */
enum db_qs db_upsert_exception(struct db_conn *c, const char *offer_id,
                               const struct exception_fields *f, struct db_doc *out);
/* One exception of an offer by its date (YYYY-MM-DD). */
enum db_qs db_get_exception(struct db_conn *c, const char *offer_id, const char *date,
                            struct db_doc *out);
enum db_qs db_delete_exception(struct db_conn *c, const char *offer_id, const char *date);

/* ---- the feed (feed.c; struct feed_filter and struct db_feed are in feed.h) ---- */

enum db_qs db_feed_rows(struct db_conn *c, const struct feed_filter *f, struct db_feed *out);

/* Frees what out holds; a cleared or zeroed db_feed is fine. */
void db_feed_clear(struct db_feed *out);

/* ---- themes and signals (signals.c) ---- */

/* Themes by code, after the first `after` of them (NULL: from the first). */
enum db_qs db_list_themes(struct db_conn *c, const char *after, int limit, struct db_page *page);
/* A theme's labels: nl and en required, fr and de may be NULL. */
struct theme_labels {
    const char *nl, *en, *fr, *de;
};
enum db_qs db_insert_theme(struct db_conn *c, const char *code, const struct theme_labels *l,
                           struct db_doc *out);

struct signal_fields {
    const char *kind, *theme, *site_id, *occurred_on, *partner_id, *referred_to_partner_id;
    const char *note, *handoff_code, *handoff_expires_on;
};

struct signal_filter {
    const char *partner; /* visible to this partner; NULL: all (admin) */
    const char *scope;   /* at sites in these municipalities (an array literal); NULL: any */
    const char *kind, *theme, *site, *from, *to, *status;
};

/*
 * Stores a new signal under (partner, key) in one statement: 1 and the
 * document, or DB_NO_ROWS when the key was used before (see db_replay_signal).
 */
enum db_qs db_create_signal(struct db_conn *c, const char *key, const char *request_hash,
                            const char *signal_id, const char *key_id,
                            const struct signal_fields *f, struct db_doc *out);
/* The earlier request's hash (65 bytes) and the signal it made (owned by the caller). */
enum db_qs db_replay_signal(struct db_conn *c, const char *partner_id, const char *key,
                            char hash[65], json_t **doc);
enum db_qs db_get_signal(struct db_conn *c, const char *id, const char *visible_to, bool for_update,
                         struct db_doc *out);
enum db_qs db_list_signals(struct db_conn *c, const char *before, const struct signal_filter *f,
                           int limit, struct db_page *page);
enum db_qs db_update_signal_status(struct db_conn *c, const char *id, const char *status,
                                   const char *raised_with, const char *answer, struct db_doc *out);
enum db_qs db_insert_signal_history(struct db_conn *c, const char *id, const char *key_id,
                                    const char *from, const char *to, const char *raised_with,
                                    const char *answer);
/* A handoff valid on today (the service's day, YYYY-MM-DD: expiry days are days there). */
enum db_qs db_get_handoff(struct db_conn *c, const char *code, const char *partner_id,
                          const char *today, bool arrive, struct db_doc *out);

/*
 * The finest cells of signal counts in [from, to] (kind NULL: both kinds);
 * *cells is malloc'd: free it with stat_cells_free.
 */
enum db_qs db_signal_cells(struct db_conn *c, const char *from, const char *to,
                           const char *municipality, const char *site, const char *kind,
                           struct stat_cell **cells, size_t *n);

/* Frees cells from db_signal_cells (NULL is fine). */
void stat_cells_free(struct stat_cell *cells, size_t n);

/* Marks a barrier's answer public (or not); DB_NO_ROWS for a referral or an unknown id. */
enum db_qs db_update_signal_public(struct db_conn *c, const char *id, bool public_,
                                   struct db_doc *out);

struct answer_filter {
    const char *municipality, *site, *from, *to, *theme; /* NULL: any */
    const char *timezone; /* the service's: the month an answer was given is a month there */
};

/* Distinct public answers by theme, the most recent first; after: a position from a cursor. */
enum db_qs db_list_public_answers(struct db_conn *c, const struct answer_filter *f,
                                  const char *after, int limit, struct db_page *page);

/* Retention: erase notes of signals created before, and idempotency keys older than. */
enum db_qs db_erase_old_notes(struct db_conn *c, const char *before);
enum db_qs db_delete_old_idempotency_keys(struct db_conn *c, const char *before);

/* ---- site closures (closures.c) ---- */

enum db_qs db_insert_closure(struct db_conn *c, const char *site_id, const char *from,
                             const char *to, const char *note, const struct db_languages *lang,
                             struct db_doc *out);
/* Replaces a closure's fields (PATCH); DB_NO_ROWS when the site has no such closure. */
enum db_qs db_update_closure(struct db_conn *c, const char *site_id, const char *id,
                             const char *from, const char *to, const char *note,
                             const struct db_languages *lang, struct db_doc *out);
/* A site's closures by start date; after_day (days since 1970) and after_id from a cursor. */
enum db_qs db_list_closures(struct db_conn *c, const char *site_id, const char *after_day,
                            const char *after_id, int limit, struct db_page *page);
enum db_qs db_get_closure(struct db_conn *c, const char *site_id, const char *id,
                          struct db_doc *out);
enum db_qs db_delete_closure(struct db_conn *c, const char *site_id, const char *id);
/* 1 when the partner runs an offer at the site (the offer's own site or a schedule's). */
/* Whether every place of a record (entity and id as the audit trail names them, or
 * "municipality" and a name) lies in scope, a coordinator's municipalities (an array literal):
 * a row when it does, DB_NO_ROWS when not (or no such record). */
enum db_qs db_in_scope(struct db_conn *c, const char *scope, const char *entity, const char *id);
enum db_qs db_partner_runs_offer_at(struct db_conn *c, const char *site_id, const char *partner_id);

/* ---- webhooks (webhooks.c) ---- */

/* events: an array of validated event names. */
enum db_qs db_insert_webhook(struct db_conn *c, const char *id, const char *partner,
                             const char *url, const json_t *events, const char *description,
                             const char *secret, struct db_doc *out);
enum db_qs db_list_webhooks(struct db_conn *c, const char *partner, const char *after_a,
                            const char *after_b, int limit, struct db_page *page);
enum db_qs db_get_webhook(struct db_conn *c, const char *partner, const char *id,
                          struct db_doc *out);
/* url, events, active NULL: unchanged; description_given: set description (NULL clears). */
enum db_qs db_update_webhook(struct db_conn *c, const char *partner, const char *id,
                             const char *url, const json_t *events, bool description_given,
                             const char *description, const char *active, struct db_doc *out);
enum db_qs db_delete_webhook(struct db_conn *c, const char *partner, const char *id);
enum db_qs db_rotate_webhook_secret(struct db_conn *c, const char *partner, const char *id,
                                    const char *secret, struct db_doc *out);
enum db_qs db_list_deliveries(struct db_conn *c, const char *webhook, const char *after_seq,
                              int limit, struct db_page *page);
enum db_qs db_redeliver(struct db_conn *c, const char *webhook, const char *id, struct db_doc *out);

/* One claimed delivery (owned by the delivery thread; free with webhook_jobs_free). */
struct webhook_job {
    char id[40], webhook_id[40], event_type[40];
    char *payload, *url;
    char secret[SECRET_STORED_MAX], previous_secret[SECRET_STORED_MAX]; /* as stored; "": none */
    int attempts;
    long long age_s; /* since the event was made */
};

/* Secrets as stored (secrets.h): a webhook's (its secret, and the previous one) or a
 * calendar's (its address, with no previous). */
struct stored_secret {
    bool calendar;
    char id[40], secret[SECRET_STORED_MAX], previous[SECRET_STORED_MAX]; /* previous "": none */
};
/* The ids of the keys that sealed stored secrets into out, comma-separated: DB_NO_ROWS when
 * none is sealed. */
enum db_qs db_sealed_key_ids(struct db_conn *c, char *out, size_t len);
/* The webhooks and calendars whose secrets are not all sealed under key_id (plain ones too):
 * a new array into *out (free it), *n of them. */
enum db_qs db_secrets_not_under(struct db_conn *c, const char *key_id, struct stored_secret **out,
                                size_t *n);
/* Stores a record's secrets sealed anew, unless they are no longer as was read them. */
enum db_qs db_reseal(struct db_conn *c, const struct stored_secret *was, const char *secret,
                     const char *previous);
enum db_qs db_claim_deliveries(struct db_conn *c, int max, int lease_s, struct webhook_job **jobs,
                               size_t *n);
void webhook_jobs_free(struct webhook_job *jobs, size_t n);
/* status: delivered | failed | pending (then retried after retry_ms); http_status 0: none. */
enum db_qs db_finish_delivery(struct db_conn *c, const char *id, const char *status,
                              int http_status, const char *error, long retry_ms);
/* Events waiting for delivery, and the age of the oldest in seconds. */
enum db_qs db_outbox_stats(struct db_conn *c, long *depth, long *oldest_s);
/* Records whether the subscription's last attempt succeeded; pauses it after 3 failing days. */
enum db_qs db_webhook_health(struct db_conn *c, const char *webhook, bool ok);

/* ---- Open Referral HSDS 3.0 (hsds.c) ---- */

/* The reads of /hsds/; the parameters of each are described in statements.def. */
enum hsds_query {
    HSDS_SERVICES,
    HSDS_SERVICE,
    HSDS_SERVICE_AT_LOCATIONS,
    HSDS_SERVICE_AT_LOCATION,
    HSDS_ORGANIZATIONS,
    HSDS_ORGANIZATION,
    HSDS_TAXONOMIES,
    HSDS_TAXONOMY,
    HSDS_TAXONOMY_TERMS,
    HSDS_TAXONOMY_TERM,
};

/* Runs one and reads its single document: 1, DB_NO_ROWS or an error. */
enum db_qs db_hsds(struct db_conn *c, enum hsds_query q, const char *const *params, size_t nparams,
                   struct db_doc *out);

/* ---- partners' calendars (calendars.c) ---- */

/* A calendar source as written: NULL fields are unchanged in an update. */
struct calendar_fields {
    const char *id, *partner_id, *url, *url_shown, *site_id, *main_language;
    const json_t *functions, *categories; /* lists of names */
};
enum db_qs db_insert_calendar(struct db_conn *c, const struct calendar_fields *f, int first_in_s,
                              struct db_doc *out);
enum db_qs db_list_calendars(struct db_conn *c, const char *partner, const char *after_a,
                             const char *after_b, int limit, struct db_page *page);
enum db_qs db_get_calendar(struct db_conn *c, const char *partner, const char *id,
                           struct db_doc *out);
/* active: "t", "f" or NULL (unchanged). */
enum db_qs db_update_calendar(struct db_conn *c, const struct calendar_fields *f,
                              const char *active, struct db_doc *out);
/* Archives the source's offers (they become the partner's own) and deletes the source. */
enum db_qs db_delete_calendar(struct db_conn *c, const char *partner, const char *id);

/* What a sync needs: the stored (maybe sealed) address, the source's partner, site and its
 * time zone, what its offers are, and the validators of the last answer. */
struct calendar_source {
    char url[4608], partner_id[40], site_id[40], timezone[64], main_language[4];
    char etag[304], last_modified[104];
    json_t *functions, *categories; /* owned */
};
enum db_qs db_calendar_for_sync(struct db_conn *c, const char *id, struct calendar_source *out);
void calendar_source_clear(struct calendar_source *s);
/* The next source due, claimed for period_s seconds (its next sync moved on): its id. */
enum db_qs db_claim_calendar(struct db_conn *c, int period_s, char id[40]);

/* An offer a source made. */
struct source_offer {
    char id[40], uid[256], hash[65];
    bool active;
    bool confirm_due; /* last confirmed a day ago or more */
};
enum db_qs db_source_offers(struct db_conn *c, const char *calendar, struct source_offer **out,
                            size_t *n);
struct source_offer_fields {
    const char *title, *description, *site_id, *partner_id, *main_language;
    const json_t *functions, *categories;
    const char *calendar_id, *uid, *hash;
};
/* Updates offer id from the event (active, confirmed), or with id NULL makes a new one
 * (its id into new_id). */
enum db_qs db_write_source_offer(struct db_conn *c, const char *id,
                                 const struct source_offer_fields *f, char new_id[40]);
enum db_qs db_delete_offer_exceptions(struct db_conn *c, const char *offer);
/* Archives the source's active offers whose UID is not in uids (a list); their ids into a
 * new array *ids (free it). */
enum db_qs db_archive_source_offers(struct db_conn *c, const char *calendar, const json_t *uids,
                                    char (**ids)[40], size_t *n);
enum db_qs db_reconfirm_source_offers(struct db_conn *c, const char *calendar);
enum db_qs db_finish_calendar_sync(struct db_conn *c, const char *id, bool ok, const char *etag,
                                   const char *last_modified);

/* A sync's report. */
struct calendar_report {
    bool ok;
    long http_status, ms;
    char error[300];
    int created, updated, unchanged, archived;
    json_t *refused; /* [{uid, field, reason}] (owned by the caller) */
};
enum db_qs db_insert_calendar_run(struct db_conn *c, const char *calendar,
                                  const struct calendar_report *r, struct db_doc *out);
enum db_qs db_list_calendar_runs(struct db_conn *c, const char *calendar, const char *before,
                                 int limit, struct db_page *page);
enum db_qs db_announce_failing_calendars(struct db_conn *c);
/* Active sources failing for 3 days; -1 when the database could not say. */
long db_count_failing_calendars(struct db_conn *c);

/* ---- stored texts (texts.c) ---- */

/* One stored text: entity ("offer"), its id, the field, the text (all borrowed for the call). */
typedef void (*db_text_cb)(const char *entity, const char *id, const char *field, const char *text,
                           void *arg);

/* Calls cb for every stored free text (names, descriptions, notes, labels); the row count. */
enum db_qs db_stored_texts(struct db_conn *c, db_text_cb cb, void *arg);

/* ---- keys (keys.c) ---- */

struct key_auth {
    char id[48];
    char role[16];
    char partner_id[48];
    bool revoked;
    bool archived;         /* the key's partner is archived (active = false) */
    int64_t valid_until;   /* seconds since 1970: the key's end, or a replaced token's grace */
    bool replaced;         /* the token is the one a rotation replaced */
    char scope[SCOPE_MAX]; /* a coordinator's municipalities (an array literal), else "" */
};

enum db_qs db_auth_key(struct db_conn *c, const char *token_hash, struct key_auth *out);
/* The key's revoked and archived state as committed now; DB_NO_ROWS when it is gone. */
enum db_qs db_key_state(struct db_conn *c, const char *key_id, bool *revoked, bool *archived);
/* A new key that works until expires_at (seconds since 1970); municipalities: a
 * coordinator's, as a JSON array of names (else NULL). */
enum db_qs db_insert_key(struct db_conn *c, const char *name, const char *role,
                         const char *partner_id, const char *prefix, const char *token_hash,
                         int64_t expires_at, const char *municipalities, struct db_doc *out);
/* A new token for key id (prefix, hash) that works until expires_at; the replaced one works
 * grace_hours more (0: not). DB_NO_ROWS when the key is unknown, revoked or expired. */
enum db_qs db_rotate_key(struct db_conn *c, const char *id, const char *token_hash,
                         const char *prefix, int grace_hours, int64_t expires_at,
                         struct db_doc *out);
/* Notes that key id was used on day (the service's day: never a time). */
enum db_qs db_touch_key(struct db_conn *c, const char *id, int32_t day);
/* Announces partners' keys that end within 14 days to their webhooks (once per key end);
 * the number announced. */
enum db_qs db_announce_expiring_keys(struct db_conn *c);
enum db_qs db_list_keys(struct db_conn *c, const char *after_a, const char *after_b, int limit,
                        struct db_page *page);
enum db_qs db_get_key(struct db_conn *c, const char *id, struct db_doc *out);
enum db_qs db_revoke_key(struct db_conn *c, const char *id);

/* ---- audit (audit.c) ---- */

/* Records a write; key_id NULL for the command line; fields: names changed, or NULL. */
enum db_qs db_insert_audit(struct db_conn *c, const char *key_id, const char *action,
                           const char *entity, const char *entity_id, const json_t *fields);
/* scope: a coordinator's municipalities (an array literal): only entries at places among
 * them; NULL for every entry. */
enum db_qs db_list_audit(struct db_conn *c, const char *before_seq, const char *entity,
                         const char *entity_id, const char *key_id, const char *scope, int limit,
                         struct db_page *page);

/* ---- search (search.c; search.h says what it is) ---- */

/* The stop words and synonyms read last (NULL before the first read). */
const struct search_config *search_config_current(void);
/* Its generation, part of a cached answer's key; and a change to read (this daemon wrote one,
 * or NOTIFY stek_search said another did: the listener reads it). */
uint64_t search_config_generation(void);
void search_changed_here(void);
bool search_config_stale(void);
/* Reads them again now, with c (after a synonym was written through c). */
enum db_qs db_search_reload(struct db_conn *c);
/* Answers q's probes from search_words. */
enum db_qs db_search_expand(struct db_conn *c, struct search_query *q);
/* The terms PostgreSQL makes of text in lang (stek_search_terms: a JSON array, sorted). */
enum db_qs db_search_analyse(struct db_conn *c, const char *text, const char *lang, json_t **terms);
/* ---- synonyms ---- */
enum db_qs db_list_synonyms(struct db_conn *c, struct db_page *page);
enum db_qs db_insert_synonyms(struct db_conn *c, const char *language, const char *terms,
                              struct db_doc *out);
enum db_qs db_delete_synonyms(struct db_conn *c, const char *id);

#endif
