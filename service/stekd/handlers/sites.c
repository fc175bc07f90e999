/* /v1/sites: the meeting places. Reads are public; writes are admin-only. */
#include "stek/config.h"
#include "stek/handlers.h"
#include "stek/scope.h"
#include "stek/hint.h"
#include "stek/i18n.h"
#include "stek/qspec.h"
#include "stek/tx.h"
#include "stek/entity.h"
#include "stek/jspec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define SITES "/v1/sites"

static const char *const models[] = {"stek", "mens_shed", "stuyfplek", "other", NULL};
static const struct constraint_reply constraints[] = {
    {"sites_timezone_check", ERR_VALIDATION, "timezone",
     "is not a known IANA timezone such as Europe/Brussels"},
    {"sites_coordinator_partner_id_fkey", ERR_VALIDATION, "coordinator_partner_id",
     "does not name an existing partner"},
    {NULL, ERR_VALIDATION, NULL, NULL},
};

/* A site as a request describes it; strings borrow from the request's JSON. */
struct site_in {
    const char *name, *kind, *model, *description, *timezone, *email, *phone, *accessibility;
    const char *coordinator, *uitdatabank_place, *street, *postal_code, *municipality, *country;
    const json_t *address, *location;
    double lat, lon;
    bool active;
};

/*
 * Checks a whole site document (a POST body, or the document after a merge
 * patch) and converts it to the statement's fields. Replies 422 listing every
 * problem and returns false otherwise. lat/lon receive the decimal text.
 */
/* What a reader may read in several languages (as site_doc lists it). */
static const char *const translatable[] = {"name", "description", "accessibility", NULL};

/* The texts parse_site's fields borrow from: the body in its main language, and the others. */
struct site_hold {
    json_t *plain, *translations;
};

static void
site_hold_clear(struct site_hold *h)
{
    json_decref(h->plain);
    json_decref(h->translations);
    h->plain = h->translations = NULL;
}

