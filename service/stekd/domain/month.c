#include "stek/month.h"
#include "stek/date.h"
#include "stek/rrule.h"
#include "stek/strbuf.h"
#include "stek/template.h"
#include "stek/words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Printable height for the week rows, in millimetres: A4 landscape (210 mm) less margins
 * (16), header (26), the weekday names (8) and the contact line (10), and a little air. */
#define ROWS_MM 144.0
#define LINE_HEIGHT 1.2

/* Lines a text of chars characters takes in a column mm wide at pt points (a glyph: 0.55 em). */
static double
lines_for(size_t chars, double mm, double pt)
{
    double cpl = (mm - 3.5) / (pt * 0.3528 * 0.55);
    double l = (double)chars / (cpl < 4 ? 4 : cpl);
    return l <= 1 ? 1 : (double)(long)(l + 0.999);
}

/* Characters of one activity's line, as month_render_html writes it. */
static size_t
item_chars(const struct month_page *p, const struct feed_item *it)
{
    const char *site = json_string_value(json_object_get(it->site, "name"));
    return 12 + utf8_chars(it->row->title) + (it->row->free == FACT_YES ? 8 : 0) +
           (it->status != OCC_SCHEDULED ? 11 : 0) +
           ((p->show_site || it->status == OCC_MOVED) && site ? utf8_chars(site) + 3 : 0);
}

double
month_cell_mm(const struct month_page *p, int32_t day, double width_mm, double pt)
{
    double mm = 2.0 + pt * 0.3528 * LINE_HEIGHT; /* padding, and the day's number */
    for (size_t i = 0; i < p->feed->n; i++) {
        const struct feed_item *it = &p->feed->items[i];
        if (it->day != day)
            continue;
        double lines = lines_for(item_chars(p, it), width_mm, pt);
        if (it->note != NULL)
            lines += lines_for(utf8_chars(it->note), width_mm, pt);
        mm += lines * pt * 0.3528 * LINE_HEIGHT + 0.5;
    }
    return mm;
}

/* The largest type (16 pt down to 8) at which every week row fits its share of the page. */
static double
font_size(const struct month_page *p, const double width[7], int32_t grid0, int nweeks)
{
    double pt = 16;
    for (; pt > 8; pt -= 0.5) {
        bool fits = true;
        for (int wk = 0; wk < nweeks && fits; wk++)
            for (int d = 0; d < 7 && fits; d++)
                fits = month_cell_mm(p, grid0 + wk * 7 + d, width[d], pt) <= ROWS_MM / nweeks;
        if (fits)
            break;
    }
    return pt;
}

static bool
same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_contact(const struct feed_row *a, const struct feed_row *b)
{
    return same_str(a->contact_phone, b->contact_phone) &&
           same_str(a->contact_email, b->contact_email);
}

/* The item's line of a day cell. */
static json_t *
item_view(const struct month_page *p, const struct feed_item *it)
{
    char start[32], end[32], time[16];
    json_t *v;

    format_local(it->start, it->start_off, start);
    format_local(it->end, it->end_off, end);
    snprintf(time, sizeof(time), "%.5s-%.5s", start + 11, end + 11);
    v = json_pack("{s:s, s:s, s:b}", "time", time, "title", it->row->title, "cancelled",
                  it->status == OCC_CANCELLED);
    if (p->show_site || it->status == OCC_MOVED)
        json_object_set_new(v, "site",
                            json_string(json_string_value(json_object_get(it->site, "name"))));
    if (it->row->free == FACT_YES)
        json_object_set_new(v, "free", json_string(word("free", p->lang)));
    if (it->status != OCC_SCHEDULED)
        json_object_set_new(
            v, "status",
            json_string(word(it->status == OCC_CANCELLED ? "cancelled" : "moved", p->lang)));
    if (it->note != NULL)
        json_object_set_new(v, "note", json_string(it->note));
    return v;
}

