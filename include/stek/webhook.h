/*
 * Webhook delivery (service/stekd/jobs/webhook.c): a thread in every daemon that
 * takes due events from the outbox (webhook_deliveries, FOR UPDATE SKIP LOCKED,
 * so daemons share it without sending twice in the normal case), signs them
 * and POSTs them with libcurl, retrying with backoff for 24 hours.
 */
#ifndef STEK_WEBHOOK_H
#define STEK_WEBHOOK_H

#include "stek/config.h"

#include <stddef.h>

void webhook_delivery_start(const struct stek_config *cfg);
void webhook_delivery_stop(void);

#endif
