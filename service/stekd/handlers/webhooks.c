/*
 * /v1/partners/{id}/webhooks: a partner's subscriptions to events (referral.created for
 * referrals made to it, handoff.arrived and barrier.status_changed for its own signals,
 * key.expiring for its keys that end within 14 days, offer.confirmation_due for its offers
 * that turn stale within 14 days, calendar.failing for its calendars failing for 3 days),
 * managed by an admin or by that partner's own keys. The secret is made here and shown once
 * (on create and on rotation); deliveries come from the outbox (service/stekd/webhook.c).
 */
#include "stek/config.h"
#include "stek/secrets.h"
#include "stek/ids.h"
#include "stek/qspec.h"
#include "stek/tx.h"
#include "stek/entity.h"
#include "stek/crypto.h"
#include "stek/handlers.h"
#include "stek/jspec.h"
#include "stek/outbound.h"

#include <stdio.h>
#include <string.h>

static const char *const event_names[] = {"referral.created",
                                          "handoff.arrived",
                                          "barrier.status_changed",
                                          "key.expiring",
                                          "offer.confirmation_due",
                                          "calendar.failing",
                                          NULL};

/* The partner of the path, if this key may manage its webhooks (403/404 otherwise). */
static const char *
own_partner(struct request *r)
{
    return owned_partner(r, "webhooks");
}

static void
reply_no_webhook(struct request *r)
{
    reply_problem(r, ERR_NOT_FOUND, NULL, "no webhook with this id for this partner");
}

static bool
new_secret(char out[80])
{
    char hex[65];
    if (!stek_random_hex(hex, 32))
        return false;
    snprintf(out, 80, "whsec_%s", hex);
    return true;
}

/* Replies with the subscription and its secret, which is never shown again. */
static void
reply_with_secret(struct request *r, unsigned status, struct db_doc *d, const char *secret)
{
    json_object_set_new(d->doc, "secret", json_string(secret));
    reply_json_steal(r, status, d->doc);
    d->doc = NULL;
}

void
h_webhooks_list(struct request *r)
{
    const char *partner;
    struct qpage p = QPAGE_INIT;
    const struct qspec spec[] = {QS_PAGE(&p), QS_SPEC_END};
    struct db_page page;

    if (!qspec_parse(r, spec) || (partner = own_partner(r)) == NULL)
        return;
    if (db_list_webhooks(r->db, partner, qcursor_a(&p.cursor), qcursor_b(&p.cursor), p.limit,
                         &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}

struct create_ctx {
    const char *partner, *url;
    const json_t *events;
    const char *description, *id, *stored; /* stored: the secret as kept (sealed.h) */
    struct db_doc out;
};

static enum tx_result
create_tx(struct request *r, void *cls)
{
    struct create_ctx *c = cls;
    db_doc_clear(&c->out);
    if (db_insert_webhook(r->db, c->id, c->partner, c->url, c->events, c->description, c->stored,
                          &c->out) <= 0 ||
        audit(r, "create", "webhook", c->out.id, NULL) < 0)
        return TX_DB_ERROR;
    return TX_COMMIT;
}

void
h_webhooks_create(struct request *r)
{
    const char *partner, *url = NULL, *description = NULL, *why;
    const json_t *events = NULL;
    struct jspec spec[] = {
        JS_URLF("url", &url, JF_REQUIRED),
        JS_LIST("events", &events, JF_REQUIRED, 1, 6, event_names),
        JS_TXT("description", &description, JF_NULLABLE, 500),
        JS_RO("id"),
        JS_RO("partner_id"),
        JS_RO("secret"),
        JS_RO("active"),
        JS_SPEC_END,
    };
    char pin[600], secret[80], id[UUID_LEN + 1], stored[SECRET_STORED_MAX];
    json_t *errs;

    if ((partner = own_partner(r)) == NULL || !req_json_body(r, false))
        return;
    errs = json_array();
    if (jspec_check(r->json, spec, "", errs) &&
        (why = outbound_check_url(stek_config()->webhook_allow, "STEK_WEBHOOK_ALLOW", url, pin,
                                  sizeof(pin))) != NULL)
        field_error(errs, "url", why);
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the webhook is not valid; see errors");
        return;
    }
    json_decref(errs);
    struct create_ctx c = {partner, url, events, description, id, stored, {0}};
    /* Sealed at rest for this subscription (its id chosen here): secrets.h. */
    if (!new_secret(secret) || !uuid_new(id) || !secret_seal(secret, id, stored)) {
        reply_problem(r, ERR_INTERNAL, NULL, "the secret could not be made");
        return;
    }
    /* The subscription and its audit entry together: a client never loses a secret to a
     * subscription it was told failed. */
    if (run_tx(r, create_tx, &c)) {
        char loc[160];
        snprintf(loc, sizeof(loc), "/v1/partners/%s/webhooks/%s", partner, c.out.id);
        reply_with_secret(r, 201, &c.out, secret);
        reply_header(r, "Location", loc);
    }
    db_doc_clear(&c.out);
}

/* True when a statement on the webhook {wid} found it; otherwise replies 503 or 404. */
static bool
found(struct request *r, enum db_qs qs)
{
    if (qs < 0)
        reply_db_error(r);
    else if (qs == DB_NO_ROWS)
        reply_no_webhook(r);
    return qs > 0;
}

/*
 * The partner's webhook {wid} of the path into d: true, or false after
 * replying 404 (with missing as the message, or reply_no_webhook's) or 503.
 */
static bool
find_webhook(struct request *r, const char *partner, const char *missing, struct db_doc *d)
{
    enum db_qs qs = DB_NO_ROWS;

    if (is_uuid(r->params[1]) && (qs = db_get_webhook(r->db, partner, r->params[1], d)) > 0)
        return true;
    if (qs < 0)
        reply_db_error(r);
    else if (missing != NULL)
        reply_problem(r, ERR_NOT_FOUND, NULL, "%s", missing);
    else
        reply_no_webhook(r);
    return false;
}

void
h_webhooks_get(struct request *r)
{
    const char *partner = own_partner(r);
    struct db_doc d;

    if (partner != NULL && find_webhook(r, partner, NULL, &d))
        reply_json_steal(r, 200, d.doc);
}

void
h_webhooks_patch(struct request *r)
{
    const char *partner, *url = NULL, *description = NULL, *why;
    const json_t *events = NULL;
    bool active = true, has_active = false, has_description = false;
    struct jspec spec[] = {
        JS_URLF("url", &url, 0),
        JS_LIST("events", &events, 0, 1, 6, event_names),
        {"description", JS_TEXT, JF_NULLABLE, 0, 500, NULL, NULL, &description, &has_description},
        {"active", JS_BOOL, 0, 0, 0, NULL, NULL, &active, &has_active},
        JS_IGNORE("id"),
        JS_IGNORE("partner_id"),
        JS_RO("secret"),
        JS_IGNORE("paused_reason"),
        JS_IGNORE("previous_secret_until"),
        JS_IGNORE("created_at"),
        JS_IGNORE("updated_at"),
        JS_SPEC_END,
    };
    char pin[600];
    struct db_doc d;
    enum db_qs qs;
    json_t *errs;

    if ((partner = own_partner(r)) == NULL || !req_json_body(r, true))
        return;
    errs = json_array();
    if (jspec_check(r->json, spec, "", errs) && url != NULL &&
        (why = outbound_check_url(stek_config()->webhook_allow, "STEK_WEBHOOK_ALLOW", url, pin,
                                  sizeof(pin))) != NULL)
        field_error(errs, "url", why);
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the change is not valid; see errors");
        return;
    }
    json_decref(errs);
    if (!is_uuid(r->params[1])) {
        reply_no_webhook(r);
        return;
    }
    qs = db_update_webhook(r->db, partner, r->params[1], url, events, has_description, description,
                           has_active ? (active ? "true" : "false") : NULL, &d);
    if (!found(r, qs))
        return;
    /* The fields the change set (the webhook is read and written in one statement). */
    json_t *changed = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(r->json, key, v) json_array_append_new(changed, json_string(key));
    audit(r, "update", "webhook", d.id, changed);
    json_decref(changed);
    reply_json_steal(r, 200, d.doc);
}

