/*
 * Webhook delivery (service/stekd/webhook.c): a thread in every daemon that
 * takes due events from the outbox (webhook_deliveries, FOR UPDATE SKIP LOCKED,
 * so daemons share it without sending twice in the normal case), signs them
 * and POSTs them with libcurl, retrying with backoff for 24 hours.
 */
#ifndef STEK_WEBHOOK_H
#define STEK_WEBHOOK_H

#include "stek/config.h"

#include <stddef.h>

/*
 * Checks a webhook URL against SSRF: https (or http for an allow-listed
 * host), and a host whose every address is public, unless STEK_WEBHOOK_ALLOW
 * lists it. On success returns NULL and writes "host:port:address" into pin
 * (for CURLOPT_RESOLVE: the request goes to the address that was checked, so a
 * second DNS answer cannot redirect it); otherwise returns why.
 */
const char *webhook_check_url(const struct stek_config *cfg, const char *url, char *pin,
                              size_t pinlen);

void webhook_delivery_start(const struct stek_config *cfg);
void webhook_delivery_stop(void);

#endif
