/*
 * /v1/partners/{id}/calendars: the calendars a partner already keeps (Google, Outlook,
 * Nextcloud, Apple), each event of which becomes one of its offers at the source's site, kept
 * current by a sync (jobs/calendar.c every STEK_CALENDAR_SYNC_MINUTES, or POST .../sync).
 * The address is a secret (Google's "secret address"): stored sealed (secrets.h), shown as
 * its scheme and host only. An admin and the partner manage them; a coordinator those whose
 * events take place at the sites of its municipalities (not moved elsewhere), a reader reads.
 */
#include "stek/calendars.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/entity.h"
#include "stek/handlers.h"
#include "stek/i18n.h"
#include "stek/icsimport.h"
#include "stek/offer.h"
#include "stek/ids.h"
#include "stek/jspec.h"
#include "stek/outbound.h"
#include "stek/qspec.h"
#include "stek/scope.h"
#include "stek/secrets.h"
#include "stek/tx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CALENDAR_MAX_BYTES (5 * 1024 * 1024)
#define CALENDAR_TIMEOUT_S 20

static const struct constraint_reply constraints[] = {
    {"calendar_sources_site_id_fkey", ERR_VALIDATION, "site_id", "does not name an existing site"},
    {NULL, ERR_VALIDATION, NULL, NULL},
};

/* webcal:// (what Apple and Google offer to subscribe) is https://; the address checked as
 * the webhooks' are (https and public, unless STEK_CALENDAR_ALLOW names the host). NULL when
 * good, with the address to fetch in out; else why. */
static const char *
check_address(const char *given, char *out, size_t len)
{
    char pin[600];
    if (strncasecmp(given, "webcal://", 9) == 0)
        snprintf(out, len, "https://%s", given + 9);
    else
        snprintf(out, len, "%s", given);
    return outbound_check_url(stek_config()->calendar_allow, "STEK_CALENDAR_ALLOW", out, pin,
                              sizeof(pin));
}

/* What the API shows of an address: its scheme and host, never the secret path. */
static void
shown(const char *url, char *out, size_t len)
{
    const char *host = strstr(url, "://");
    size_t n = host ? (size_t)(host + 3 - url) + strcspn(host + 3, "/?#") : strlen(url);
    snprintf(out, len, "%.*s/…", (int)(n < 250 ? n : 250), url);
}

static const char *own_calendar(struct request *r);

struct write_ctx {
    struct calendar_fields f;
    const char *active;
    bool creating;
    struct db_doc out;
};

static enum tx_result
write_tx(struct request *r, void *cls)
{
    struct write_ctx *c = cls;
    enum db_qs qs;

    db_doc_clear(&c->out);
    /* A coordinator: calendars whose events take place at the sites of its municipalities. */
    enum tx_result in = scope_check(r, "site", c->f.site_id, "site_id");
    if (in != TX_COMMIT)
        return in;
    qs = c->creating ? db_insert_calendar(r->db, &c->f, 0, &c->out)
                     : db_update_calendar(r->db, &c->f, c->active, &c->out);
    if (qs == DB_NO_ROWS && !c->creating) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no calendar with this id for this partner");
        return TX_REPLIED;
    }
    if (qs <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    return audit(r, c->creating ? "create" : "update", "calendar", c->f.id, NULL) < 0 ? TX_DB_ERROR
                                                                                      : TX_COMMIT;
}

/* Reads a create (every required field) or a change; false after replying 422. */
static bool
parse_calendar(struct request *r, struct write_ctx *c, char *url, size_t urllen,
               char stored[SECRET_STORED_MAX], char *url_shown, size_t shownlen)
{
    const char *given = NULL, *active = NULL;
    bool has_active = false, active_v = true;
    unsigned req = c->creating ? JF_REQUIRED : 0;
    struct jspec spec[] = {
        JS_STR("url", &given, req, 8, 2048),
        JS_UUIDF("site_id", &c->f.site_id, req),
        JS_LIST("functions", &c->f.functions, req, 1, 4, stek_functions),
        JS_LIST("categories", &c->f.categories, 0, 0, 20, NULL),
        JS_ENUMF("main_language", &c->f.main_language, 0, i18n_languages),
        {"active", JS_BOOL, 0, 0, 0, NULL, NULL, &active_v, &has_active},
        JS_RO("id"),
        JS_RO("partner_id"),
        JS_RO("last_sync_at"),
        JS_RO("last_ok_at"),
        JS_RO("failing_since"),
        JS_RO("next_sync_at"),
        JS_RO("offers"),
        JS_RO("created_at"),
        JS_RO("updated_at"),
        JS_SPEC_END,
    };
    json_t *errs = json_array();
    const char *why;

    if (jspec_check(r->json, spec, "", errs) && given != NULL &&
        (why = check_address(given, url, urllen)) != NULL)
        field_error(errs, "url", why);
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the calendar is not valid; see errors");
        return false;
    }
    json_decref(errs);
    if (has_active)
        active = active_v ? "t" : "f";
    c->active = active;
    if (given != NULL) {
        if (!secret_seal(url, c->f.id, stored)) {
            reply_problem(r, ERR_INTERNAL, NULL, "the address could not be sealed");
            return false;
        }
        shown(url, url_shown, shownlen);
        c->f.url = stored;
        c->f.url_shown = url_shown;
    }
    return true;
}

