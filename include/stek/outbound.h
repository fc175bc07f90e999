/*
 * URLs the daemon itself will request (service/stekd/http/outbound.c): webhooks today. The
 * check that a subscription's URL is safe to call lives here, in the HTTP layer, so that the
 * handlers that take subscriptions and the delivery job that calls them share it.
 */
#ifndef STEK_OUTBOUND_H
#define STEK_OUTBOUND_H

#include "stek/config.h"

#include <stddef.h>

/*
 * Checks a URL against SSRF: https (or http for an allow-listed host), and a host whose every
 * address is public, unless STEK_WEBHOOK_ALLOW lists it. On success returns NULL and writes
 * "host:port:address" into pin (for CURLOPT_RESOLVE: the request goes to the address that was
 * checked, so a second DNS answer cannot redirect it); otherwise returns why.
 */
const char *outbound_check_url(const struct stek_config *cfg, const char *url, char *pin,
                               size_t pinlen);

#endif
