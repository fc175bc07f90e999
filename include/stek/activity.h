/*
 * The public page of one occurrence, /activity/{occurrence_id} (service/stekd/domain/activity.c):
 * a small HTML page with schema.org JSON-LD for search engines. A group activity is an `Event`
 * (its status scheduled, cancelled or rescheduled with the previous start); a service open at set
 * hours (kind opening_hours) is no event: its site is a `Place` with its
 * openingHoursSpecification, closures and cancelled dates as specialOpeningHoursSpecification.
 */
#ifndef STEK_ACTIVITY_H
#define STEK_ACTIVITY_H

#include "stek/feed.h"

#include <jansson.h>
#include <stddef.h>

struct activity_page {
    const struct feed_item *item; /* the occurrence */
    const struct feed_row *rows;  /* every row read (the site's opening hours) */
    size_t nrows;
    const char *base; /* this service's public address, no trailing slash */
    const char *lang; /* the page's language: nl, fr, en or de */
    const char *css;  /* the page's stylesheet (a versioned asset path) */
    tz_lookup_fn tz;  /* for a rescheduled occurrence's previous start */
};

/* The JSON-LD object of the page (an Event or a Place). */
json_t *activity_jsonld(const struct activity_page *p);

/* The page's view model for service/web/templates/activity.html (a new object). */
json_t *activity_view(const struct activity_page *p);

/* The whole page: the template rendered with the view; a malloc'd string. */
char *activity_render_html(const struct activity_page *p, size_t *len);

#endif
