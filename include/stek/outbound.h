/*
 * URLs the daemon itself will request (service/stekd/http/outbound.c): webhooks, and the
 * calendars partners connect (fetched here too: outbound_fetch). The
 * check that a subscription's URL is safe to call lives here, in the HTTP layer, so that the
 * handlers that take subscriptions and the delivery job that calls them share it.
 */
#ifndef STEK_OUTBOUND_H
#define STEK_OUTBOUND_H

#include "stek/config.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Checks a URL against SSRF: https (or http for an allow-listed host), and a host whose every
 * address is public, unless allow (the value of the setting named: STEK_WEBHOOK_ALLOW,
 * STEK_CALENDAR_ALLOW) lists it. On success returns NULL and writes "host:port:address" into
 * pin (for CURLOPT_RESOLVE: the request goes to the address that was checked, so a second DNS
 * answer cannot redirect it); otherwise returns why (a static string, or this thread's).
 */
const char *outbound_check_url(const char *allow, const char *setting, const char *url, char *pin,
                               size_t pinlen);

/* What a GET answered: its status, body (owned: free it) and validators. */
struct outbound_answer {
    long status;
    char *body;
    size_t len;
    char etag[256], last_modified[64];
    char error[160]; /* why there is no answer */
};

/*
 * GETs url (checked and pinned as outbound_check_url does; no redirect is followed), with
 * If-None-Match / If-Modified-Since when etag / last_modified are given, reading at most
 * max_bytes within timeout_s seconds; ca_file (or NULL): the certificates to trust instead of
 * the system's. False, with out->error, when nothing was answered or it was too large; any
 * HTTP status is an answer.
 */
bool outbound_fetch(const char *allow, const char *setting, const char *ca_file, const char *url,
                    const char *etag, const char *last_modified, size_t max_bytes, long timeout_s,
                    struct outbound_answer *out);

#endif
