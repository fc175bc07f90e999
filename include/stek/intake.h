/*
 * Reading a request off its connection (service/stekd/http/intake.c). Only
 * the server calls these, on an I/O thread.
 */
#ifndef STEK_INTAKE_H
#define STEK_INTAKE_H

#include "stek/config.h"
#include "stek/http.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * First call of the access handler: the headers are complete. Fills r (id,
 * client, headers, query, route) or sets an early error reply. Returns true
 * when the reply must be sent at once without reading a body (the connection
 * then closes). draining: the server is shutting down (503).
 */
bool intake_begin(struct request *r, const struct stek_config *cfg, bool draining, const char *url,
                  const char *method);

/* Appends a piece of the body, or counts it as drained once the body is too large. */
void intake_body(struct request *r, const struct stek_config *cfg, const char *data, size_t len);

/* How much of a too-large body is read and discarded before the 413 (then: close). */
size_t intake_drain_limit(const struct stek_config *cfg);

#endif