void
h_webhooks_delete(struct request *r)
{
    const char *partner = own_partner(r);
    enum db_qs qs;

    if (partner == NULL)
        return;
    if (!is_uuid(r->params[1]) || (qs = db_delete_webhook(r->db, partner, r->params[1])) == 0) {
        reply_no_webhook(r);
        return;
    }
    if (qs < 0 || audit(r, "delete", "webhook", r->params[1], NULL) < 0) {
        reply_db_error(r);
        return;
    }
    reply_empty(r, 204);
}

void
h_webhooks_rotate(struct request *r)
{
    const char *partner = own_partner(r);
    char secret[80], stored[SECRET_STORED_MAX];
    struct db_doc d;

    if (partner == NULL)
        return;
    if (!is_uuid(r->params[1])) {
        reply_no_webhook(r);
        return;
    }
    if (!new_secret(secret) || !secret_seal(secret, r->params[1], stored)) {
        reply_problem(r, ERR_INTERNAL, NULL, "the secret could not be made");
        return;
    }
    if (!found(r, db_rotate_webhook_secret(r->db, partner, r->params[1], stored, &d)))
        return;
    json_t *changed = json_pack("[s]", "secret");
    audit(r, "update", "webhook", d.id, changed);
    json_decref(changed);
    reply_with_secret(r, 200, &d, secret);
}

void
h_webhook_deliveries(struct request *r)
{
    const char *partner;
    struct qpage p = QPAGE_INIT;
    const struct qspec spec[] = {QS_PAGE(&p), QS_SPEC_END};
    struct db_page page;
    struct db_doc d;

    if (!qspec_parse(r, spec) || (partner = own_partner(r)) == NULL ||
        !find_webhook(r, partner, NULL, &d))
        return;
    db_doc_clear(&d);
    if (db_list_deliveries(r->db, r->params[1], qcursor_a(&p.cursor), p.limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}

void
h_webhook_redeliver(struct request *r)
{
    static const char no_delivery[] = "no such delivery of this partner's webhook";
    const char *partner = own_partner(r);
    struct db_doc d;
    enum db_qs qs;

    if (partner == NULL || !find_webhook(r, partner, no_delivery, &d))
        return;
    db_doc_clear(&d);
    if (!is_uuid(r->params[2])) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "%s", no_delivery);
        return;
    }
    if ((qs = db_redeliver(r->db, r->params[1], r->params[2], &d)) <= 0) {
        if (qs < 0)
            reply_db_error(r);
        else
            reply_problem(r, ERR_NOT_FOUND, NULL, "%s", no_delivery);
        return;
    }
    reply_json_steal(r, 200, d.doc);
}
