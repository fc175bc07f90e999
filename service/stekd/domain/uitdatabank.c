/* An offer as an UiTdatabank Entry API v3 event (uitdatabank.h). */
#include "stek/uitdatabank.h"
#include "stek/date.h"
#include "stek/i18n.h"
#include "stek/rrule.h"

#include <stdio.h>
#include <string.h>

/* UiTdatabank's eventtype terms (ids from publiq's documentation) our categories map to. */
const struct uit_event_type uit_event_types[] = {
    {"course", "0.3.1.0.1", "Cursus met open sessies"},
    {"workshop", "0.3.1.0.1", "Cursus met open sessies"},
    {"language", "0.3.1.0.1", "Cursus met open sessies"},
    {"digital", "0.3.1.0.1", "Cursus met open sessies"},
    {"lecture", "0.3.2.0.0", "Lezing of congres"},
    {"talk", "0.3.2.0.0", "Lezing of congres"},
    {"leisure", "0.7.0.0.0", "Begeleide uitstap of rondleiding"},
    {"trip", "0.7.0.0.0", "Begeleide uitstap of rondleiding"},
    {"excursion", "0.7.0.0.0", "Begeleide uitstap of rondleiding"},
    {"walk", "0.17.0.0.0", "Fiets- of wandelroute"},
    {"cycling", "0.17.0.0.0", "Fiets- of wandelroute"},
    {"game", "0.50.21.0.0", "Spel of quiz"},
    {"quiz", "0.50.21.0.0", "Spel of quiz"},
    {"film", "0.50.6.0.0", "Film"},
    {"concert", "0.50.4.0.0", "Concert"},
    {"music", "0.50.4.0.0", "Concert"},
    {"theatre", "0.55.0.0.0", "Theatervoorstelling"},
    {"dance", "0.54.0.0.0", "Dansvoorstelling"},
    {"exhibition", "0.0.0.0.0", "Tentoonstelling"},
    {"festival", "0.5.0.0.0", "Festival"},
    {NULL, "0.3.1.0.1", "Cursus met open sessies"}, /* the function learning */
    {NULL, NULL, NULL},
};

static const char *const weekdays[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};

static const char *
str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool
has(const json_t *list, const char *value)
{
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) if (strcmp(json_string_value(v), value) == 0) return true;
    return false;
}

/*
 * Categories of services outside UiTdatabank's content scope (leisure, culture, learning): help
 * with forms and bills, debt, food aid, housing, care. An offer whose categories are all among
 * these is not exported, whatever its functions say.
 */
static const char *const out_of_scope[] = {
    "forms_and_bills", "forms",          "bills",   "administration", "debt", "budget", "food",
    "food_aid",        "social_grocery", "housing", "energy",         "care", "health", "referral",
    "advice",          "legal_aid",      NULL,
};

static bool
outside_scope(const char *category)
{
    for (const char *const *o = out_of_scope; *o != NULL; o++)
        if (strcmp(*o, category) == 0)
            return true;
    return false;
}

static const struct uit_event_type *
event_type(const json_t *offer)
{
    size_t i, outside = 0;
    const json_t *c, *cats = json_object_get(offer, "categories");
    json_array_foreach(cats, i, c)
    {
        for (const struct uit_event_type *t = uit_event_types; t->id != NULL; t++)
            if (t->category != NULL && strcmp(t->category, json_string_value(c)) == 0)
                return t;
        outside += outside_scope(json_string_value(c));
    }
    /* The scope rule wins over the function: help with forms is no course, even when learning. */
    if (json_array_size(cats) > 0 && outside == json_array_size(cats))
        return NULL;
    if (has(json_object_get(offer, "functions"), "learning"))
        for (const struct uit_event_type *t = uit_event_types; t->id != NULL; t++)
            if (t->category == NULL)
                return t;
    return NULL;
}

/* A text in every language UiTdatabank knows (nl, fr, de, en), or NULL when there is none. */
static json_t *
texts(const json_t *doc, const char *field)
{
    const char *main = str(doc, "main_language");
    json_t *all = i18n_all_texts(json_object_get(doc, "translations"), main ? main : "nl", field,
                                 str(doc, field));
    if (!json_is_object(all) || json_object_size(all) == 0) {
        json_decref(all);
        return NULL;
    }
    return all;
}

static void
add_contact(json_t *list, const char *value)
{
    if (value != NULL && !has(list, value))
        json_array_append_new(list, json_string(value));
}

