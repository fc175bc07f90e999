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

/* NAME;LANGUAGE=xx:escaped text (RFC 5545 3.3.11, 3.2.10); lang NULL: no parameter. */
static void
text_line(struct strbuf *b, const char *name, const char *lang, const char *text)
{
    struct strbuf out = {0};

    if (lang != NULL && strcmp(lang, "all") != 0)
        sb_printf(&out, "%s;LANGUAGE=%s:", name, lang);
    else
        sb_printf(&out, "%s:", name);
    for (const char *s = text; *s; s++) {
        if (*s == '\\' || *s == ';' || *s == ',') {
            char esc[2] = {'\\', *s};
            sb_put(&out, esc, 2);
        } else if (*s == '\n') {
            sb_put(&out, "\\n", 2);
        } else if (*s != '\r') {
            sb_put(&out, s, 1);
        }
    }
    line(b, sb_str(&out));
    sb_free(&out);
}

struct ics_words {
    const char *lang, *free, *registration, *walk_in;
};

static const struct ics_words ics_words_all[] = {
    {NULL, "Gratis / free", "Inschrijven nodig / registration required",
     "Geen afspraak nodig / no appointment needed"},
    {"nl", "Gratis", "Inschrijven nodig", "Geen afspraak nodig"},
    {"fr", "Gratuit", "Inscription nécessaire", "Sans rendez-vous"},
    {"en", "Free", "Registration required", "No appointment needed"},
    {"de", "Kostenlos", "Anmeldung erforderlich", "Ohne Anmeldung"},
};

static const struct ics_words *
ics_words_for(const char *lang)
{
    for (size_t i = 1; lang != NULL && i < sizeof(ics_words_all) / sizeof(ics_words_all[0]); i++)
        if (strcmp(ics_words_all[i].lang, lang) == 0)
            return &ics_words_all[i];
    return &ics_words_all[0];
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
feed_render_ics(const struct feed_result *res, const char *calname, const char *lang, size_t *len)
{
    struct strbuf b = {0};
    char tmp[160], stamp[17]; /* tmp: fixed-width lines only (UID, times, GEO), no user text */

    line(&b, "BEGIN:VCALENDAR");
    line(&b, "VERSION:2.0");
    line(&b, "PRODID:-//stek//activity feed//EN");
    line(&b, "CALSCALE:GREGORIAN");
    line(&b, "METHOD:PUBLISH");
    text_line(&b, "X-WR-CALNAME", lang, calname);
    line(&b, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line(&b, "X-PUBLISHED-TTL:PT1H");
    for (size_t i = 0; i < res->n; i++) {
        const struct feed_item *it = &res->items[i];
        const struct feed_row *row = it->row;
        /* The fixed phrases: in the item's language when the reader chose one, else the
         * Dutch/English pair every calendar has always shown. */
        const struct ics_words *words = ics_words_for(lang != NULL ? row->language : NULL);
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
        text_line(&b, "SUMMARY", row->language, row->title);
        {
            /* Whole texts, however long: a growing buffer, never a fixed one that would cut
             * a description (4,000 characters of 4 bytes) or an address mid-character. */
            struct strbuf d = {0};
            if (row->description != NULL) {
                sb_puts(&d, row->description);
                sb_puts(&d, "\n");
            }
            if (row->free)
                sb_puts(&d, words->free);
            if (row->price_note != NULL) {
                if (row->free)
                    sb_puts(&d, "\n");
                sb_puts(&d, row->price_note);
            }
            sb_puts(&d, "\n");
            sb_puts(&d, strcmp(row->registration, "required") == 0 ? words->registration
                                                                   : words->walk_in);
            if (row->audience != NULL) {
                sb_puts(&d, "\n");
                sb_puts(&d, row->audience);
            }
            sb_puts(&d, "\n");
            sb_puts(&d, row->partner_name);
            if (row->contact_phone != NULL) {
                sb_puts(&d, "\nTel. ");
                sb_puts(&d, row->contact_phone);
            }
            if (row->contact_email != NULL) {
                sb_puts(&d, "\n");
                sb_puts(&d, row->contact_email);
            }
            if (it->note != NULL) {
                sb_puts(&d, "\n");
                sb_puts(&d, it->note);
            }
            text_line(&b, "DESCRIPTION", row->language, sb_str(&d));
            sb_free(&d);
        }
        {
            struct strbuf l = {0};
            const char *parts[] = {json_string_value(json_object_get(it->site, "name")),    ", ",
                                   json_string_value(json_object_get(addr, "street")),      ", ",
                                   json_string_value(json_object_get(addr, "postal_code")), " ",
                                   json_string_value(json_object_get(addr, "municipality"))};
            for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++)
                sb_puts(&l, parts[p] != NULL ? parts[p] : "");
            text_line(&b, "LOCATION", row->language, sb_str(&l));
            sb_free(&l);
        }
        if (row->contact_email != NULL || row->contact_phone != NULL) {
            /* RFC 5545 3.8.4.2: whom to contact about the event. */
            struct strbuf c = {0};
            if (row->contact_phone != NULL)
                sb_puts(&c, row->contact_phone);
            if (row->contact_email != NULL) {
                if (row->contact_phone != NULL)
                    sb_puts(&c, ", ");
                sb_puts(&c, row->contact_email);
            }
            text_line(&b, "CONTACT", NULL, sb_str(&c));
            sb_free(&c);
        }
        if (row->contact_email != NULL) {
            /* ORGANIZER (3.8.4.3): the partner, with its address; a quoted CN holds no '"'. */
            struct strbuf o = {0};
            sb_puts(&o, "ORGANIZER;CN=\"");
            for (const char *q = row->partner_name; *q; q++)
                if (*q != '"')
                    sb_put(&o, q, 1);
            sb_puts(&o, "\":mailto:");
            sb_puts(&o, row->contact_email);
            line(&b, sb_str(&o));
            sb_free(&o);
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
    return sb_steal(&b, len);
}
