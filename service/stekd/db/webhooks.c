/* Webhook subscriptions and their outbox (the delivery side runs in webhook.c). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum db_qs
db_insert_webhook(struct db_conn *c, const char *id, const char *partner, const char *url,
                  const json_t *events, const char *description, const char *secret,
                  struct db_doc *out)
{
    char ev[256];
    const char *params[] = {partner,     url,    db_text_array(events, ev, sizeof(ev)),
                            description, secret, id};
    return db_query_doc(c, STMT(insert_webhook, params), params, out);
}

enum db_qs
db_list_webhooks(struct db_conn *c, const char *partner, const char *after_a, const char *after_b,
                 int limit, struct db_page *page)
{
    const char *params[] = {partner, after_a, after_b, NULL};
    return db_query_page(c, STMT(list_webhooks, params), params, 3, limit, page);
}

enum db_qs
db_get_webhook(struct db_conn *c, const char *partner, const char *id, struct db_doc *out)
{
    const char *params[] = {partner, id};
    return db_query_doc(c, STMT(get_webhook, params), params, out);
}

enum db_qs
db_update_webhook(struct db_conn *c, const char *partner, const char *id, const char *url,
                  const json_t *events, bool description_given, const char *description,
                  const char *active, struct db_doc *out)
{
    char ev[256];
    const char *params[] = {partner,
                            id,
                            url,
                            db_text_array(events, ev, sizeof(ev)),
                            description_given ? "true" : "false",
                            description,
                            active};
    return db_query_doc(c, STMT(update_webhook, params), params, out);
}

enum db_qs
db_delete_webhook(struct db_conn *c, const char *partner, const char *id)
{
    const char *params[] = {partner, id};
    return db_exec_command(c, STMT(delete_webhook, params), params);
}

enum db_qs
db_rotate_webhook_secret(struct db_conn *c, const char *partner, const char *id, const char *secret,
                         struct db_doc *out)
{
    const char *params[] = {partner, id, secret};
    return db_query_doc(c, STMT(rotate_webhook_secret, params), params, out);
}

enum db_qs
db_list_deliveries(struct db_conn *c, const char *webhook, const char *after_seq, int limit,
                   struct db_page *page)
{
    const char *params[] = {webhook, after_seq, NULL};
    return db_query_page(c, STMT(list_deliveries, params), params, 2, limit, page);
}

enum db_qs
db_redeliver(struct db_conn *c, const char *webhook, const char *id, struct db_doc *out)
{
    const char *params[] = {webhook, id};
    return db_query_doc(c, STMT(redeliver, params), params, out);
}

enum db_qs
db_claim_deliveries(struct db_conn *c, int max, int lease_s, struct webhook_job **jobs, size_t *n)
{
    char maxs[16], lease[16];
    snprintf(maxs, sizeof(maxs), "%d", max);
    snprintf(lease, sizeof(lease), "%d", lease_s);
    const char *params[] = {maxs, lease};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(claim_deliveries, params), params, &qs);

    *jobs = NULL;
    *n = 0;
    if (res == NULL)
        return qs;
    *n = (size_t)PQntuples(res);
    *jobs = calloc(*n + 1, sizeof(**jobs));
    if (*jobs == NULL)
        abort();
    for (size_t i = 0; i < *n; i++) {
        struct webhook_job *j = &(*jobs)[i];
        int r = (int)i;
        snprintf(j->id, sizeof(j->id), "%s", PQgetvalue(res, r, 0));
        snprintf(j->event_type, sizeof(j->event_type), "%s", PQgetvalue(res, r, 1));
        j->payload = strdup(PQgetvalue(res, r, 2));
        j->url = strdup(PQgetvalue(res, r, 3));
        snprintf(j->secret, sizeof(j->secret), "%s", PQgetvalue(res, r, 4));
        snprintf(j->previous_secret, sizeof(j->previous_secret), "%s", PQgetvalue(res, r, 5));
        j->attempts = (int)strtol(PQgetvalue(res, r, 6), NULL, 10);
        j->age_s = strtoll(PQgetvalue(res, r, 7), NULL, 10);
        snprintf(j->webhook_id, sizeof(j->webhook_id), "%s", PQgetvalue(res, r, 8));
        if (j->payload == NULL || j->url == NULL)
            abort();
    }
    PQclear(res);
    return (enum db_qs) * n;
}

void
webhook_jobs_free(struct webhook_job *jobs, size_t n)
{
    for (size_t i = 0; jobs != NULL && i < n; i++) {
        free(jobs[i].payload);
        free(jobs[i].url);
    }
    free(jobs);
}

enum db_qs
db_finish_delivery(struct db_conn *c, const char *id, const char *status, int http_status,
                   const char *error, long retry_ms)
{
    char st[16], ms[32];
    snprintf(st, sizeof(st), "%d", http_status);
    snprintf(ms, sizeof(ms), "%ld", retry_ms);
    const char *params[] = {id, status, http_status > 0 ? st : NULL, error, ms};
    return db_exec_command(c, STMT(finish_delivery, params), params);
}

enum db_qs
db_webhook_health(struct db_conn *c, const char *webhook, bool ok)
{
    const char *params[] = {webhook, ok ? "true" : "false"};
    return db_exec_command(c, STMT(webhook_health, params), params);
}

enum db_qs
db_outbox_stats(struct db_conn *c, long *depth, long *oldest_s)
{
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT0(outbox_stats), NULL, &qs);
    if (res == NULL)
        return qs;
    *depth = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    *oldest_s = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return qs;
}

enum db_qs
db_sealed_key_ids(struct db_conn *c, char *out, size_t len)
{
    const char *const *none = NULL;
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT0(sealed_key_ids), none, &qs);

    out[0] = '\0';
    if (res == NULL)
        return qs;
    snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return out[0] != '\0' ? 1 : DB_NO_ROWS;
}

enum db_qs
db_secrets_not_under(struct db_conn *c, const char *key_id, struct stored_secret **out, size_t *n)
{
    char prefix[40];
    snprintf(prefix, sizeof(prefix), "sealed:1:%s:", key_id);
    const char *params[] = {prefix};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(secrets_not_under, params), params, &qs);

    *out = NULL;
    *n = 0;
    if (res == NULL)
        return qs;
    *n = (size_t)PQntuples(res);
    if ((*out = calloc(*n + 1, sizeof(**out))) == NULL)
        abort();
    for (int i = 0; i < (int)*n; i++) {
        (*out)[i].calendar = strcmp(PQgetvalue(res, i, 0), "calendar") == 0;
        snprintf((*out)[i].id, sizeof((*out)[i].id), "%s", PQgetvalue(res, i, 1));
        snprintf((*out)[i].secret, sizeof((*out)[i].secret), "%s", PQgetvalue(res, i, 2));
        snprintf((*out)[i].previous, sizeof((*out)[i].previous), "%s", PQgetvalue(res, i, 3));
    }
    PQclear(res);
    return (enum db_qs) * n;
}

enum db_qs
db_reseal(struct db_conn *c, const struct stored_secret *was, const char *secret,
          const char *previous)
{
    if (was->calendar) {
        const char *params[] = {was->id, was->secret, secret};
        return db_exec_command(c, STMT(reseal_calendar, params), params);
    }
    const char *params[] = {was->id, was->secret, secret, previous[0] ? previous : NULL};
    return db_exec_command(c, STMT(reseal_webhook, params), params);
}
