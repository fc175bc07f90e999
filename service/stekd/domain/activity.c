/* The page of one occurrence with its schema.org JSON-LD (activity.h). Pure: no I/O. */
#include "stek/activity.h"
#include "stek/date.h"
#include "stek/rrule.h"
#include "stek/strbuf.h"
#include "stek/template.h"
#include "stek/words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA "https://schema.org/"

static const char *
str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A schema.org Place for a feed site object: name, PostalAddress, GeoCoordinates. */
static json_t *
place(const json_t *site)
{
    const json_t *a = json_object_get(site, "address"), *loc = json_object_get(site, "location");
    json_t *p = json_pack("{s:s, s:s?, s:{s:s, s:s?, s:s?, s:s?, s:s?}}", "@type", "Place", "name",
                          str(site, "name"), "address", "@type", "PostalAddress", "streetAddress",
                          str(a, "street"), "postalCode", str(a, "postal_code"), "addressLocality",
                          str(a, "municipality"), "addressCountry", str(a, "country"));
    if (json_is_object(loc))
        json_object_set_new(p, "geo",
                            json_pack("{s:s, s:O, s:O}", "@type", "GeoCoordinates", "latitude",
                                      json_object_get(loc, "lat"), "longitude",
                                      json_object_get(loc, "lon")));
    return p;
}

static void
set_str(json_t *o, const char *key, const char *value)
{
    if (value != NULL)
        json_object_set_new(o, key, json_string(value));
}

static json_t *
event(const struct activity_page *p)
{
    const struct feed_item *it = p->item;
    const struct feed_row *row = it->row;
    char start[32], end[32], url[512];
    const char *status = SCHEMA "EventScheduled";
    json_t *e;

    format_local(it->start, it->start_off, start);
    format_local(it->end, it->end_off, end);
    snprintf(url, sizeof(url), "%s/activity/%s", p->base, it->occurrence_id);
    e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s}, s:s}", "@context",
                  "https://schema.org", "@type", "Event", "@id", url, "url", url, "name",
                  row->title, "startDate", start, "endDate", end, "eventAttendanceMode",
                  SCHEMA "OfflineEventAttendanceMode", "location", place(it->site), "organizer",
                  "@type", "Organization", "name", row->partner_name, "inLanguage", row->language);
    if (row->free != FACT_UNKNOWN) /* unknown: not said, never a guess */
        json_object_set_new(e, "isAccessibleForFree", json_boolean(row->free == FACT_YES));
    set_str(e, "description", row->description);
    if (it->status == OCC_CANCELLED) {
        status = SCHEMA "EventCancelled";
    } else if (it->status == OCC_MOVED) {
        /* The start it had: the scheduled day and time in its site's zone. */
        const struct tz *z = p->tz != NULL ? p->tz(row->timezone) : NULL;
        int32_t off = 0;
        if (z != NULL) {
            int64_t was = tz_local_to_utc(z, it->day, row->start_min, &off);
            if (was != it->start) {
                char prev[32];
                format_local(was, off, prev);
                status = SCHEMA "EventRescheduled";
                json_object_set_new(e, "previousStartDate", json_string(prev));
            }
        }
    }
    json_object_set_new(e, "eventStatus", json_string(status));
    if (row->free == FACT_YES)
        json_object_set_new(e, "offers",
                            json_pack("{s:s, s:i, s:s, s:s, s:s}", "@type", "Offer", "price", 0,
                                      "priceCurrency", "EUR", "availability", SCHEMA "InStock",
                                      "url", url));
    else if (row->price_note != NULL)
        json_object_set_new(e, "offers",
                            json_pack("{s:s, s:s, s:s}", "@type", "Offer", "description",
                                      row->price_note, "url", url));
    return e;
}

static const char *const day_names[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};

static void
hhmm(int minutes, char out[6])
{
    unsigned h = (unsigned)minutes / 60 % 24, m = (unsigned)minutes % 60;
    out[0] = (char)('0' + h / 10);
    out[1] = (char)('0' + h % 10);
    out[2] = ':';
    out[3] = (char)('0' + m / 10);
    out[4] = (char)('0' + m % 10);
    out[5] = '\0';
}

