/* The feed as an RFC 5545 calendar (service/stekd/domain/ical.c). */
#ifndef STEK_ICAL_H
#define STEK_ICAL_H

#include "stek/feed.h"

#include <stddef.h>

/*
 * Renders an RFC 5545 calendar named calname (in lang; NULL: no LANGUAGE), each
 * event's texts with LANGUAGE= of its row; a malloc'd string.
 */
char *feed_render_ics(const struct feed_result *res, const char *calname, const char *lang,
                      size_t *len);

#endif
