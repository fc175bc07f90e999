/*
 * /hsds/: the Open Referral HSDS 3.0 read API (its schema/openapi.json, branch 3.0) over the
 * same data: a service per offer, an organization per partner, a location per site, a
 * service_at_location per offer and site it takes place at, and three taxonomies (the
 * functions, the categories, the themes). The documents are built by the database
 * (migration 0016); what HSDS cannot say is in x_stek_ fields, described by the profile at
 * /hsds/profile.
 */
#include "stek/entity.h"
#include "stek/handlers.h"
#include "stek/feed.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/ids.h"
#include "stek/qspec.h"
#include "stek/reply.h"
#include "stek/request.h"

#include <stdio.h>
#include <string.h>

#define HSDS_PER_PAGE_MAX 100

static const char *const formats[] = {"json", NULL};

/* page, per_page and format: HSDS's paging (format=json only: no ndjson stream). */
struct hsds_paging {
    int page, per_page;
    char page_s[16], per_page_s[16];
};

#define QS_HSDS_PAGING(p)                                                                          \
    QS_INTEGER("page", &(p)->page, 1, 1000000),                                                    \
        QS_INTEGER("per_page", &(p)->per_page, 1, HSDS_PER_PAGE_MAX),                              \
        QS_ONEOF("format", NULL, formats)

static void
paging_params(struct hsds_paging *p)
{
    snprintf(p->page_s, sizeof(p->page_s), "%d", p->page);
    snprintf(p->per_page_s, sizeof(p->per_page_s), "%d", p->per_page);
}

/* An RFC 3339 date-time (or a date) for modified_after; NULL when valid. */
static const char *
parse_datetime(const char *v, void *out)
{
    int y, mo, d, h, mi, s, n = 0;
    *(const char **)out = v;
    if (sscanf(v, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 || mo < 1 || mo > 12 || d < 1 ||
        d > 31)
        goto bad;
    if (v[10] == '\0')
        return NULL;
    if ((v[10] != 'T' && v[10] != 't' && v[10] != ' ') ||
        sscanf(v + 11, "%2d:%2d:%2d%n", &h, &mi, &s, &n) != 3 || n != 8 || h > 23 || mi > 59 ||
        s > 60)
        goto bad;
    v += 19;
    if (*v == '.') {
        v++;
        if (*v < '0' || *v > '9')
            goto bad;
        while (*v >= '0' && *v <= '9')
            v++;
    }
    if ((*v == 'Z' || *v == 'z') && v[1] == '\0')
        return NULL;
    if ((*v == '+' || *v == '-') && sscanf(v + 1, "%2d:%2d%n", &h, &mi, &n) == 2 && n == 5 &&
        v[6] == '\0' && h < 24 && mi < 60)
        return NULL;
bad:
    return "must be a date-time such as 2026-11-30T12:00:00Z (or a date)";
}

/* Runs q and replies with its document, or 404 naming what (for one record). A query that
 * reads offers gets, as its last parameter, the bound of quiet offers: they are not published
 * (config.h: offer_quiet_before). */
static void
reply_hsds(struct request *r, enum hsds_query q, const char *const *given, size_t n,
           const char *what, struct qsearch *search, const char *open_ids)
{
    struct db_doc d = {0};
    const char *params[16];
    char since[24];
    bool offers = q == HSDS_SERVICES || q == HSDS_SERVICE || q == HSDS_SERVICE_AT_LOCATIONS ||
                  q == HSDS_SERVICE_AT_LOCATION || q == HSDS_ORGANIZATIONS ||
                  q == HSDS_ORGANIZATION;

    if (n + 3 > sizeof(params) / sizeof(params[0]))
        abort();
    memcpy(params, given, n * sizeof(*params));
    if (offers) {
        snprintf(since, sizeof(since), "%lld", (long long)offer_quiet_before(service_today()));
        params[n++] = since;
    }
    if (search != NULL) { /* search= (its terms first): its words and weights last */
        if (!search_widen(r, search, false)) {
            qsearch_clear(search);
            return;
        }
        const struct search_query *sq = qsearch_query(search);
        params[0] = sq ? sq->sql_t : NULL;
        params[n++] = sq ? sq->sql_g : NULL;
        params[n++] = sq ? sq->sql_w : NULL;
    }
    if (q == HSDS_SERVICES)
        params[n++] = open_ids;
    enum db_qs qs = db_hsds(r->db, q, params, n, &d);
    if (search != NULL)
        qsearch_clear(search);

    if (qs < 0) {
        reply_db_error(r);
        return;
    }
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no %s with this id", what);
        return;
    }
    reply_json_steal(r, 200, d.doc);
    d.doc = NULL;
    reply_header(r, "Cache-Control", "no-cache");
}