/* True when every schedule repeats every week at the offer's site without an end by count. */
static bool
weekly_only(const json_t *offer, const char *site_id)
{
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(offer, "schedules"), i, s)
    {
        struct rrule rule;
        char err[64];
        const char *text = str(s, "rrule"), *sid = str(s, "site_id");
        if (text == NULL || (sid != NULL && strcmp(sid, site_id) != 0) ||
            !rrule_parse(text, &rule, err, sizeof(err)) || rule.freq != FREQ_WEEKLY ||
            rule.interval != 1 || rule.count > 0)
            return false;
    }
    return json_array_size(json_object_get(offer, "schedules")) > 0;
}

static json_t *
opening_hours(const json_t *offer)
{
    json_t *out = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(offer, "schedules"), i, s)
    {
        struct rrule rule;
        char err[64];
        bool on[7] = {false};
        if (!rrule_parse(str(s, "rrule"), &rule, err, sizeof(err)))
            continue;
        for (int k = 0; k < rule.nbyday; k++)
            on[rule.byday[k].wd % 7] = true;
        if (rule.nbyday == 0) { /* the weekday of dtstart */
            int y, m, d;
            if (sscanf(str(s, "dtstart"), "%d-%d-%d", &y, &m, &d) == 3)
                on[(days_from_civil(y, (unsigned)m, (unsigned)d) % 7 + 10) % 7] = true;
        }
        json_t *days = json_array();
        for (int k = 0; k < 7; k++)
            if (on[k])
                json_array_append_new(days, json_string(weekdays[k]));
        json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "opens", str(s, "start_time"),
                                             "closes", str(s, "end_time"), "dayOfWeek", days));
    }
    return out;
}

/* Why an offer cannot be exported (in why, naming *field), or NULL; *type, *here and *changed
 * set when it can: its event type, its occurrences at its site, whether one is not as
 * scheduled. */
static const char *
not_exportable(const struct uit_input *in, const struct uit_event_type **type, size_t *here,
               bool *changed, char *why, size_t whylen)
{
    const json_t *offer = in->offer;
    const char *site_id = str(offer, "site_id");

    if (strcmp(str(offer, "kind") ? str(offer, "kind") : "", "opening_hours") == 0) {
        snprintf(why, whylen,
                 "an offer of kind opening_hours is a service open at set hours, not an event:"
                 " in UiTdatabank it belongs to its place's opening hours");
        return "kind";
    }
    if ((*type = event_type(offer)) == NULL) {
        snprintf(
            why, whylen,
            "no UiTdatabank event type fits: UiTdatabank lists leisure, culture and learning"
            " (categories such as course, leisure, walk, game, film, concert, lecture, or the"
            " function learning); help with forms and bills, referral and food aid are services"
            " outside its scope, whatever the offer's functions say");
        return "categories";
    }
    if (str(in->site, "uitdatabank_place_id") == NULL) {
        snprintf(why, whylen,
                 "the offer's site has no UiTdatabank place id: set uitdatabank_place_id with"
                 " PATCH /v1/sites/%s",
                 site_id);
        return "site.uitdatabank_place_id";
    }
    for (size_t i = 0; i < in->occurrences->n; i++) {
        const struct feed_item *it = &in->occurrences->items[i];
        const char *sid = str(it->site, "id");
        if (sid != NULL && strcmp(sid, site_id) == 0) {
            (*here)++;
            *changed |= it->status != OCC_SCHEDULED;
        }
    }
    if (*here == 0) {
        snprintf(why, whylen, "the offer has no occurrence at its site in the coming year");
        return "schedules";
    }
    return NULL;
}

/* A periodic calendar: the first start and last end at the site, and the weekly hours. */
static void
put_periodic(json_t *ev, const struct uit_input *in, const char *site_id)
{
    const struct feed_result *occ = in->occurrences;
    char start[32] = "", end[32] = "";

    for (size_t i = 0; i < occ->n; i++) {
        const struct feed_item *it = &occ->items[i];
        if (strcmp(str(it->site, "id") ? str(it->site, "id") : "", site_id) != 0)
            continue;
        if (start[0] == '\0')
            format_local(it->start, it->start_off, start);
        format_local(it->end, it->end_off, end);
    }
    json_object_set_new(ev, "calendarType", json_string("periodic"));
    json_object_set_new(ev, "startDate", json_string(start));
    json_object_set_new(ev, "endDate", json_string(end));
    json_object_set_new(ev, "openingHours", opening_hours(in->offer));
}

