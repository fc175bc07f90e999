/* The monthly calendar and its QR code, without a database (domain/month.c, domain/qr.c). */
#include "check.h"
#include "stek/date.h"
#include "stek/month.h"
#include "stek/qr.h"
#include "stek/rrule.h"

#include <stdlib.h>
#include <string.h>

void
test_month(void)
{
    struct feed_row row = {.offer_id = "00000000-0000-4000-8000-000000000001",
                           .title = "Koffie & <Formulieren>",
                           .free = FACT_YES,
                           .partner_name = "CAW \"Antwerpen\"",
                           .registration = "none",
                           .contact_phone = "03 000 00 00"};
    json_t *site = json_pack("{s:s}", "name", "Kantine");
    struct feed_item items[3];
    int32_t thu = days_from_civil(2026, 12, 17);
    memset(items, 0, sizeof(items));
    for (int i = 0; i < 3; i++) {
        items[i].row = &row;
        items[i].day = thu + 7 * (i - 1);
        items[i].start = (int64_t)items[i].day * 86400 + 12 * 3600;
        items[i].end = items[i].start + 7200;
        items[i].start_off = items[i].end_off = 3600;
        items[i].site = site;
    }
    items[2].status = OCC_CANCELLED;
    items[2].note = "Kerst <vakantie>";
    struct feed_result res = {.items = items, .n = 3};
    char *svg = qr_svg("http://localhost/?site=x", "QR");
    struct month_page page = {.year = 2026,
                              .month = 12,
                              .lang = "nl",
                              .heading = "Kantine",
                              .address = "Dorp 1, 2920 Kalmthout",
                              .feed = &res,
                              .qr_svg = svg,
                              .url = "http://localhost/?site=x"};
    size_t len = 0;
    char *html = month_render_html(&page, &len);

    CHECK(svg != NULL && strncmp(svg, "<svg", 4) == 0 && strstr(svg, "<path") != NULL);
    CHECK(html != NULL && strlen(html) == len);
    CHECK(strstr(html, "december 2026") != NULL && strstr(html, "donderdag") != NULL);
    CHECK(strstr(html, "Koffie &amp; &lt;Formulieren&gt;") != NULL);
    CHECK(strstr(html, "<Formulieren>") == NULL && strstr(html, "Kerst &lt;vakantie&gt;") != NULL);
    CHECK(strstr(html, "CAW &quot;Antwerpen&quot;: 03 000 00 00") != NULL);
    CHECK(strstr(html, "<li class=\"cancelled\">") != NULL && strstr(html, "Afgelast") != NULL);
    /* The view model, as data: five weeks of seven days, the Thursday items, the type size. */
    json_t *view = month_view(&page);
    json_t *weeks = json_object_get(view, "weeks");
    CHECK(json_array_size(weeks) == 5 && json_array_size(json_object_get(view, "columns")) == 7);
    json_t *nov30 = json_array_get(json_object_get(json_array_get(weeks, 0), "days"), 0);
    json_t *dec17 = json_array_get(json_object_get(json_array_get(weeks, 2), "days"), 3);
    CHECK(json_is_false(json_object_get(nov30, "in")));
    CHECK(json_integer_value(json_object_get(dec17, "num")) == 17 &&
          json_is_true(json_object_get(dec17, "in")));
    CHECK(json_array_size(json_object_get(dec17, "items")) == 1);
    json_t *item = json_array_get(json_object_get(dec17, "items"), 0);
    CHECK(strcmp(json_string_value(json_object_get(item, "time")), "13:00-15:00") == 0 &&
          json_object_get(item, "free") != NULL);
    CHECK(atof(json_string_value(json_object_get(view, "pt"))) >= 8 &&
          atof(json_string_value(json_object_get(view, "pt"))) <= 16);
    CHECK(strcmp(json_string_value(json_object_get(view, "month_label")), "december 2026") == 0);
    json_decref(view);
    CHECK(strstr(html, "13:00-15:00") != NULL); /* local times: UTC 12:00 at +01:00 */
    /* 5 week rows for December 2026 (30 November to 3 January). */
    size_t rows = 0;
    for (const char *p = html; (p = strstr(p, "<tr style=")) != NULL; p++)
        rows++;
    CHECK(rows == 5);
    /* Bigger type or a narrower column never needs less room. */
    CHECK(month_cell_mm(&page, thu, 60, 14) >= month_cell_mm(&page, thu, 60, 10));
    CHECK(month_cell_mm(&page, thu, 30, 10) >= month_cell_mm(&page, thu, 60, 10));
    CHECK(month_cell_mm(&page, thu + 1, 60, 10) < month_cell_mm(&page, thu, 60, 10));
    page.lang = "fr";
    char *frh = month_render_html(&page, &len);
    CHECK(strstr(frh, "décembre 2026") != NULL && strstr(frh, "jeudi") != NULL);
    free(frh);
    free(html);
    free(svg);
    json_decref(site);
}
