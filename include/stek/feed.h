/*
 * The activity feed (pure part: service/stekd/domain/feed.c; iCalendar in ical.h).
 * The database returns the schedules that may have occurrences in a window
 * (struct feed_row); this code expands them, applies exceptions, converts
 * local times to instants in each site's timezone, filters, orders by start
 * then offer id, pages, and renders JSON or iCalendar.
 */
#ifndef STEK_FEED_H
#define STEK_FEED_H

#include "stek/offer.h"
#include "stek/tz.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FEED_MAX_WINDOW 366
#define FEED_MAX_ITEMS 20000 /* what one query may expand to; more is cut (ICS) */

/* "Open when I can go" (issue 34): occurrences on these weekdays (bit 0 Monday .. bit 6
 * Sunday; 0: any day), going on at some moment between from_min and to_min (minutes of the day,
 * local to the occurrence's site; each only when has_*), or going on at `now` (open_now). A
 * cancelled occurrence is never open. All zero: no condition. */
struct feed_open {
    uint8_t days;
    bool has_from, has_to, open_now;
    int from_min, to_min;
    int64_t now; /* seconds since 1970 */
};

/* Whether any of the conditions is set; whether an occurrence meets them all. */
bool feed_open_given(const struct feed_open *o);

struct feed_query {
    struct feed_open open;
    int32_t from, to; /* local dates, inclusive */
    int limit;        /* items per page; 0: all (iCalendar) */
    bool has_cursor;
    int64_t cursor_start; /* the last item of the previous page: start, then offer id */
    char cursor_offer[48];
};

/* Text values as the feed statement takes them; NULL: no such filter. */
struct search_query;

struct feed_filter {
    const char *from, *to, *municipality, *postal_code, *site, *lat, *lon, *radius_km;
    const char *partner, *function, *category, *free;
    const struct search_query *search; /* q, analysed and widened (search.h), or NULL */
    const char *kind;                  /* activity | opening_hours, or NULL: both */
    /* seconds since 1970: offers last confirmed before are quiet, left out (NULL: none is) */
    const char *confirmed_since;
};

/* The schedule rows of a feed query, decoded; rows borrow from what this owns. */
struct db_feed {
    void *result; /* PGresult *: the rows' strings */
    json_t *json; /* the rows' JSON values, each parsed once */
    struct feed_row *rows;
    size_t n;
    struct feed_model *model; /* or the in-memory model they were read from (feedmodel.h) */
};

/*
 * One schedule as the feed statement returns it, decoded by db/feed.c: strings
 * and JSON values are borrowed from the struct db_feed that holds the rows.
 */
struct feed_row {
    const char *offer_id, *title, *description, *price_note;
    json_t *functions, *categories; /* arrays of names (borrowed, like all here) */
    enum offer_fact free;
    long version;
    int64_t changed; /* seconds since 1970: the latest change of offer, site or partner */
    const char *partner_id, *partner_name;
    int32_t dtstart, until; /* until: DAY_NONE for none */
    const char *rrule;      /* NULL: a single date */
    int start_min, end_min;
    const char *timezone;
    json_t *site;          /* {"id","name","address","location"} */
    const char *site_text; /* site as JSON text (the model's, made once), or NULL */
    bool site_shown;       /* site is shared and already localized: feed_localize leaves it */
    bool site_ok;          /* the schedule's site matches the query's site filters */
    json_t *exceptions;    /* the offer's exceptions in the window: [{date, status, ...}] */
    json_t *closures;      /* the site's closures in the window: [{from, to, note}] */
    const char *registration, *audience; /* NULL when not said */
    const char *kind;                    /* activity | opening_hours (feed_kind's static strings) */
    const char *contact_email, *contact_phone; /* offer's, else partner's, else site's; or NULL */
    const char *main_language;                 /* the offer's */
    json_t *translations;                      /* the offer's other languages (i18n.h) */
    const char *language; /* the language its texts are shown in (set by feed_localize) */
    int64_t confirmed;    /* seconds since 1970: when the offer was last confirmed */
    unsigned search_mask; /* the words of q its offer has (search.h: bit g - 1), 0 without q */
};

/* How the feed writes a JSON value it has as a json_t. */
#define FEED_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* An offer's kind as a static string: "opening_hours" (a service open at set hours: not an
 * event) or "activity" (each occurrence an event). */
static inline const char *
feed_kind(const char *value)
{
    return value != NULL && value[0] == 'o' ? "opening_hours" : "activity";
}

/*
 * Puts rows into the reader's language (lang NULL: each offer's main language):
 * an offer's texts, its sites' names and its notes all in one language, the
 * reader's when the offer has every text in it (i18n.h). Sets row->language;
 * rewrites the rows' text pointers and JSON in place. Always called before
 * feed_build: it also drops what only the database needed from the JSON.
 */
void feed_localize(struct feed_row *rows, size_t n, const char *lang);

/* A site object of the feed in lang (NULL: its main language), in the feed's shape. */
void feed_localize_site(json_t *site, const char *lang);

/* Looks up a timezone by name; NULL when unknown. The result outlives the feed. */
typedef const struct tz *(*tz_lookup_fn)(const char *name);

enum feed_status { OCC_SCHEDULED, OCC_CANCELLED, OCC_MOVED };

struct feed_item {
    const struct feed_row *row;
    int32_t day; /* the scheduled local date */
    enum feed_status status;
    int64_t start, end; /* instants */
    int32_t start_off, end_off;
    const char *note;   /* borrowed from the parsed exceptions */
    const json_t *site; /* the occurrence's site (a moved one's new site); borrowed */
    size_t row_index;
    uint32_t offer_rank; /* the offer's place in the rows' order by offer id (feed_build) */
    int64_t changed;
    char occurrence_id[37];
};

bool feed_item_open(const struct feed_item *it, const struct feed_open *o);

/* q (search.h): keeps the rows whose offer has every word of q that some row's offer has (none
 * when no row has any); for rows of a query with q. */
void feed_rows_searched(struct feed_row *rows, size_t *n);

struct feed_result {
    struct feed_item *items; /* owned */
    size_t n;
    bool more;      /* another page follows */
    bool truncated; /* FEED_MAX_ITEMS was reached */
    int64_t last_modified;
};

/* Whether an item takes its whole day: its times 00:00 to 23:59 (how an all-day event of a
 * partner's calendar is kept, and how the API says it); the feed says all_day, its calendar
 * writes the date alone. */
static inline bool
feed_item_all_day(const struct feed_item *it)
{
    return it->end - it->start == (24 * 60 - 1) * 60 && it->row->start_min == 0 &&
           it->row->end_min == 24 * 60 - 1;
}

/* Expands rows into the query's page of items. False only on allocation failure. */
bool feed_build(const struct feed_row *rows, size_t nrows, const struct feed_query *q,
                tz_lookup_fn tz, struct feed_result *out);

void feed_result_clear(struct feed_result *res);

/* Renders {"items": [...], "next_cursor": ...}; a malloc'd string. */
char *feed_render_json(const struct feed_result *res, size_t *len);

/* Formats an instant with its offset as RFC 3339: 2026-12-17T13:00:00+01:00 (26 bytes). */
void format_local(int64_t utc, int32_t offset, char out[32]);

#endif