/* Each occurrence at the site as a subEvent, a cancelled one Unavailable with its note. */
static void
put_sub_events(json_t *ev, const struct uit_input *in, const char *site_id, const char *main)
{
    const struct feed_result *occ = in->occurrences;
    json_t *subs = json_array();

    for (size_t i = 0; i < occ->n; i++) {
        const struct feed_item *it = &occ->items[i];
        char start[32], end[32];
        if (strcmp(str(it->site, "id") ? str(it->site, "id") : "", site_id) != 0)
            continue;
        format_local(it->start, it->start_off, start);
        format_local(it->end, it->end_off, end);
        json_t *status =
            json_pack("{s:s}", "type", it->status == OCC_CANCELLED ? "Unavailable" : "Available");
        if (it->status == OCC_CANCELLED && it->note != NULL)
            json_object_set_new(status, "reason",
                                json_pack("{s:s}",
                                          it->row->language && strcmp(it->row->language, "all") != 0
                                              ? it->row->language
                                              : main,
                                          it->note));
        json_array_append_new(subs, json_pack("{s:I, s:s, s:s, s:o}", "id",
                                              (json_int_t)json_array_size(subs), "startDate", start,
                                              "endDate", end, "status", status));
    }
    json_object_set_new(ev, "calendarType",
                        json_string(json_array_size(subs) == 1 ? "single" : "multiple"));
    json_object_set_new(ev, "subEvent", subs);
}

/* The price (only when the offer says it is free) and whom to contact. */
static void
put_price_and_contact(json_t *ev, const json_t *offer, const json_t *partner)
{
    if (json_is_true(json_object_get(offer, "free")))
        json_object_set_new(ev, "priceInfo",
                            json_pack("[{s:s, s:{s:s, s:s, s:s, s:s}, s:i, s:s}]", "category",
                                      "base", "name", "nl", "Basistarief", "fr", "Tarif de base",
                                      "de", "Basisrate", "en", "Base tariff", "price", 0,
                                      "priceCurrency", "EUR"));
    json_t *email = json_array(), *phone = json_array(), *web = json_array();
    add_contact(email, str(offer, "email"));
    add_contact(email, str(partner, "email"));
    add_contact(phone, str(offer, "phone"));
    add_contact(phone, str(partner, "phone"));
    add_contact(web, str(partner, "website"));
    json_object_set_new(ev, "contactPoint",
                        json_pack("{s:o, s:o, s:o}", "email", email, "phone", phone, "url", web));
}

json_t *
uit_export(const struct uit_input *in, const char **field, char *why, size_t whylen)
{
    const json_t *offer = in->offer, *partner = in->partner;
    const char *site_id = str(offer, "site_id");
    const struct uit_event_type *type = NULL;
    char url[512];
    size_t here = 0;
    bool changed = false;

    if ((*field = not_exportable(in, &type, &here, &changed, why, whylen)) != NULL)
        return NULL;
    bool periodic = in->calendar != NULL ? strcmp(in->calendar, "periodic") == 0
                                         : !changed && here > 1 && weekly_only(offer, site_id);
    if (periodic && !weekly_only(offer, site_id)) {
        *field = "calendar";
        snprintf(why, whylen,
                 "periodic needs every schedule to repeat every week at the offer's site");
        return NULL;
    }
    const char *main = str(offer, "main_language") ? str(offer, "main_language") : "nl";
    json_t *ev =
        json_pack("{s:s, s:o, s:[{s:s, s:s, s:s}], s:s, s:{s:s}}", "mainLanguage", main, "name",
                  texts(offer, "title"), "terms", "id", type->id, "label", type->label, "domain",
                  "eventtype", "attendanceMode", "offline", "audience", "audienceType", "everyone");
    json_t *description = texts(offer, "description");
    if (description != NULL)
        json_object_set_new(ev, "description", description);
    snprintf(url, sizeof(url), "%s/places/%s", in->uit_base, str(in->site, "uitdatabank_place_id"));
    json_object_set_new(ev, "location", json_pack("{s:s}", "@id", url));
    if (str(partner, "uitdatabank_organizer_id") != NULL) {
        snprintf(url, sizeof(url), "%s/organizers/%s", in->uit_base,
                 str(partner, "uitdatabank_organizer_id"));
        json_object_set_new(ev, "organizer", json_pack("{s:s}", "@id", url));
    }
    if (periodic)
        put_periodic(ev, in, site_id);
    else
        put_sub_events(ev, in, site_id, main);
    put_price_and_contact(ev, offer, partner);
    return ev;
}