static void
write_calendar(struct request *r, bool creating)
{
    struct write_ctx c = {.creating = creating};
    char id[UUID_LEN + 1], url[2100], stored[SECRET_STORED_MAX], url_shown[300];

    if ((c.f.partner_id = owned_partner(r, "calendars")) == NULL)
        return;
    if (creating && !uuid_new(id)) {
        reply_problem(r, ERR_INTERNAL, NULL, "no randomness available");
        return;
    }
    c.f.id = creating ? id : r->params[1];
    if (!creating && own_calendar(r) == NULL)
        return;
    if (!req_json_body(r, !creating) ||
        !parse_calendar(r, &c, url, sizeof(url), stored, url_shown, sizeof(url_shown)))
        return;
    if (run_tx(r, write_tx, &c)) {
        char loc[160];
        snprintf(loc, sizeof(loc), "/v1/partners/%s/calendars", c.f.partner_id);
        reply_doc(r, creating ? 201 : 200, &c.out, creating ? loc : NULL);
    }
    db_doc_clear(&c.out);
}

void
h_calendars_create(struct request *r)
{
    write_calendar(r, true);
}

void
h_calendars_patch(struct request *r)
{
    write_calendar(r, false);
}

void
h_calendars_list(struct request *r)
{
    const char *partner;
    struct qpage p = QPAGE_INIT;
    const struct qspec spec[] = {QS_PAGE(&p), QS_SPEC_END};
    struct db_page page;

    if (!qspec_parse(r, spec) || (partner = owned_partner(r, "calendars")) == NULL)
        return;
    if (db_list_calendars(r->db, partner, qcursor_a(&p.cursor), qcursor_b(&p.cursor), p.limit,
                          &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}

/* The calendar of the path, of a partner this key may manage; NULL after replying. */
static const char *
own_calendar(struct request *r)
{
    const char *partner = owned_partner(r, "calendars");
    struct db_doc d;

    if (partner == NULL)
        return NULL;
    if (!is_uuid(r->params[1])) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no calendar with this id for this partner");
        return NULL;
    }
    enum db_qs qs = db_get_calendar(r->db, partner, r->params[1], &d);
    if (qs == DB_NO_ROWS)
        reply_problem(r, ERR_NOT_FOUND, NULL, "no calendar with this id for this partner");
    else if (qs < 0)
        reply_db_error(r);
    bool in = qs > 0 &&
              scope_allows(r, "site", json_string_value(json_object_get(d.doc, "site_id")), NULL);
    db_doc_clear(&d);
    return in ? r->params[1] : NULL;
}

void
h_calendars_get(struct request *r)
{
    struct db_doc d;

    if (own_calendar(r) == NULL)
        return;
    if (reply_found(r, db_get_calendar(r->db, r->params[0], r->params[1], &d), "calendar"))
        reply_doc(r, 200, &d, NULL);
    db_doc_clear(&d);
}

static enum tx_result
delete_tx(struct request *r, void *cls)
{
    (void)cls;
    if (audit(r, "delete", "calendar", r->params[1], NULL) < 0 ||
        db_delete_calendar(r->db, r->params[0], r->params[1]) < 0)
        return TX_DB_ERROR;
    return TX_COMMIT;
}

/* DELETE: its offers are archived (they become the partner's own, editable), never deleted. */
void
h_calendars_delete(struct request *r)
{
    if (own_calendar(r) != NULL && run_tx(r, delete_tx, NULL))
        reply_empty(r, 204);
}

void
h_calendars_sync(struct request *r)
{
    const char *id = own_calendar(r);
    struct db_doc run = {0};

    if (id == NULL)
        return;
    if (calendar_sync(r->db, id, r->who.key_id, &run) <= 0) {
        reply_db_error(r);
        return;
    }
    reply_doc(r, 200, &run, NULL);
    db_doc_clear(&run);
}

void
h_calendars_runs(struct request *r)
{
    const char *id;
    struct qpage p = QPAGE_INIT;
    const struct qspec spec[] = {QS_PAGE(&p), QS_SPEC_END};
    struct db_page page;

    if (!qspec_parse(r, spec) || (id = own_calendar(r)) == NULL)
        return;
    if (db_list_calendar_runs(r->db, id, qcursor_a(&p.cursor), p.limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}
