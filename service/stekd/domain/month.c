#include "stek/month.h"
#include "stek/date.h"
#include "stek/rrule.h"
#include "stek/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct words {
    const char *days[7], *short_days[7], *months[12], *free, *cancelled, *moved, *all, *contact,
        *title;
};

static const struct words nl = {
    {"maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"},
    {"ma", "di", "wo", "do", "vr", "za", "zo"},
    {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
     "oktober", "november", "december"},
    "gratis",
    "afgelast",
    "verplaatst",
    "Alle activiteiten",
    "Contact",
    "Maandkalender"};
static const struct words fr = {
    {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"},
    {"lun", "mar", "mer", "jeu", "ven", "sam", "dim"},
    {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
     "octobre", "novembre", "décembre"},
    "gratuit",
    "annulé",
    "déplacé",
    "Toutes les activités",
    "Contact",
    "Calendrier du mois"};
static const struct words de = {
    {"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"},
    {"Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"},
    {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
     "November", "Dezember"},
    "kostenlos",
    "abgesagt",
    "verlegt",
    "Alle Aktivitäten",
    "Kontakt",
    "Monatskalender"};
static const struct words en = {
    {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
    {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"},
    {"January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"},
    "free",
    "cancelled",
    "moved",
    "All activities",
    "Contact",
    "Monthly calendar"};

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

char *
month_render_html(const struct month_page *p, size_t *len)
{
    const struct words *w = strcmp(p->lang, "fr") == 0   ? &fr
                            : strcmp(p->lang, "de") == 0 ? &de
                            : strcmp(p->lang, "en") == 0 ? &en
                                                         : &nl;
    int32_t first = days_from_civil(p->year, p->month, 1);
    int32_t next = first_of_next_month(p->year, p->month);
    int32_t grid0 = first - (int32_t)weekday_of(first);
    int nweeks = (int)((next - grid0 + 6) / 7);
    double width[7];
    int busy[7] = {0};
    struct strbuf o = {0};
    char buf[160];

    /* Columns: a weekday without activities this month is narrow; the others share the rest. */
    for (size_t i = 0; i < p->feed->n; i++)
        busy[weekday_of(p->feed->items[i].day)] = 1;
    int nbusy = 0;
    for (int d = 0; d < 7; d++)
        nbusy += busy[d];
    for (int d = 0; d < 7; d++)
        width[d] = nbusy == 0 ? 277.0 / 7 : busy[d] ? (277.0 - (7 - nbusy) * 18.0) / nbusy : 18.0;
    double pt = font_size(p, width, grid0, nweeks);

    sb_puts(&o, "<!doctype html>\n<html lang=\"");
    sb_puts(&o, w == &fr ? "fr" : w == &en ? "en" : w == &de ? "de" : "nl");
    sb_puts(&o, "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                "content=\"width=device-width, initial-scale=1\"><title>");
    snprintf(buf, sizeof(buf), "%s %s %d - ", w->title, w->months[p->month - 1], p->year);
    sb_html(&o, buf);
    sb_html(&o, p->heading);
    sb_puts(&o,
            "</title><style>"
            "@page{size:A4 landscape;margin:8mm}"
            "*{box-sizing:border-box}"
            "body{margin:0;font-family:'DejaVu Sans',Arial,sans-serif;color:#000;background:#fff}"
            "header{display:flex;align-items:center;gap:6mm;height:26mm;overflow:hidden}"
            "header .who{flex:1}"
            "h1{font-size:22pt;margin:0;line-height:1.1}"
            ".addr{font-size:14pt;margin:1mm 0 0}"
            ".month{font-size:22pt;font-weight:700;margin:0}"
            "figure{margin:0;text-align:center;font-size:7pt;width:40mm}"
            "figure svg{width:20mm;height:20mm;display:block;margin:0 auto}"
            "figcaption{word-break:break-all}"
            "table{width:100%;border-collapse:collapse;table-layout:fixed}"
            "th{font-size:12pt;text-align:left;padding:1mm 1.5mm;border-bottom:2px solid "
            "#000;overflow:hidden}"
            "abbr{text-decoration:none}"
            "td{vertical-align:top;border:1px solid #555;padding:1mm 1.5mm;line-height:1.2}"
            "td.out{background:#eee;color:#555}"
            ".num{display:block;font-weight:700}"
            "ul{list-style:none;margin:0;padding:0}"
            "li{margin:0 0 .5mm}"
            ".time{font-weight:700}"
            ".badge{font-size:.8em;font-weight:700;border:1px solid #000;border-radius:2px;"
            "padding:0 .2em;margin-left:.2em;white-space:nowrap}"
            ".cancelled .what{text-decoration:line-through}"
            ".note{display:block;font-style:italic}"
            "footer{font-size:11pt;margin-top:2mm}"
            "</style></head><body><header><div class=\"who\"><p class=\"month\">");
    snprintf(buf, sizeof(buf), "%s %d", w->months[p->month - 1], p->year);
    sb_html(&o, buf);
    sb_puts(&o, "</p><h1>");
    sb_html(&o, p->heading);
    sb_puts(&o, "</h1>");
    if (p->address != NULL) {
        sb_puts(&o, "<p class=\"addr\">");
        sb_html(&o, p->address);
        sb_puts(&o, "</p>");
    }
    sb_puts(&o, "</div>");
    if (p->qr_svg != NULL) {
        sb_puts(&o, "<figure>");
        sb_puts(&o, p->qr_svg);
        sb_puts(&o, "<figcaption>");
        sb_html(&o, w->all);
        sb_puts(&o, ": ");
        sb_html(&o, p->url);
        sb_puts(&o, "</figcaption></figure>");
    }
    sb_puts(&o, "</header><table><colgroup>");
    for (int d = 0; d < 7; d++) {
        snprintf(buf, sizeof(buf), "<col style=\"width:%.1fmm\">", width[d]);
        sb_puts(&o, buf);
    }
    sb_puts(&o, "</colgroup><thead><tr>");
    for (int d = 0; d < 7; d++) {
        sb_puts(&o, "<th scope=\"col\">");
        if (width[d] < 32) {
            /* A narrow column (no activities this month) gets the short name, spelled out. */
            sb_puts(&o, "<abbr title=\"");
            sb_html(&o, w->days[d]);
            sb_puts(&o, "\">");
            sb_html(&o, w->short_days[d]);
            sb_puts(&o, "</abbr>");
        } else {
            sb_html(&o, w->days[d]);
        }
        sb_puts(&o, "</th>");
    }
    snprintf(buf, sizeof(buf), "</tr></thead><tbody style=\"font-size:%.1fpt\">", pt);
    sb_puts(&o, buf);
    for (int wk = 0; wk < nweeks; wk++) {
        snprintf(buf, sizeof(buf), "<tr style=\"height:%.1fmm\">", ROWS_MM / nweeks);
        sb_puts(&o, buf);
        for (int d = 0; d < 7; d++) {
            int32_t day = grid0 + wk * 7 + d;
            int y;
            unsigned m, dd;
            civil_from_days(day, &y, &m, &dd);
            bool in = day >= first && day < next;
            sb_puts(&o, in ? "<td>" : "<td class=\"out\">");
            if (in) {
                snprintf(buf, sizeof(buf), "<span class=\"num\">%u</span>", dd);
                sb_puts(&o, buf);
                bool open = false;
                for (size_t i = 0; i < p->feed->n; i++) {
                    const struct feed_item *it = &p->feed->items[i];
                    if (it->day != day)
                        continue;
                    char start[32], end[32];
                    format_local(it->start, it->start_off, start);
                    format_local(it->end, it->end_off, end);
                    if (!open)
                        sb_puts(&o, "<ul>");
                    open = true;
                    sb_puts(&o, it->status == OCC_CANCELLED ? "<li class=\"cancelled\">" : "<li>");
                    snprintf(buf, sizeof(buf),
                             "<span class=\"what\"><span class=\"time\">%.5s-%.5s"
                             "</span> ",
                             start + 11, end + 11);
                    sb_puts(&o, buf);
                    sb_html(&o, it->row->title);
                    if (p->show_site || it->status == OCC_MOVED) {
                        sb_puts(&o, " (");
                        sb_html(&o, json_string_value(json_object_get(it->site, "name")));
                        sb_puts(&o, ")");
                    }
                    sb_puts(&o, "</span>");
                    if (it->row->free == FACT_YES) {
                        sb_puts(&o, "<span class=\"badge\">");
                        sb_html(&o, w->free);
                        sb_puts(&o, "</span>");
                    }
                    if (it->status != OCC_SCHEDULED) {
                        sb_puts(&o, "<span class=\"badge\">");
                        sb_html(&o, it->status == OCC_CANCELLED ? w->cancelled : w->moved);
                        sb_puts(&o, "</span>");
                    }
                    if (it->note != NULL) {
                        sb_puts(&o, "<span class=\"note\">");
                        sb_html(&o, it->note);
                        sb_puts(&o, "</span>");
                    }
                    sb_puts(&o, "</li>");
                }
                if (open)
                    sb_puts(&o, "</ul>");
            }
            sb_puts(&o, "</td>");
        }
        sb_puts(&o, "</tr>");
    }
    sb_puts(&o, "</tbody></table><footer><strong>");
    sb_html(&o, w->contact);
    sb_puts(&o, ":</strong> ");
    /* Each contact once, after the partners it is for: "SAAMO, Ligo: 03 000 00 00 a@b.be". */
    bool any = false;
    for (size_t i = 0; i < p->feed->n; i++) {
        const struct feed_row *row = p->feed->items[i].row;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_contact(p->feed->items[j].row, row);
        if (seen)
            continue;
        if (any)
            sb_puts(&o, " &middot; ");
        any = true;
        bool first_name = true;
        for (size_t j = i; j < p->feed->n; j++) {
            const struct feed_row *other = p->feed->items[j].row;
            bool named = false;
            for (size_t k = i; k < j && !named; k++)
                named = strcmp(p->feed->items[k].row->partner_name, other->partner_name) == 0 &&
                        same_contact(p->feed->items[k].row, other);
            if (named || !same_contact(other, row))
                continue;
            if (!first_name)
                sb_puts(&o, ", ");
            first_name = false;
            sb_html(&o, other->partner_name);
        }
        if (row->contact_phone != NULL || row->contact_email != NULL)
            sb_puts(&o, ":");
        if (row->contact_phone != NULL) {
            sb_puts(&o, " ");
            sb_html(&o, row->contact_phone);
        }
        if (row->contact_email != NULL) {
            sb_puts(&o, " ");
            sb_html(&o, row->contact_email);
        }
    }
    sb_puts(&o, "</footer></body></html>\n");
    return sb_steal(&o, len);
}