/* What the spec cannot say of an address: the postal code's characters, the country's code. */
static void
check_address(const char *postal_code, const char *country, json_t *errs)
{
    if (postal_code != NULL &&
        (strspn(postal_code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -") !=
             strlen(postal_code) ||
         !isalnum((unsigned char)postal_code[0])))
        field_error(errs, "address.postal_code", "must be letters, digits, spaces or -");
    if (country != NULL && (strlen(country) != 2 || !isupper((unsigned char)country[0]) ||
                            !isupper((unsigned char)country[1])))
        field_error(errs, "address.country", "must be an ISO 3166-1 alpha-2 code such as BE");
}

static bool
parse_site(struct request *r, const json_t *doc, struct site_fields *out, char lat[32],
           char lon[32], struct site_hold *hold)
{
    /* A new site is in the service's own timezone unless it says otherwise. */
    struct site_in s = {
        .model = "stek", .timezone = stek_config()->timezone, .country = "BE", .active = true};
    struct jspec address[] = {
        JS_STR("street", &s.street, JF_REQUIRED, 1, 200),
        JS_STR("postal_code", &s.postal_code, JF_REQUIRED, 3, 10),
        JS_STR("municipality", &s.municipality, JF_REQUIRED, 1, 100),
        JS_STR("country", &s.country, 0, 2, 2),
        JS_SPEC_END,
    };
    struct jspec location[] = {
        JS_NUM("lat", &s.lat, JF_REQUIRED, -90, 90),
        JS_NUM("lon", &s.lon, JF_REQUIRED, -180, 180),
        JS_SPEC_END,
    };
    struct jspec spec[] = {
        JS_STR("name", &s.name, JF_REQUIRED | JF_GUARD, 1, 200),
        JS_STR("kind", &s.kind, JF_NULLABLE, 1, 100),
        JS_ENUMF("model", &s.model, 0, models),
        JS_TXT("description", &s.description, JF_NULLABLE, 4000),
        JS_OBJ("address", &s.address, JF_REQUIRED, address),
        JS_OBJ("location", &s.location, JF_NULLABLE, location),
        JS_STR("timezone", &s.timezone, 0, 1, 64),
        JS_EMAILF("email", &s.email, JF_NULLABLE),
        JS_PHONEF("phone", &s.phone, JF_NULLABLE),
        JS_TXT("accessibility", &s.accessibility, JF_NULLABLE, 2000),
        JS_UUIDF("coordinator_partner_id", &s.coordinator, JF_NULLABLE),
        JS_UUIDF("uitdatabank_place_id", &s.uitdatabank_place, JF_NULLABLE),
        JS_BOOLEAN("active", &s.active, 0),
        JS_ENUMF("main_language", NULL, 0, i18n_languages),
        JS_IGNORE("language"),
        JS_RO("id"),
        JS_RO("created_at"),
        JS_RO("updated_at"),
        JS_SPEC_END,
    };
    json_t *errs = json_array();
    const char *main;

    hold->plain = jspec_check_i18n(doc, spec, translatable, "nl", &main, &hold->translations, errs);
    check_address(s.postal_code, s.country, errs);
    if (json_array_size(errs) > 0) {
        jspec_reply_invalid(r, errs);
        site_hold_clear(hold);
        return false;
    }
    json_decref(errs);
    *out = (struct site_fields){
        .lang = {main, hold->translations},
        .name = s.name,
        .kind = s.kind,
        .model = s.model,
        .description = s.description,
        .street = s.street,
        .postal_code = s.postal_code,
        .municipality = s.municipality,
        .country = s.country,
        .timezone = s.timezone,
        .email = s.email,
        .phone = s.phone,
        .accessibility = s.accessibility,
        .coordinator_partner_id = s.coordinator,
        .uitdatabank_place_id = s.uitdatabank_place,
        .active = s.active,
    };
    if (s.location != NULL) {
        fmt_coordinate(s.lat, lat); /* stored as published: at most 7 decimals */
        fmt_coordinate(s.lon, lon);
        out->lat = lat;
        out->lon = lon;
    }
    return true;
}

void
h_sites_list(struct request *r)
{
    struct qpage p = QPAGE_INIT;
    struct qnear near = {0};
    struct site_filter f = {0};
    struct qsearch qs = {0};
    struct db_page page;
    const struct qspec spec[] = {
        QS_PAGE(&p),
        QS_TXT("municipality", &f.municipality, 100),
        QS_TXT("postal_code", &f.postal_code, 10),
        QS_ONEOF("model", &f.model, models),
        QS_BOOLEAN("active", &f.active),
        QS_NEARBY(&near),
        QS_SEARCH("q", &qs),
        QS_LANGUAGE,
        QS_MISSING_LANGUAGES,
        QS_SPEC_END,
    };

    if (!qspec_parse(r, spec) || !search_widen(r, &qs, false)) {
        qsearch_clear(&qs);
        return;
    }
    if (near.lat[0] != '\0') {
        f.near_lat = near.lat;
        f.near_lon = near.lon;
        f.radius_km = near.radius_km;
    }
    f.search = qsearch_query(&qs);
    enum db_qs got =
        db_list_sites(r->db, qcursor_a(&p.cursor), qcursor_b(&p.cursor), &f, p.limit, &page);
    qsearch_clear(&qs);
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
    const json_t *body;
    struct db_doc out;
};

static enum tx_result
create_tx(struct request *r, void *cls)
{
    struct create_ctx *c = cls;
    struct site_fields f;
    struct site_hold hold = {0};
    char lat[32], lon[32];
    enum db_qs qs;

    db_doc_clear(&c->out);
    if (!parse_site(r, c->body, &f, lat, lon, &hold))
        return TX_REPLIED;
    enum tx_result in = scope_check(r, "municipality", f.municipality, "address.municipality");
    qs = in == TX_COMMIT ? db_insert_site(r->db, &f, &c->out) : DB_NO_ROWS;
    site_hold_clear(&hold);
    if (in != TX_COMMIT)
        return in;
    if (qs <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    return audit(r, "create", "site", c->out.id, NULL) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

void
h_sites_create(struct request *r)
{
    struct create_ctx c = {0};

    if (!req_json_body(r, false))
        return;
    c.body = r->json;
    if (run_tx(r, create_tx, &c))
        reply_doc(r, 201, &c.out, SITES);
    db_doc_clear(&c.out);
}

void
h_sites_get(struct request *r)
{
    reply_entity(r, "site", db_get_site);
}

static enum tx_result
update(struct request *r, const char *id, const json_t *merged, const json_t *patch,
       struct db_doc *out)
{
    struct site_fields f;
    struct site_hold hold = {0};
    char lat[32], lon[32];
    enum db_qs qs;
    (void)patch;

    /* A coordinator edits the sites of its municipalities and moves none out of them. */
    enum tx_result in = scope_check(r, "site", id, NULL);
    if (in != TX_COMMIT)
        return in;
    if (!parse_site(r, merged, &f, lat, lon, &hold))
        return TX_REPLIED;
    in = scope_check(r, "municipality", f.municipality, "address.municipality");
    qs = in == TX_COMMIT ? db_update_site(r->db, id, &f, out) : DB_NO_ROWS;
    site_hold_clear(&hold);
    if (in != TX_COMMIT)
        return in;
    if (qs <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    return TX_COMMIT;
}

static enum tx_result
remove_site(struct request *r, const char *id)
{
    enum tx_result in = scope_check(r, "site", id, NULL);
    if (in != TX_COMMIT)
        return in;
    if (db_delete_site(r->db, id) >= 0)
        return TX_COMMIT;
    if (db_last_failure(r->db) != DB_FOREIGN_KEY)
        return TX_DB_ERROR;
    reply_problem(r, ERR_CONFLICT, NULL,
                  "the site still has offers (or schedules or exceptions at it);"
                  " archive it with PATCH {\"active\": false} instead");
    return TX_REPLIED;
}

static const struct entity_ops ops = {"site", db_get_site, NULL, update, remove_site};

void
h_sites_patch(struct request *r)
{
    patch_entity(r, &ops);
}

void
h_sites_delete(struct request *r)
{
    delete_entity(r, &ops);
}
