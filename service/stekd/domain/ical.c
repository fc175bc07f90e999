/*
 * iCalendar (RFC 5545) rendering of a feed: UTC times (no VTIMEZONE needed),
 * CRLF line ends, lines folded at 75 octets without splitting a UTF-8
 * character, TEXT escaping, stable UIDs, SEQUENCE and LAST-MODIFIED so that
 * calendar apps pick up changes, STATUS:CANCELLED for cancellations.
 */
#include "stek/feed.h"
#include "stek/ical.h"
#include "stek/date.h"
#include "stek/rrule.h"
#include "stek/strbuf.h"
#include "stek/words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes one content line, folded: at most 75 octets a line, continuation lines start with a space.
 */
static void
line(struct strbuf *b, const char *s)
{
    size_t n = strlen(s), used = 0, width = 75;

    while (n - used > width) {
        size_t cut = used + width;
        while (cut > used && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--; /* never inside a UTF-8 sequence */
        sb_put(b, s + used, cut - used);
        sb_put(b, "\r\n ", 3);
        used = cut;
        width = 74; /* the leading space counts */
    }
    sb_put(b, s + used, n - used);
    sb_put(b, "\r\n", 2);
}

/* NAME;LANGUAGE=xx:escaped text (RFC 5545 3.3.11, 3.2.10); lang NULL: no parameter. scratch: a
 * buffer reused line after line. */
static void
text_line(struct strbuf *b, struct strbuf *scratch, const char *name, const char *lang,
          const char *text)
{
    const char *run = text, *s = text;

    sb_reset(scratch);
    sb_puts(scratch, name);
    if (lang != NULL && strcmp(lang, "all") != 0) {
        sb_put(scratch, ";LANGUAGE=", 10);
        sb_puts(scratch, lang);
    }
    sb_put(scratch, ":", 1);
    for (; *s; s++) {
        if (*s != '\\' && *s != ';' && *s != ',' && *s != '\n' && *s != '\r')
            continue;
        sb_put(scratch, run, (size_t)(s - run));
        if (*s == '\n') {
            sb_put(scratch, "\\n", 2);
        } else if (*s != '\r') {
            char esc[2] = {'\\', *s};
            sb_put(scratch, esc, 2);
        }
        run = s + 1;
    }
    sb_put(scratch, run, (size_t)(s - run));
    line(b, sb_str(scratch));
}

/*
 * A fixed phrase of DESCRIPTION from the word catalogue: in lang, or without one the Dutch and
 * English pair every calendar has always shown ("Gratis / free").
 */
static void
put_word(struct strbuf *d, const char *key, const char *lang)
{
    if (lang != NULL) {
        sb_puts(d, word(key, lang));
        return;
    }
    const char *en = word(key, "en");
    sb_puts(d, word(key, "nl"));
    sb_puts(d, " / ");
    if (en[0] >= 'A' && en[0] <= 'Z') {
        char first = (char)(en[0] - 'A' + 'a');
        sb_put(d, &first, 1);
        en++;
    }
    sb_puts(d, en);
}

static void
utc_stamp(int64_t t, char out[17])
{
    int64_t day = t / 86400 - (t % 86400 < 0);
    unsigned s = (unsigned)(t - day * 86400); /* 0..86399 */
    int y;
    unsigned m, d;
    civil_from_days((int32_t)day, &y, &m, &d);
    /* By hand (snprintf was a fifth of a calendar's time): YYYYMMDDTHHMMSSZ */
    unsigned v[] = {(unsigned)y % 10000u / 100u,
                    (unsigned)y % 100u,
                    m % 100u,
                    d % 100u,
                    s / 3600 % 100u,
                    s / 60 % 60,
                    s % 60};
    static const char seps[] = {0, 0, 0, 'T', 0, 0, 'Z'};
    date_fields(out, v, 7, seps);
}

/* Appends name, value and CRLF at *at: a content line far shorter than 75 octets (ids, times,
 * numbers), so never folded. */
static char *
put_short(char *at, const char *name, size_t n, const char *value, size_t v)
{
    memcpy(at, name, n);
    memcpy(at + n, value, v);
    memcpy(at + n + v, "\r\n", 2);
    return at + n + v + 2;
}
#define PUT_SHORT(at, name, value, v) put_short(at, name, sizeof(name) - 1, value, v)

/* The GEO line of a site's location, formatted once per render and site. */
struct geo_memo {
    const json_t *loc;
    char text[72];
};

static const char *
geo_of(const json_t *loc, struct geo_memo *memo, size_t n)
{
    size_t i;

    for (i = 0; i < n && memo[i].loc != NULL; i++)
        if (memo[i].loc == loc)
            return memo[i].text;
    if (i == n)
        i = n - 1; /* full: the last slot is reused */
    memo[i].loc = loc;
    char lat[32], lon[32];
    fmt_coordinate(json_number_value(json_object_get(loc, "lat")), lat);
    fmt_coordinate(json_number_value(json_object_get(loc, "lon")), lon);
    snprintf(memo[i].text, sizeof(memo[i].text), "GEO:%s;%s", lat, lon);
    return memo[i].text;
}

/* An occurrence's lines that follow from its row, site and note alone (SUMMARY to GEO), as
 * written for the row's last occurrence: a weekly activity's fifty-two share them. */
struct row_lines {
    const json_t *site;
    const char *note;
    size_t off, len; /* in the render's blocks */
    bool set;
};

/* The event's short lines (every occurrence has them): UID, stamps, SEQUENCE, start and end. */
static void
put_head(struct strbuf *b, const struct feed_item *it)
{
    char head[256], *at = head, stamp[17], num[24];

    at = PUT_SHORT(at, "BEGIN:VEVENT", "", 0);
    at = PUT_SHORT(at, "UID:", it->occurrence_id, 36);
    memcpy(at - 2, "@stek\r\n", 7);
    at += 5;
    /* DTSTAMP is the last change, not the time of rendering: equal data, equal bytes. */
    utc_stamp(it->changed, stamp);
    at = PUT_SHORT(at, "DTSTAMP:", stamp, 16);
    at = PUT_SHORT(at, "LAST-MODIFIED:", stamp, 16);
    /* Minutes since 2025 of the last change: it grows with every change, as SEQUENCE must. */
    long long seq = (it->changed - 1735689600) / 60 > 0 ? (it->changed - 1735689600) / 60 : 0;
    char *digits = num + sizeof(num) - 1;
    *digits = '\0';
    do
        *--digits = (char)('0' + seq % 10);
    while ((seq /= 10) > 0);
    at = PUT_SHORT(at, "SEQUENCE:", digits, (size_t)(num + sizeof(num) - 1 - digits));
    if (feed_item_all_day(it)) { /* the date alone: never shifted by a reader's zone */
        char day[11], next[11], v[9];
        date_format(it->day, day);
        date_format(it->day + 1, next);
        snprintf(v, sizeof(v), "%.4s%.2s%.2s", day, day + 5, day + 8);
        at = PUT_SHORT(at, "DTSTART;VALUE=DATE:", v, 8);
        snprintf(v, sizeof(v), "%.4s%.2s%.2s", next, next + 5, next + 8);
        at = PUT_SHORT(at, "DTEND;VALUE=DATE:", v, 8);
    } else {
        utc_stamp(it->start, stamp);
        at = PUT_SHORT(at, "DTSTART:", stamp, 16);
        utc_stamp(it->end, stamp);
        at = PUT_SHORT(at, "DTEND:", stamp, 16);
    }
    sb_put(b, head, (size_t)(at - head));
}

/* DESCRIPTION's text into d: whole texts, however long (a growing buffer, never a fixed one
 * that would cut a description of 4,000 characters of 4 bytes mid-character). */
static void
description(struct strbuf *d, const struct feed_item *it, const char *wlang)
{
    const struct feed_row *row = it->row;

    sb_reset(d);
    if (row->description != NULL) {
        sb_puts(d, row->description);
        sb_puts(d, "\n");
    }
    /* What the offer did not say (free, registration) is left out, never guessed. */
    if (row->free == FACT_YES)
        put_word(d, "free", wlang);
    if (row->price_note != NULL) {
        if (row->free == FACT_YES)
            sb_puts(d, "\n");
        sb_puts(d, row->price_note);
    }
    if (row->free == FACT_YES || row->price_note != NULL)
        sb_puts(d, "\n");
    if (row->registration != NULL) {
        put_word(d,
                 strcmp(row->registration, "required") == 0 ? "registration_required" : "walk_in",
                 wlang);
        sb_puts(d, "\n");
    }
    if (row->audience != NULL) {
        sb_puts(d, row->audience);
        sb_puts(d, "\n");
    }
    sb_puts(d, row->partner_name);
    if (row->contact_phone != NULL) {
        sb_puts(d, "\nTel. ");
        sb_puts(d, row->contact_phone);
    }
    if (row->contact_email != NULL) {
        sb_puts(d, "\n");
        sb_puts(d, row->contact_email);
    }
    if (it->note != NULL) {
        sb_puts(d, "\n");
        sb_puts(d, it->note);
    }
}

/* CONTACT (RFC 5545 3.8.4.2: whom to contact) and ORGANIZER (3.8.4.3: the partner, with its
 * address; a quoted CN holds no '"'). */
static void
put_contact(struct strbuf *b, struct strbuf *scratch, struct strbuf *part,
            const struct feed_row *row)
{
    if (row->contact_email != NULL || row->contact_phone != NULL) {
        sb_reset(part);
        if (row->contact_phone != NULL)
            sb_puts(part, row->contact_phone);
        if (row->contact_email != NULL) {
            if (row->contact_phone != NULL)
                sb_puts(part, ", ");
            sb_puts(part, row->contact_email);
        }
        text_line(b, scratch, "CONTACT", NULL, sb_str(part));
    }
    if (row->contact_email != NULL) {
        sb_reset(part);
        sb_puts(part, "ORGANIZER;CN=\"");
        for (const char *q = row->partner_name; *q; q++)
            if (*q != '"')
                sb_put(part, q, 1);
        sb_puts(part, "\":mailto:");
        sb_puts(part, row->contact_email);
        line(b, sb_str(part));
    }
}

/* The lines that follow from an occurrence's row, site and note (SUMMARY to GEO). */
static void
put_body(struct strbuf *b, struct strbuf *scratch, struct strbuf *part, const struct feed_item *it,
         const char *lang, struct geo_memo *geo, size_t ngeo)
{
    const struct feed_row *row = it->row;
    /* The fixed phrases: in the item's language when the reader chose one, else the
     * Dutch/English pair every calendar has always shown. */
    const char *wlang = lang != NULL ? row->language : NULL;
    const json_t *loc = json_object_get(it->site, "location");

    text_line(b, scratch, "SUMMARY", row->language, row->title);
    description(part, it, wlang);
    text_line(b, scratch, "DESCRIPTION", row->language, sb_str(part));
    sb_reset(part);
    sb_puts(part, json_string_value(json_object_get(it->site, "name")));
    sb_puts(part, ", ");
    sb_address_line(part, json_object_get(it->site, "address"));
    text_line(b, scratch, "LOCATION", row->language, sb_str(part));
    put_contact(b, scratch, part, row);
    if (json_is_object(loc))
        line(b, geo_of(loc, geo, ngeo));
}

char *
feed_render_ics(const struct feed_result *res, const char *calname, const char *lang, size_t *len)
{
    static const char tail_cancelled[] = "STATUS:CANCELLED\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n";
    static const char tail_confirmed[] = "STATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n";
    struct strbuf b = {0}, scratch = {0}, part = {0}, blocks = {0};
    struct geo_memo geo[32] = {{0}};
    size_t nrows = 0;

    for (size_t i = 0; i < res->n; i++)
        if (res->items[i].row_index + 1 > nrows)
            nrows = res->items[i].row_index + 1;
    struct row_lines *memo = calloc(nrows + 1, sizeof(*memo));
    if (memo == NULL)
        abort();
    line(&b, "BEGIN:VCALENDAR");
    line(&b, "VERSION:2.0");
    line(&b, "PRODID:-//stek//activity feed//EN");
    line(&b, "CALSCALE:GREGORIAN");
    line(&b, "METHOD:PUBLISH");
    text_line(&b, &scratch, "X-WR-CALNAME", lang, calname);
    line(&b, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line(&b, "X-PUBLISHED-TTL:PT1H");
    for (size_t i = 0; i < res->n; i++) {
        const struct feed_item *it = &res->items[i];
        struct row_lines *m = &memo[it->row_index];
        put_head(&b, it);
        /* The body once per row, site and note: copied for its other occurrences. */
        if (m->set && m->site == it->site && m->note == it->note) {
            sb_put(&b, blocks.p + m->off, m->len);
        } else {
            size_t from = b.len;
            put_body(&b, &scratch, &part, it, lang, geo, sizeof(geo) / sizeof(geo[0]));
            *m = (struct row_lines){.site = it->site,
                                    .note = it->note,
                                    .off = blocks.len,
                                    .len = b.len - from,
                                    .set = true};
            sb_put(&blocks, b.p + from, b.len - from);
        }
        if (it->status == OCC_CANCELLED)
            sb_put(&b, tail_cancelled, sizeof(tail_cancelled) - 1);
        else
            sb_put(&b, tail_confirmed, sizeof(tail_confirmed) - 1);
    }
    line(&b, "END:VCALENDAR");
    sb_free(&scratch);
    sb_free(&part);
    sb_free(&blocks);
    free(memo);
    return sb_steal(&b, len);
}
