#include "stek/secrets.h"
#include "stek/webhook.h"
#include "stek/outbound.h"

#include "stek/crypto.h"
#include "stek/db.h"
#include "stek/job.h"
#include "stek/log.h"
#include "stek/metrics.h"
#include "stek/version.h"

#include <curl/curl.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_AGE_S (24 * 3600) /* retried for a day, then failed */
#define LEASE_S 30            /* a claimed event another daemon may take after this */
#define TIMEOUT_MS 5000       /* one attempt */
#define BODY_KEEP 1024        /* of a receiver's answer, at most this is read */

struct answer {
    size_t got;
    long retry_after; /* seconds, -1 when none */
};

static size_t
on_body(char *p, size_t size, size_t n, void *cls)
{
    struct answer *a = cls;
    (void)p;
    a->got += size * n; /* read and dropped: nothing of a receiver's body is kept */
    return a->got > BODY_KEEP * 64 ? 0 : size * n;
}

static size_t
on_header(char *line, size_t size, size_t n, void *cls)
{
    struct answer *a = cls;
    size_t len = size * n;
    if (len > 12 && strncasecmp(line, "Retry-After:", 12) == 0)
        a->retry_after = strtol(line + 12, NULL, 10);
    return len;
}

/* One attempt; returns the HTTP status (0: none) and writes why it failed into err. */
static long
post(const struct stek_config *cfg, const struct webhook_job *j, long *retry_after, char *err,
     size_t errlen)
{
    char pin[600], sig[STEK_SHA256_HEX_LEN + 1], old[STEK_SHA256_HEX_LEN + 1], header[400];
    const char *why =
        outbound_check_url(cfg->webhook_allow, "STEK_WEBHOOK_ALLOW", j->url, pin, sizeof(pin));
    struct curl_slist *hdrs = NULL, *resolve = NULL;
    struct answer a = {0, -1};
    long status = 0;
    CURL *c;

    *retry_after = -1;
    if (why != NULL) {
        snprintf(err, errlen, "refused: the URL %s", why);
        return -1; /* SSRF at delivery time (DNS rebinding): never sent, not retried */
    }
    /* Stripe's scheme: t=<unix time>,v1=<HMAC-SHA256 of "t.body">; a second v1 with the
     * previous secret while it still counts, so a rotation never breaks the receiver. */
    char secret[SECRET_PLAIN_MAX + 1], previous[SECRET_PLAIN_MAX + 1] = "";
    if (!secret_open(j->secret, j->webhook_id, secret, sizeof(secret)) ||
        (j->previous_secret[0] != '\0' &&
         !secret_open(j->previous_secret, j->webhook_id, previous, sizeof(previous)))) {
        snprintf(err, errlen, "the secret cannot be opened with this daemon's key ring");
        return 0; /* retried: another daemon (or this one, with its key file fixed) may */
    }
    long long t = (long long)time(NULL);
    size_t blen = strlen(j->payload);
    char *signed_ = malloc(blen + 32);
    if (signed_ == NULL)
        abort();
    int hl = snprintf(signed_, blen + 32, "%lld.", t);
    memcpy(signed_ + hl, j->payload, blen + 1);
    stek_hmac_sha256_hex(secret, signed_, (size_t)hl + blen, sig);
    if (previous[0] != '\0') {
        stek_hmac_sha256_hex(previous, signed_, (size_t)hl + blen, old);
        snprintf(header, sizeof(header), "Stek-Signature: t=%lld,v1=%s,v1=%s", t, sig, old);
    } else {
        snprintf(header, sizeof(header), "Stek-Signature: t=%lld,v1=%s", t, sig);
    }
    free(signed_);
    memset(secret, 0, sizeof(secret));
    memset(previous, 0, sizeof(previous));
    hdrs = curl_slist_append(hdrs, header);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    snprintf(header, sizeof(header), "Stek-Event-Id: %s", j->id);
    hdrs = curl_slist_append(hdrs, header);
    snprintf(header, sizeof(header), "Stek-Event-Type: %s", j->event_type);
    hdrs = curl_slist_append(hdrs, header);
    hdrs = curl_slist_append(hdrs, "Expect:");
    resolve = curl_slist_append(resolve, pin);
    if ((c = curl_easy_init()) == NULL) {
        snprintf(err, errlen, "cannot start a request");
        curl_slist_free_all(hdrs);
        curl_slist_free_all(resolve);
        return 0;
    }
    curl_easy_setopt(c, CURLOPT_URL, j->url);
    curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->payload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "stek-webhooks/" STEK_VERSION);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* no redirects: a 3xx is an answer */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    curl_slist_free_all(resolve);
    *retry_after = a.retry_after;
    return status;
}