/* A day closed all day (schema.org: opens and closes at 00:00). */
static json_t *
closed_on(int32_t from, int32_t to)
{
    char f[11], t[11];
    date_format(from, f);
    date_format(to, t);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "@type", "OpeningHoursSpecification", "validFrom",
                     f, "validThrough", t, "opens", "00:00", "closes", "00:00");
}

/* The opening hours of one schedule: weekly rules (and daily ones) as days of the week, a
 * single date as a special day; other rules cannot be said this way and are left out. */
static void
opening_hours(const struct feed_row *row, json_t *regular, json_t *special)
{
    char opens[6], closes[6], from[11], until[11];
    struct rrule rule;
    char err[64];

    hhmm(row->start_min, opens);
    hhmm(row->end_min, closes);
    date_format(row->dtstart, from);
    if (row->rrule == NULL) {
        json_array_append_new(special,
                              json_pack("{s:s, s:s, s:s, s:s, s:s}", "@type",
                                        "OpeningHoursSpecification", "validFrom", from,
                                        "validThrough", from, "opens", opens, "closes", closes));
        return;
    }
    if (!rrule_parse(row->rrule, &rule, err, sizeof(err)) || rule.interval != 1 || rule.count > 0 ||
        (rule.freq != FREQ_WEEKLY && rule.freq != FREQ_DAILY))
        return;
    json_t *days = json_array();
    bool on[7] = {false};
    if (rule.nbyday == 0 && rule.freq == FREQ_DAILY)
        for (int d = 0; d < 7; d++)
            on[d] = true;
    else if (rule.nbyday == 0) /* weekly on dtstart's weekday */
        on[(row->dtstart % 7 + 10) % 7] = true;
    for (int i = 0; i < rule.nbyday; i++)
        on[rule.byday[i].wd % 7] = true;
    for (int d = 0; d < 7; d++)
        if (on[d]) {
            char name[40];
            snprintf(name, sizeof(name), SCHEMA "%s", day_names[d]);
            json_array_append_new(days, json_string(name));
        }
    json_t *spec =
        json_pack("{s:s, s:o, s:s, s:s, s:s}", "@type", "OpeningHoursSpecification", "dayOfWeek",
                  days, "opens", opens, "closes", closes, "validFrom", from);
    int32_t last = row->until;
    if (rule.until != DAY_NONE && (last == DAY_NONE || rule.until < last))
        last = rule.until;
    if (last != DAY_NONE) {
        date_format(last, until);
        json_object_set_new(spec, "validThrough", json_string(until));
    }
    json_array_append_new(regular, spec);
}

/* The site of an opening-hours offer as a Place with every opening-hours schedule there. */
static json_t *
opening_place(const struct activity_page *p)
{
    const struct feed_item *it = p->item;
    const char *site_id = str(it->site, "id");
    json_t *pl = place(it->site), *regular = json_array(), *special = json_array();
    char url[512];

    for (size_t i = 0; i < p->nrows; i++) {
        const struct feed_row *row = &p->rows[i];
        if (row->kind == NULL || strcmp(row->kind, "opening_hours") != 0 || site_id == NULL ||
            strcmp(str(row->site, "id") ? str(row->site, "id") : "", site_id) != 0)
            continue;
        opening_hours(row, regular, special);
        size_t k;
        const json_t *x;
        json_array_foreach(row->exceptions, k, x)
        {
            const char *st = str(x, "status");
            if (st != NULL && strcmp(st, "cancelled") == 0) {
                int32_t d = (int32_t)json_integer_value(json_object_get(x, "day"));
                json_array_append_new(special, closed_on(d, d));
            }
        }
    }
    /* The site's closures (every row of the site carries the same ones). */
    size_t k;
    const json_t *c;
    json_array_foreach(it->row->closures, k, c) json_array_append_new(
        special, closed_on((int32_t)json_integer_value(json_object_get(c, "from")),
                           (int32_t)json_integer_value(json_object_get(c, "to"))));
    snprintf(url, sizeof(url), "%s/activity/%s", p->base, it->occurrence_id);
    json_object_set_new(pl, "@context", json_string("https://schema.org"));
    json_object_set_new(pl, "@id", json_string(url));
    json_object_set_new(pl, "url", json_string(url));
    json_object_set_new(pl, "openingHoursSpecification", regular);
    if (json_array_size(special) > 0)
        json_object_set_new(pl, "specialOpeningHoursSpecification", special);
    else
        json_decref(special);
    return pl;
}