void
h_hsds_root(struct request *r)
{
    char base[256], profile[320], openapi[320];
    const struct qspec spec[] = {QS_SPEC_END};

    if (!qspec_parse(r, spec))
        return;
    req_public_base(r, base, sizeof(base));
    snprintf(profile, sizeof(profile), "%s/hsds/profile", base);
    snprintf(openapi, sizeof(openapi), "%s/openapi.json", base);
    reply_json_steal(
        r, 200,
        json_pack("{s:s, s:s, s:s}", "version", "3.0", "profile", profile, "openapi_url", openapi));
    reply_header(r, "Cache-Control", "public, max-age=3600");
}

/* The filters /hsds/services and /hsds/service_at_locations share ($1..$5). */
struct service_filter {
    struct qsearch search;
    const char *term, *taxonomy, *organization, *modified_after;
};

#define QS_SERVICE_FILTER(f)                                                                       \
    QS_SEARCH("search", &(f)->search),                                                             \
        QS_ID("taxonomy_term_id", &(f)->term, "a taxonomy term id"),                               \
        QS_ID("taxonomy_id", &(f)->taxonomy, "a taxonomy id"),                                     \
        QS_ID("organization_id", &(f)->organization, "an organization id"),                        \
        QS_FN("modified_after", &(f)->modified_after, parse_datetime)

void
h_hsds_services(struct request *r)
{
    struct service_filter f = {0};
    struct hsds_paging p = {.page = 1, .per_page = 50};
    const char *minimal = NULL, *full = NULL;
    struct qopen qo = {0};
    struct feed_open open;
    char *open_ids = NULL;
    const struct qspec spec[] = {
        QS_SERVICE_FILTER(&f),     QS_HSDS_PAGING(&p), QS_BOOLEAN("minimal", &minimal),
        QS_BOOLEAN("full", &full), QS_OPEN(&qo),       QS_SPEC_END};
    json_t *errs = qspec_check(r, spec);

    qopen_finish(&qo, errs, &open);
    if (!qspec_reply(r, errs) ||
        (feed_open_given(&open) && !feed_open_offers(r, &open, &open_ids))) {
        qsearch_clear(&f.search);
        return;
    }
    paging_params(&p);
    const char *mode = minimal != NULL && *minimal == 't' ? "minimal"
                       : full != NULL && *full == 't'     ? "full"
                                                          : "flat";
    const char *params[] = {NULL, f.term,   f.taxonomy,  f.organization, f.modified_after,
                            mode, p.page_s, p.per_page_s};
    reply_hsds(r, HSDS_SERVICES, params, 8, "page", &f.search, open_ids);
    free(open_ids);
}

void
h_hsds_service(struct request *r)
{
    const char *id = req_id(r, "service");
    if (id == NULL)
        return;
    const char *params[] = {id};
    reply_hsds(r, HSDS_SERVICE, params, 1, "service", NULL, NULL);
}

void
h_hsds_service_at_locations(struct request *r)
{
    struct service_filter f = {0};
    struct hsds_paging p = {.page = 1, .per_page = 50};
    const char *full = NULL, *postcode = NULL;
    int proximity = 0;
    char proximity_s[16];
    const struct qspec spec[] = {QS_SERVICE_FILTER(&f),
                                 QS_HSDS_PAGING(&p),
                                 QS_BOOLEAN("full", &full),
                                 QS_TXT("postcode", &postcode, 12),
                                 QS_INTEGER("proximity", &proximity, 1, 500000),
                                 QS_SPEC_END};
    json_t *errs = qspec_check(r, spec);

    if (proximity > 0 && postcode == NULL)
        field_error(errs, "proximity", "needs postcode: the distance is counted from its centre");
    if (!qspec_reply(r, errs)) {
        qsearch_clear(&f.search);
        return;
    }
    paging_params(&p);
    snprintf(proximity_s, sizeof(proximity_s), "%d", proximity);
    const char *params[] = {NULL,
                            f.term,
                            f.taxonomy,
                            f.organization,
                            f.modified_after,
                            full != NULL && *full == 't' ? "t" : "f",
                            postcode,
                            proximity > 0 ? proximity_s : NULL,
                            p.page_s,
                            p.per_page_s};
    reply_hsds(r, HSDS_SERVICE_AT_LOCATIONS, params, 10, "page", &f.search, NULL);
}

