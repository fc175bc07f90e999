/*
 * Structured logs: one JSON object per line on stderr. Never pass request
 * bodies or note text to these functions.
 */
#ifndef STEK_LOG_H
#define STEK_LOG_H

#include <stdint.h>

/* Logs {"ts","level","msg", ...fields} where fields come in key/value string pairs, NULL-ended. */
void log_event(const char *level, const char *msg, ...);

/* The access log line for one request. */
void log_access(const char *method, const char *path, unsigned status, double ms,
                const char *request_id, const char *key_id);

#endif