json_t *
activity_jsonld(const struct activity_page *p)
{
    const char *kind = p->item->row->kind;
    return kind != NULL && strcmp(kind, "opening_hours") == 0 ? opening_place(p) : event(p);
}

/* The JSON-LD as a script element may hold it: < > & as JSON escapes, so that no text can
 * end the element early or open a comment in it. */
static char *
jsonld_text(const struct activity_page *p)
{
    json_t *ld = activity_jsonld(p);
    char *text = json_dumps(ld, FEED_DUMP_FLAGS | JSON_ENSURE_ASCII);
    struct strbuf b = {0};

    json_decref(ld);
    for (const char *c = text; c != NULL && *c; c++) {
        if (*c == '<' || *c == '>' || *c == '&')
            sb_printf(&b, "\\u%04x", (unsigned)*c);
        else
            sb_put(&b, c, 1);
    }
    free(text);
    return sb_steal(&b, NULL);
}

json_t *
activity_view(const struct activity_page *p)
{
    const struct feed_item *it = p->item;
    const struct feed_row *row = it->row;
    const char *lang = row->language && strcmp(row->language, "all") != 0 ? row->language
                       : p->lang != NULL                                  ? p->lang
                                                                          : "nl";
    char start[32], end[32], url[512], site_url[512];
    struct strbuf where = {0};

    format_local(it->start, it->start_off, start);
    format_local(it->end, it->end_off, end);
    snprintf(url, sizeof(url), "%s/activity/%s", p->base, it->occurrence_id);
    snprintf(site_url, sizeof(site_url), "%s/?site=%s", p->base,
             str(it->site, "id") ? str(it->site, "id") : "");
    sb_puts(&where, str(it->site, "name"));
    sb_puts(&where, ", ");
    sb_address_line(&where, json_object_get(it->site, "address"));
    /* Price and registration as the offer said them; what it did not say is left out. */
    const char *price = row->free == FACT_YES     ? word("free", p->lang)
                        : row->price_note != NULL ? row->price_note
                        : row->free == FACT_NO    ? word("paid", p->lang)
                                                  : NULL;
    const char *reg = row->registration == NULL ? NULL
                      : strcmp(row->registration, "required") == 0
                          ? word("registration_required", p->lang)
                          : word("walk_in", p->lang);
    char *ld = jsonld_text(p);
    json_t *v = json_pack(
        "{s:s, s:s, s:s%, s:s, s:s, s:s, s:s%, s:s%, s:s%, s:s, s:s, s:s, s:s, s:b, s:b, s:o}",
        "lang", lang, "title", row->title, "date", start, (size_t)10, "url", url, "css", p->css,
        "jsonld", ld, "start", start, strlen(start), "start_time", start + 11, (size_t)5,
        "end_time", end + 11, (size_t)5, "end", end, "where", sb_str(&where), "partner",
        row->partner_name, "site_url", site_url, "price_line", price != NULL || reg != NULL, "both",
        price != NULL && reg != NULL, "w", words_view(p->lang));
    free(ld);
    sb_free(&where);
    if (v == NULL)
        abort();
    if (row->description != NULL)
        json_object_set_new(v, "description", json_string(row->description));
    if (it->status != OCC_SCHEDULED)
        json_object_set_new(
            v, "status",
            json_string(word(it->status == OCC_CANCELLED ? "cancelled" : "moved", p->lang)));
    if (it->note != NULL)
        json_object_set_new(v, "note", json_string(it->note));
    if (price != NULL)
        json_object_set_new(v, "price", json_string(price));
    if (reg != NULL)
        json_object_set_new(v, "registration", json_string(reg));
    return v;
}

char *
activity_render_html(const struct activity_page *p, size_t *len)
{
    return template_page("activity.html", activity_view(p), len);
}
