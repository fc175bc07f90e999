/*
 * iCalendar (RFC 5545) rendering of a feed: UTC times (no VTIMEZONE needed),
 * CRLF line ends, lines folded at 75 octets without splitting a UTF-8
 * character, TEXT escaping, stable UIDs, SEQUENCE and LAST-MODIFIED so that
 * calendar apps pick up changes, STATUS:CANCELLED for cancellations.
 */
#include "stek/feed.h"
#include "stek/rrule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void
put(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8192;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Writes one content line, folded: at most 75 octets a line, continuation lines start with a space.
 */
static void
line(struct buf *b, const char *s)
{
    size_t n = strlen(s), used = 0, width = 75;

    while (n - used > width) {
        size_t cut = used + width;
        while (cut > used && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--; /* never inside a UTF-8 sequence */
        put(b, s + used, cut - used);
        put(b, "\r\n ", 3);
        used = cut;
        width = 74; /* the leading space counts */
    }
    put(b, s + used, n - used);
    put(b, "\r\n", 2);
}

/* NAME:escaped text (RFC 5545 3.3.11). */
static void
text_line(struct buf *b, const char *name, const char *text)
{
    size_t n = strlen(name) + 2 + 2 * strlen(text);
    char *out = malloc(n + 1), *o;

    if (out == NULL) {
        b->failed = true;
        return;
    }
    o = out + sprintf(out, "%s:", name);
    for (const char *s = text; *s; s++) {
        if (*s == '\\' || *s == ';' || *s == ',') {
            *o++ = '\\';
            *o++ = *s;
        } else if (*s == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (*s != '\r') {
            *o++ = *s;
        }
    }
    *o = '\0';
    line(b, out);
    free(out);
}

static void
utc_stamp(int64_t t, char out[17])
{
    int64_t day = t / 86400 - (t % 86400 < 0);
    unsigned s = (unsigned)(t - day * 86400); /* 0..86399 */
    int y;
    unsigned m, d;
    civil_from_days((int32_t)day, &y, &m, &d);
    snprintf(out, 17, "%04u%02u%02uT%02u%02u%02uZ", (unsigned)y % 10000u, m % 100u, d % 100u,
             s / 3600 % 100u, s / 60 % 60, s % 60);
}

char *
feed_render_ics(const struct feed_result *res, const char *calname, size_t *len)
{
    struct buf b = {0};
    char tmp[160], stamp[17]; /* tmp: fixed-width lines only (UID, times, GEO), no user text */

    line(&b, "BEGIN:VCALENDAR");
    line(&b, "VERSION:2.0");
    line(&b, "PRODID:-//stek//activity feed//EN");
    line(&b, "CALSCALE:GREGORIAN");
    line(&b, "METHOD:PUBLISH");
    text_line(&b, "X-WR-CALNAME", calname);
    line(&b, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line(&b, "X-PUBLISHED-TTL:PT1H");
    for (size_t i = 0; i < res->n; i++) {
        const struct feed_item *it = &res->items[i];
        const struct feed_row *row = it->row;
        const json_t *addr = json_object_get(it->site, "address");
        const json_t *loc = json_object_get(it->site, "location");

        line(&b, "BEGIN:VEVENT");
        snprintf(tmp, sizeof(tmp), "UID:%s@stek", it->occurrence_id);
        line(&b, tmp);
        /* DTSTAMP is the last change, not the time of rendering: equal data, equal bytes. */
        utc_stamp(it->changed, stamp);
        snprintf(tmp, sizeof(tmp), "DTSTAMP:%s", stamp);
        line(&b, tmp);
        snprintf(tmp, sizeof(tmp), "LAST-MODIFIED:%s", stamp);
        line(&b, tmp);
        /* Minutes since 2025 of the last change: it grows with every change, as SEQUENCE must. */
        snprintf(
            tmp, sizeof(tmp), "SEQUENCE:%lld",
            (long long)((it->changed - 1735689600) / 60 > 0 ? (it->changed - 1735689600) / 60 : 0));
        line(&b, tmp);
        utc_stamp(it->start, stamp);
        snprintf(tmp, sizeof(tmp), "DTSTART:%s", stamp);
        line(&b, tmp);
        utc_stamp(it->end, stamp);
        snprintf(tmp, sizeof(tmp), "DTEND:%s", stamp);
        line(&b, tmp);
        text_line(&b, "SUMMARY", row->title);
        {
            /* Whole texts, however long: a growing buffer, never a fixed one that would cut
             * a description (4,000 characters of 4 bytes) or an address mid-character. */
            struct buf d = {0};
            if (row->description != NULL) {
                puts_(&d, row->description);
                puts_(&d, "\n");
            }
            if (row->free)
                puts_(&d, "Gratis / free");
            if (row->price_note != NULL) {
                if (row->free)
                    puts_(&d, "\n");
                puts_(&d, row->price_note);
            }
            puts_(&d, "\n");
            puts_(&d, strcmp(row->registration, "required") == 0
                          ? "Inschrijven nodig / registration required"
                          : "Geen afspraak nodig / no appointment needed");
            if (row->audience != NULL) {
                puts_(&d, "\n");
                puts_(&d, row->audience);
            }
            puts_(&d, "\n");
            puts_(&d, row->partner_name);
            if (row->contact_phone != NULL) {
                puts_(&d, "\nTel. ");
                puts_(&d, row->contact_phone);
            }
            if (row->contact_email != NULL) {
                puts_(&d, "\n");
                puts_(&d, row->contact_email);
            }
            if (it->note != NULL) {
                puts_(&d, "\n");
                puts_(&d, it->note);
            }
            text_line(&b, "DESCRIPTION", d.p != NULL ? d.p : "");
            b.failed = b.failed || d.failed;
            free(d.p);
        }
        {
            struct buf l = {0};
            const char *parts[] = {json_string_value(json_object_get(it->site, "name")),    ", ",
                                   json_string_value(json_object_get(addr, "street")),      ", ",
                                   json_string_value(json_object_get(addr, "postal_code")), " ",
                                   json_string_value(json_object_get(addr, "municipality"))};
            for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++)
                puts_(&l, parts[p] != NULL ? parts[p] : "");
            text_line(&b, "LOCATION", l.p != NULL ? l.p : "");
            b.failed = b.failed || l.failed;
            free(l.p);
        }
        if (row->contact_email != NULL || row->contact_phone != NULL) {
            /* RFC 5545 3.8.4.2: whom to contact about the event. */
            struct buf c = {0};
            if (row->contact_phone != NULL)
                puts_(&c, row->contact_phone);
            if (row->contact_email != NULL) {
                if (row->contact_phone != NULL)
                    puts_(&c, ", ");
                puts_(&c, row->contact_email);
            }
            text_line(&b, "CONTACT", c.p != NULL ? c.p : "");
            b.failed = b.failed || c.failed;
            free(c.p);
        }
        if (row->contact_email != NULL) {
            /* ORGANIZER (3.8.4.3): the partner, with its address; a quoted CN holds no '"'. */
            struct buf o = {0};
            puts_(&o, "ORGANIZER;CN=\"");
            for (const char *q = row->partner_name; *q; q++)
                if (*q != '"')
                    put(&o, q, 1);
            puts_(&o, "\":mailto:");
            puts_(&o, row->contact_email);
            if (o.p != NULL)
                line(&b, o.p);
            b.failed = b.failed || o.failed;
            free(o.p);
        }
        if (json_is_object(loc)) {
            snprintf(tmp, sizeof(tmp), "GEO:%.6f;%.6f",
                     json_number_value(json_object_get(loc, "lat")),
                     json_number_value(json_object_get(loc, "lon")));
            line(&b, tmp);
        }
        line(&b, it->status == OCC_CANCELLED ? "STATUS:CANCELLED" : "STATUS:CONFIRMED");
        line(&b, "TRANSP:OPAQUE");
        line(&b, "END:VEVENT");
    }
    line(&b, "END:VCALENDAR");
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
