/* Endpoint handlers, one file per resource under service/stekd/handlers/. */
#ifndef STEK_HANDLERS_H
#define STEK_HANDLERS_H

#include "stek/http.h"
#include "stek/search.h"

#include <jansson.h>
#include <stdint.h>

/* search.c: q (and HSDS search=), the one search, as every list and the feed take it: for a
 * qspec, QS_SEARCH("q", &qs) analyses it (a 400 naming q says what is wrong); search_widen then
 * finds its parts and typos in the model's vocabulary (model) or the database's, false after
 * replying; qsearch_query is NULL when q was not given. Clear it in every case. */
struct qsearch {
    const char *text; /* q as given, or NULL */
    struct search_query query;
};
const char *qs_search(const char *v, void *out);
#define QS_SEARCH(n, o) QS_FN((n), (o), qs_search)
bool search_widen(struct request *r, struct qsearch *s, bool model);
const struct search_query *qsearch_query(const struct qsearch *s);
void qsearch_clear(struct qsearch *s);
/* feed.c: "open when I can go": day (mo..su, several with commas or the parameter repeated),
 * from_time and to_time
 * (HH:MM, local to the site), open_now, as the feed, the offers list and HSDS services take
 * them; qopen_finish checks them together (to_time after from_time) into a feed_open. */
struct qtime {
    bool has;
    int min;
};
struct qopen {
    uint8_t days;
    struct qtime from, to;
    const char *open_now;
};
const char *qs_days(const char *v, void *out);
const char *qs_hhmm(const char *v, void *out);
#define QS_OPEN(o)                                                                                 \
    QS_FN_MULTI("day", &(o)->days, qs_days), QS_FN("from_time", &(o)->from, qs_hhmm),              \
        QS_FN("to_time", &(o)->to, qs_hhmm), QS_BOOLEAN("open_now", &(o)->open_now)
struct feed_open;
void qopen_finish(const struct qopen *q, json_t *errs, struct feed_open *out);
/* The offers with an open occurrence (as o says) in the coming five weeks, as a uuid[] literal
 * (owned) into *ids; false after replying. */
bool feed_open_offers(struct request *r, const struct feed_open *o, char **ids);
void h_synonyms_list(struct request *r);
void h_synonyms_create(struct request *r);
void h_synonyms_delete(struct request *r);

/* health.c */
void h_healthz(struct request *r);
void h_readyz(struct request *r);
void h_openapi(struct request *r);
/* The public page and the widget (static.c). */
void h_static(struct request *r);
void h_metrics(struct request *r);

/* partners.c */
void h_partners_list(struct request *r);
void h_partners_create(struct request *r);
void h_partners_get(struct request *r);
void h_partners_patch(struct request *r);
void h_partners_delete(struct request *r);
/* calendars.c: a partner's calendars, synchronised into its offers */
void h_calendars_list(struct request *r);
void h_calendars_create(struct request *r);
void h_calendars_get(struct request *r);
void h_calendars_patch(struct request *r);
void h_calendars_delete(struct request *r);
void h_calendars_sync(struct request *r);
void h_calendars_runs(struct request *r);

/* sites.c */
void h_sites_list(struct request *r);
void h_sites_create(struct request *r);
void h_sites_get(struct request *r);
void h_sites_patch(struct request *r);
void h_sites_delete(struct request *r);

/* offers.c */
void h_offers_list(struct request *r);
void h_offers_create(struct request *r);
void h_offers_get(struct request *r);
void h_offers_patch(struct request *r);
void h_offers_delete(struct request *r);
void h_offers_confirm(struct request *r);
void h_offers_import(struct request *r);
void h_exceptions_list(struct request *r);
void h_exceptions_create(struct request *r);
void h_exceptions_get(struct request *r);
void h_closures_list(struct request *r);
void h_closures_create(struct request *r);
void h_closures_get(struct request *r);
void h_closures_delete(struct request *r);
void h_closures_patch(struct request *r);
void h_print_month(struct request *r);
void h_webhooks_list(struct request *r);
void h_webhooks_create(struct request *r);
void h_webhooks_get(struct request *r);
void h_webhooks_patch(struct request *r);
void h_webhooks_delete(struct request *r);
void h_webhooks_rotate(struct request *r);
void h_webhook_deliveries(struct request *r);
void h_webhook_redeliver(struct request *r);
void h_exceptions_delete(struct request *r);
void h_exceptions_patch(struct request *r);
/* uitdatabank.c: the UiTdatabank export of an offer */
void h_offers_uitdatabank(struct request *r);

/* feed.c: the fast paths answer from the cache; the handlers on a worker after a miss */
bool h_feed_json_cached(struct request *r);
bool h_feed_ics_cached(struct request *r);
/* What the public sees of the feed: no quiet offer (config.h: offer_quiet_before, as of the
 * service's today); since holds the bound f points to. */
struct feed_filter;
void feed_filter_public(struct feed_filter *f, char since[24]);
void h_feed_json(struct request *r);
void h_feed_ics(struct request *r);

/* signals.c */
void h_signals_create(struct request *r);
void h_signals_batch(struct request *r);
void h_signals_list(struct request *r);
void h_signals_get(struct request *r);
void h_signals_patch(struct request *r);
void h_themes_list(struct request *r);
void h_themes_create(struct request *r);

/* handoffs.c */
void h_handoffs_get(struct request *r);
void h_handoffs_arrive(struct request *r);

/* activity.c: an occurrence's public page with schema.org JSON-LD */
void h_activity(struct request *r);

/* hsds.c: Open Referral HSDS 3.0 */
void h_hsds_root(struct request *r);
void h_hsds_services(struct request *r);
void h_hsds_service(struct request *r);
void h_hsds_service_at_locations(struct request *r);
void h_hsds_service_at_location(struct request *r);
void h_hsds_organizations(struct request *r);
void h_hsds_organization(struct request *r);
void h_hsds_taxonomies(struct request *r);
void h_hsds_taxonomy(struct request *r);
void h_hsds_taxonomy_terms(struct request *r);
void h_hsds_taxonomy_term(struct request *r);

/* stats.c */
void h_stats_signals(struct request *r);
/* Who may ask /v1/stats/signals for the exact counts (?raw=true; a coordinator for its
 * municipalities only); openapi.yaml says it as x-stek-raw-roles. */
#define RAW_STATS_ROLES (R_ADMIN | R_READER | R_COORDINATOR)
void h_stats_answers(struct request *r);

/* keys.c */
void h_keys_list(struct request *r);
void h_keys_create(struct request *r);
void h_keys_get(struct request *r);
void h_me(struct request *r);
void h_keys_delete(struct request *r);
void h_keys_rotate(struct request *r);

/* audit.c */
void h_audit_list(struct request *r);

#endif