void
h_hsds_service_at_location(struct request *r)
{
    const char *id = req_id(r, "service_at_location");
    if (id == NULL)
        return;
    const char *params[] = {id};
    reply_hsds(r, HSDS_SERVICE_AT_LOCATION, params, 1, "service_at_location", NULL, NULL);
}

/* none | minimal | full: an organization's services as the query asks for them. */
static const char *
organization_services(const char *full, const char *full_service, const char *otherwise)
{
    if (full_service != NULL && *full_service == 't')
        return "full";
    if (full != NULL && *full == 't')
        return "minimal";
    return otherwise;
}

void
h_hsds_organizations(struct request *r)
{
    struct hsds_paging p = {.page = 1, .per_page = 50};
    struct qsearch search = {0};
    const char *full = NULL, *full_service = NULL;
    const struct qspec spec[] = {QS_SEARCH("search", &search), QS_HSDS_PAGING(&p),
                                 QS_BOOLEAN("full", &full),
                                 QS_BOOLEAN("full_service", &full_service), QS_SPEC_END};

    if (!qspec_parse(r, spec)) {
        qsearch_clear(&search);
        return;
    }
    paging_params(&p);
    const char *params[] = {NULL, organization_services(full, full_service, "none"), p.page_s,
                            p.per_page_s};
    reply_hsds(r, HSDS_ORGANIZATIONS, params, 4, "page", &search, NULL);
}

void
h_hsds_organization(struct request *r)
{
    const char *full_service = NULL;
    const struct qspec spec[] = {QS_BOOLEAN("full_service", &full_service), QS_SPEC_END};
    const char *id = req_id(r, "organization");

    if (id == NULL || !qspec_parse(r, spec))
        return;
    const char *params[] = {id, organization_services(NULL, full_service, "minimal")};
    reply_hsds(r, HSDS_ORGANIZATION, params, 2, "organization", NULL, NULL);
}

void
h_hsds_taxonomies(struct request *r)
{
    struct hsds_paging p = {.page = 1, .per_page = 50};
    const char *search = NULL;
    const struct qspec spec[] = {QS_TXT("search", &search, 200), QS_HSDS_PAGING(&p), QS_SPEC_END};

    if (!qspec_parse(r, spec))
        return;
    paging_params(&p);
    const char *params[] = {search, p.page_s, p.per_page_s};
    reply_hsds(r, HSDS_TAXONOMIES, params, 3, "page", NULL, NULL);
}

void
h_hsds_taxonomy(struct request *r)
{
    const char *id = req_id(r, "taxonomy");
    if (id == NULL)
        return;
    const char *params[] = {id};
    reply_hsds(r, HSDS_TAXONOMY, params, 1, "taxonomy", NULL, NULL);
}

void
h_hsds_taxonomy_terms(struct request *r)
{
    struct hsds_paging p = {.page = 1, .per_page = 50};
    const char *search = NULL, *taxonomy = NULL, *parent = NULL, *top_only = NULL;
    const struct qspec spec[] = {QS_TXT("search", &search, 200),
                                 QS_HSDS_PAGING(&p),
                                 QS_ID("taxonomy_id", &taxonomy, "a taxonomy id"),
                                 QS_ID("parent_id", &parent, "a taxonomy term id"),
                                 QS_BOOLEAN("top_only", &top_only),
                                 QS_SPEC_END};

    if (!qspec_parse(r, spec))
        return;
    paging_params(&p);
    /* Every term is a top term (none has a parent): top_only changes nothing. */
    const char *params[] = {search, taxonomy, parent, p.page_s, p.per_page_s};
    reply_hsds(r, HSDS_TAXONOMY_TERMS, params, 5, "page", NULL, NULL);
}

void
h_hsds_taxonomy_term(struct request *r)
{
    const char *id = req_id(r, "taxonomy_term");
    if (id == NULL)
        return;
    const char *params[] = {id};
    reply_hsds(r, HSDS_TAXONOMY_TERM, params, 1, "taxonomy_term", NULL, NULL);
}