static void delivery_run(struct job *j);

static struct {
    struct job job;
    const struct stek_config *cfg;
} D = {.job = JOB_INIT("webhook delivery", delivery_run, NULL)};

/* Exponential backoff with jitter: base, 2 base, 4 base ... at most an hour, +-20 %. */
static long
backoff_ms(unsigned base, int attempts)
{
    double ms = (double)base;
    for (int i = 1; i < attempts && ms < 3600000.0; i++)
        ms *= 2;
    if (ms > 3600000.0)
        ms = 3600000.0;
    unsigned char r;
    if (!stek_random_bytes(&r, 1))
        r = 128;
    return (long)(ms * (0.8 + 0.4 * r / 255.0));
}

static void
deliver(struct db_conn *db, const struct webhook_job *j)
{
    char err[256] = "";
    long retry_after;
    long status = post(D.cfg, j, &retry_after, err, sizeof(err));
    const char *outcome;
    long retry = 0;

    if (status >= 200 && status < 300) {
        outcome = "delivered";
        metric_inc(M_WEBHOOK_DELIVERED);
    } else if (status != -1 && (status == 0 || status == 429 || status >= 500) &&
               j->age_s < MAX_AGE_S) {
        outcome = "pending";
        retry = backoff_ms(D.cfg->webhook_retry_ms, j->attempts);
        if ((status == 429 || status == 503) && retry_after >= 0)
            retry = retry_after * 1000;
        if (err[0] == '\0')
            snprintf(err, sizeof(err), "the receiver answered %ld", status);
        metric_inc(M_WEBHOOK_RETRIED);
    } else {
        outcome = "failed"; /* other 4xx and 3xx, refused URLs, or a day of retries */
        if (err[0] == '\0')
            snprintf(err, sizeof(err), "the receiver answered %ld", status);
        metric_inc(M_WEBHOOK_FAILED);
    }
    db_finish_delivery(db, j->id, outcome, status > 0 ? (int)status : 0, err[0] ? err : NULL,
                       retry);
    db_webhook_health(db, j->webhook_id, strcmp(outcome, "delivered") == 0);
}

static void
delivery_run(struct job *j)
{
    struct db_conn *db =
        db_conn_new(D.cfg->database_url, "stekd-webhooks", (int)D.cfg->statement_timeout_ms);
    unsigned tick = 0;

    while (!job_stopping(j)) {
        struct webhook_job *jobs = NULL;
        size_t n = 0;
        if (db_conn_ensure(db)) {
            if (db_claim_deliveries(db, 16, LEASE_S, &jobs, &n) > 0)
                for (size_t i = 0; i < n && !job_stopping(j); i++)
                    deliver(db, &jobs[i]);
            webhook_jobs_free(jobs, n);
            if (tick++ % 20 == 0) {
                long depth = 0, oldest = 0;
                if (db_outbox_stats(db, &depth, &oldest) >= 0)
                    metric_outbox(depth, oldest);
            }
        }
        if (n == 0)
            job_sleep(j, 200); /* poll: an event waits at most this long */
    }
    db_conn_free(db);
}

void
webhook_delivery_start(const struct stek_config *cfg)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    D.cfg = cfg;
    job_start(&D.job);
}

void
webhook_delivery_stop(void)
{
    job_stop(&D.job);
    curl_global_cleanup();
}
