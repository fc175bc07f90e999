/* The template engine and the word catalogue (domain/template.c, domain/words.c). */
#include "check.h"
#include "stek/activity.h"
#include "stek/date.h"
#include "stek/i18n.h"
#include "stek/template.h"
#include "stek/words.h"

#include <stdlib.h>
#include <string.h>

/* Renders t with the view in JSON; the result, or "ERROR: why" (malloc'd). */
static char *
render(const char *t, const char *view_json)
{
    json_t *v = json_loads(view_json, 0, NULL);
    char err[128] = "";
    size_t len;
    char *out = template_render(t, v, &len, err, sizeof(err));
    json_decref(v);
    if (out == NULL) {
        out = malloc(strlen(err) + 8);
        strcpy(out, "ERROR: ");
        strcat(out, err);
    }
    return out;
}

static bool
renders(const char *t, const char *view, const char *want)
{
    char *got = render(t, view);
    bool ok = strcmp(got, want) == 0;
    if (!ok)
        printf("template %s with %s: got [%s], want [%s]\n", t, view, got, want);
    free(got);
    return ok;
}

void
test_template(void)
{
    /* Variables, escaped by default; raw with three braces or &. */
    CHECK(renders("Hi {{name}}!", "{\"name\": \"<b>Jan & co</b>\"}",
                  "Hi &lt;b&gt;Jan &amp; co&lt;/b&gt;!"));
    CHECK(renders("{{{svg}}}{{&svg}}", "{\"svg\": \"<svg/>\"}", "<svg/><svg/>"));
    CHECK(renders("[{{missing}}][{{n}}][{{x}}][{{f}}]", "{\"n\": 3, \"x\": 1.5, \"f\": false}",
                  "[][3][1.5][]"));
    CHECK(renders("{{a.b.c}}", "{\"a\": {\"b\": {\"c\": \"deep\"}}}", "deep"));
    CHECK(renders("{{' quote}}", "{\"' quote\": \"x\"}", "x"));
    CHECK(renders("{{q}}", "{\"q\": \"'\\\"\"}", "&#39;&quot;"));
    /* Sections: lists, objects, truthy values, and the inverted form. */
    CHECK(renders("{{#items}}<{{.}}>{{/items}}", "{\"items\": [\"a\", \"b\"]}", "<a><b>"));
    CHECK(renders("{{#items}}{{n}}{{sep}}{{/items}}",
                  "{\"sep\": \",\", \"items\": [{\"n\": 1}, {\"n\": 2}]}", "1,2,"));
    CHECK(renders("{{#o}}{{k}}{{/o}}", "{\"o\": {\"k\": \"v\"}}", "v"));
    CHECK(renders("{{#t}}yes{{/t}}{{#f}}no{{/f}}{{#e}}no{{/e}}{{#s}}{{s}}{{/s}}",
                  "{\"t\": true, \"f\": false, \"e\": [], \"s\": \"str\"}", "yesstr"));
    CHECK(renders("{{^e}}empty{{/e}}{{^t}}no{{/t}}", "{\"e\": [], \"t\": true}", "empty"));
    CHECK(renders("{{#a}}{{#a}}in{{/a}}{{/a}}", "{\"a\": true}", "in"));
    CHECK(
        renders("{{#items.0}}first: {{items.0}}{{/items.0}}", "{\"items\": [\"x\"]}", "first: x"));
    CHECK(renders("{{! a comment }}ok", "{}", "ok"));
    /* A malformed template is an error, never a guess. */
    static const char *const bad[] = {"{{#a}}never closed", "{{/a}}", "{{open", NULL};
    for (const char *const *b = bad; *b != NULL; b++) {
        char *out = render(*b, "{\"a\": true}");
        CHECK(strncmp(out, "ERROR", 5) == 0);
        free(out);
    }
    /* The embedded templates render with an empty view (none is malformed). */
    static const char *const names[] = {"activity.html", "month.html", NULL};
    for (const char *const *n = names; *n != NULL; n++) {
        const char *t = template_named(*n);
        char *out = t != NULL ? render(t, "{}") : NULL;
        CHECK(out != NULL && strncmp(out, "ERROR", 5) != 0);
        free(out);
    }
    CHECK(template_named("nothing.html") == NULL);

    /* The word catalogue: one list of languages, every word in each, the keys the code uses. */
    const json_t *langs = words_languages();
    size_t i;
    const json_t *l;
    CHECK(json_array_size(langs) == 4);
    json_array_foreach(langs, i, l) CHECK(strcmp(json_string_value(l), i18n_languages[i]) == 0);
    static const char *const keys[] = {
        "free",        "paid",       "cancelled",      "moved",   "registration_required",
        "walk_in",     "by",         "all_activities", "contact", "month_calendar",
        "month_1",     "month_12",   "day_1",          "day_7",   "day_short_1",
        "day_short_7", "qr_caption", "opening_hours",  NULL};
    for (const char *const *k = keys; *k != NULL; k++)
        json_array_foreach(langs, i, l)
        {
            const char *w = word(*k, json_string_value(l));
            CHECK(w != NULL && strcmp(w, *k) != 0 && w[0] != '\0');
        }
    CHECK(strcmp(word("cancelled", "nl"), "Afgelast") == 0); /* one Dutch word, everywhere */
    CHECK(strcmp(word("free", "es"), "Gratis") == 0);        /* another language: Dutch */
    json_t *view = words_view("fr");
    CHECK(strcmp(json_string_value(json_object_get(view, "cancelled")), "Annulé") == 0);
    json_decref(view);

    /* The activity page's view, as data: what the offer said, and nothing it did not say. */
    struct feed_row row = {.offer_id = "00000000-0000-4000-8000-000000000001",
                           .title = "Soep & <praat>",
                           .free = FACT_UNKNOWN,
                           .partner_name = "SAAMO",
                           .language = "nl",
                           .main_language = "nl",
                           .kind = "activity"};
    json_t *site =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "id", "s1", "name", "Kantine", "address",
                  "street", "Dorp 1", "postal_code", "2920", "municipality", "Kalmthout");
    struct feed_item it = {.row = &row, .status = OCC_CANCELLED, .note = "Ziek", .site = site};
    it.start = (int64_t)days_from_civil(2026, 12, 17) * 86400 + 12 * 3600;
    it.end = it.start + 7200;
    it.start_off = it.end_off = 3600;
    snprintf(it.occurrence_id, sizeof(it.occurrence_id), "%s", row.offer_id);
    struct activity_page page = {.item = &it,
                                 .rows = &row,
                                 .nrows = 1,
                                 .base = "https://stek.example.org",
                                 .lang = "nl",
                                 .css = "/assets/page.css"};
    json_t *av = activity_view(&page);
    CHECK(strcmp(json_string_value(json_object_get(av, "status")), "Afgelast") == 0);
    CHECK(strcmp(json_string_value(json_object_get(av, "where")),
                 "Kantine, Dorp 1, 2920 Kalmthout") == 0);
    CHECK(strcmp(json_string_value(json_object_get(av, "start_time")), "13:00") == 0);
    CHECK(json_object_get(av, "price") == NULL && json_object_get(av, "registration") == NULL &&
          json_is_false(json_object_get(av, "price_line")));
    json_decref(av);
    size_t len;
    char *html = activity_render_html(&page, &len);
    CHECK(strstr(html, "Soep &amp; &lt;praat&gt;") != NULL && strstr(html, "<praat>") == NULL);
    CHECK(strstr(html, "class=\"price\"") == NULL && strstr(html, "Ziek") != NULL);
    free(html);
    row.free = FACT_YES;
    row.registration = "required";
    av = activity_view(&page);
    CHECK(strcmp(json_string_value(json_object_get(av, "price")), "Gratis") == 0 &&
          strcmp(json_string_value(json_object_get(av, "registration")), "Inschrijven nodig") == 0);
    json_decref(av);
    json_decref(site);
}
