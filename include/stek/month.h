/*
 * The monthly calendar for the wall (service/stekd/domain/month.c): one A4
 * landscape HTML page with a grid of the weeks and each day's activities,
 * built from a feed result. Pure code: no I/O.
 */
#ifndef STEK_MONTH_H
#define STEK_MONTH_H

#include "stek/feed.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>

struct month_page {
    int year;
    unsigned month;                 /* 1..12 */
    const char *lang;               /* "nl", "fr" or "en" */
    const char *heading;            /* the site's name, or the municipality */
    const char *address;            /* one line, or NULL */
    bool show_site;                 /* each activity names its site (a municipality's calendar) */
    const struct feed_result *feed; /* the month's occurrences, in order */
    const char *qr_svg;             /* an <svg> element, or NULL */
    const char *url;                /* where the QR code leads (shown under it) */
};

/* The page's view model for service/web/templates/month.html (a new object): the columns'
 * widths, the type size, the weeks with each day's items, the contact lines, the words. */
json_t *month_view(const struct month_page *p);

/* The page as HTML: the template rendered with the view (malloc'd, *len set). */
char *month_render_html(const struct month_page *p, size_t *len);

/*
 * The height in millimetres that day's cell needs in a column width_mm wide at
 * pt points (the page picks the largest type at which every week fits). For
 * the unit tests.
 */
double month_cell_mm(const struct month_page *p, int32_t day, double width_mm, double pt);

#endif