/* Each contact once, after the partners it is for: "SAAMO, Ligo: 03 000 00 00 a@b.be". */
static json_t *
contacts_view(const struct month_page *p)
{
    json_t *out = json_array();

    for (size_t i = 0; i < p->feed->n; i++) {
        const struct feed_row *row = p->feed->items[i].row;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_contact(p->feed->items[j].row, row);
        if (seen)
            continue;
        struct strbuf names = {0};
        for (size_t j = i; j < p->feed->n; j++) {
            const struct feed_row *other = p->feed->items[j].row;
            bool named = false;
            for (size_t k = i; k < j && !named; k++)
                named = strcmp(p->feed->items[k].row->partner_name, other->partner_name) == 0 &&
                        same_contact(p->feed->items[k].row, other);
            if (named || !same_contact(other, row))
                continue;
            if (names.len > 0)
                sb_puts(&names, ", ");
            sb_puts(&names, other->partner_name);
        }
        json_t *c = json_pack("{s:b, s:s, s:b}", "first", json_array_size(out) == 0, "names",
                              sb_str(&names), "any",
                              row->contact_phone != NULL || row->contact_email != NULL);
        sb_free(&names);
        if (row->contact_phone != NULL)
            json_object_set_new(c, "phone", json_string(row->contact_phone));
        if (row->contact_email != NULL)
            json_object_set_new(c, "email", json_string(row->contact_email));
        json_array_append_new(out, c);
    }
    return out;
}

json_t *
month_view(const struct month_page *p)
{
    int32_t first = days_from_civil(p->year, p->month, 1);
    int32_t next = first_of_next_month(p->year, p->month);
    int32_t grid0 = first - (int32_t)weekday_of(first);
    int nweeks = (int)((next - grid0 + 6) / 7);
    double width[7];
    int busy[7] = {0};
    char buf[64], key[24];

    /* Columns: a weekday without activities this month is narrow; the others share the rest. */
    for (size_t i = 0; i < p->feed->n; i++)
        busy[weekday_of(p->feed->items[i].day)] = 1;
    int nbusy = 0;
    for (int d = 0; d < 7; d++)
        nbusy += busy[d];
    for (int d = 0; d < 7; d++)
        width[d] = nbusy == 0 ? 277.0 / 7 : busy[d] ? (277.0 - (7 - nbusy) * 18.0) / nbusy : 18.0;
    double pt = font_size(p, width, grid0, nweeks);

    snprintf(key, sizeof(key), "month_%u", p->month);
    snprintf(buf, sizeof(buf), "%s %d", word(key, p->lang), p->year);
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:o}", "lang", p->lang != NULL ? p->lang : "nl",
                          "month_label", buf, "heading", p->heading != NULL ? p->heading : "",
                          "url", p->url != NULL ? p->url : "", "w", words_view(p->lang));
    if (p->address != NULL)
        json_object_set_new(v, "address", json_string(p->address));
    if (p->qr_svg != NULL)
        json_object_set_new(v, "qr_svg", json_string(p->qr_svg));
    json_t *cols = json_array();
    for (int d = 0; d < 7; d++) {
        char w[16], day_key[16], short_key[24];
        snprintf(w, sizeof(w), "%.1f", width[d]);
        snprintf(day_key, sizeof(day_key), "day_%d", d + 1);
        snprintf(short_key, sizeof(short_key), "day_short_%d", d + 1);
        /* A narrow column (no activities this month) gets the short name, spelled out. */
        json_array_append_new(cols, json_pack("{s:s, s:b, s:s, s:s}", "width", w, "narrow",
                                              width[d] < 32, "day", word(day_key, p->lang), "short",
                                              word(short_key, p->lang)));
    }
    json_object_set_new(v, "columns", cols);
    snprintf(buf, sizeof(buf), "%.1f", pt);
    json_object_set_new(v, "pt", json_string(buf));
    snprintf(buf, sizeof(buf), "%.1f", ROWS_MM / nweeks);
    json_object_set_new(v, "row_mm", json_string(buf));
    json_t *weeks = json_array();
    for (int wk = 0; wk < nweeks; wk++) {
        json_t *days = json_array();
        for (int d = 0; d < 7; d++) {
            int32_t day = grid0 + wk * 7 + d;
            int y;
            unsigned m, dd;
            civil_from_days(day, &y, &m, &dd);
            json_t *items = json_array();
            for (size_t i = 0; i < p->feed->n; i++)
                if (p->feed->items[i].day == day)
                    json_array_append_new(items, item_view(p, &p->feed->items[i]));
            json_array_append_new(days,
                                  json_pack("{s:b, s:i, s:o}", "in", day >= first && day < next,
                                            "num", (int)dd, "items", items));
        }
        json_array_append_new(weeks, json_pack("{s:o}", "days", days));
    }
    json_object_set_new(v, "weeks", weeks);
    json_object_set_new(v, "contacts", contacts_view(p));
    return v;
}

char *
month_render_html(const struct month_page *p, size_t *len)
{
    return template_page("month.html", month_view(p), len);
}
