/*
 * The pure code that only HTTP tests reached before: the query validator,
 * the rules of signals and offers, the statistics window and rendering, the
 * feed's expansion and its JSON and iCalendar, gzip, dates, the configuration.
 */
#include "check.h"
#include "stek/config.h"
#include "stek/date.h"
#include "stek/feed.h"
#include "stek/feedmodel.h"
#include "stek/ical.h"
#include "stek/gzip.h"
#include "stek/i18n.h"
#include "stek/offer.h"
#include "stek/qspec.h"
#include "stek/signal.h"
#include "stek/stats.h"
#include "stek/tz.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A request with the query "k=v&k=v" (modified in place). */
static void
query(struct request *r, char *q)
{
    char *save = NULL;
    memset(r, 0, sizeof(*r));
    for (char *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq != NULL)
            *eq = '\0';
        r->query[r->nquery].key = kv;
        r->query[r->nquery++].value = eq ? eq + 1 : NULL;
    }
}

/* The fields named in a 400's errors, comma-separated. */
static void
fields_of(const struct request *r, char *out, size_t len)
{
    json_t *body = json_loadb(r->reply.body, r->reply.len, 0, NULL), *e;
    size_t i, used = 0;
    out[0] = '\0';
    json_array_foreach(json_object_get(body, "errors"), i, e)
    {
        used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s", i ? "," : "",
                                 json_string_value(json_object_get(e, "field")));
    }
    json_decref(body);
}

static void
test_qspec(void)
{
    struct request r;
    struct qpage p = QPAGE_INIT;
    struct qnear near = {0};
    const char *site = NULL, *free_ = NULL, *fn = NULL, *q = NULL;
    int32_t from = DAY_NONE;
    const struct qspec spec[] = {
        QS_PAGE(&p),
        QS_ID("site", &site, "a site id"),
        QS_BOOLEAN("free", &free_),
        QS_ONEOF("function", &fn, stek_functions),
        QS_DAY("from", &from),
        QS_NEARBY(&near),
        QS_TXT("q", &q, 5),
        QS_SPEC_END,
    };
    char buf[256], fields[256];

    strcpy(buf, "limit=20&site=8f0e6a4c-0001-4a00-8000-000000000002&free=true&function=learning"
                "&from=2026-12-01&near=51.1,4.4&q=soep");
    query(&r, buf);
    CHECK(qspec_parse(&r, spec) && r.reply.status == 0);
    CHECK(p.limit == 20 && !p.cursor.present && site != NULL && strcmp(free_, "t") == 0);
    CHECK(strcmp(fn, "learning") == 0 && from == days_from_civil(2026, 12, 1));
    CHECK(strcmp(near.lat, "51.1000000") == 0 && strcmp(near.radius_km, "10.000") == 0);

    /* Every problem at once, in one 400, each naming its parameter. */
    strcpy(buf, "limit=0&site=x&free=yes&function=eat&from=2026-02-30&radius_km=5&q=toolong&bad=1");
    query(&r, buf);
    CHECK(!qspec_parse(&r, spec) && r.reply.status == 400);
    fields_of(&r, fields, sizeof(fields));
    CHECK(strcmp(fields, "bad,limit,site,free,function,from,q,radius_km") == 0);
    if (strcmp(fields, "bad,limit,site,free,function,from,q,radius_km") != 0)
        printf("qspec fields: %s\n", fields);
    reply_clear(&r.reply);

    strcpy(buf, "cursor=nonsense&limit=501");
    query(&r, buf);
    CHECK(!qspec_parse(&r, spec));
    fields_of(&r, fields, sizeof(fields));
    CHECK(strcmp(fields, "limit,cursor") == 0);
    reply_clear(&r.reply);
}

static void
test_signal_rules(void)
{
    int32_t today = days_from_civil(2026, 11, 30);
    json_t *a =
        json_pack("{s:s, s:s, s:s}", "kind", "barrier", "theme", "work", "idempotency_key", "k1");
    json_t *b =
        json_pack("{s:s, s:s, s:s}", "theme", "work", "kind", "barrier", "idempotency_key", "k2");
    char ha[65], hb[65];

    CHECK(signal_occurred_on_problem(today, today) == NULL);
    CHECK(signal_occurred_on_problem(today + 1, today) != NULL);
    CHECK(signal_occurred_on_problem(today - 367, today) != NULL);
    CHECK(idempotency_key_valid("abc-123") && !idempotency_key_valid("with space") &&
          !idempotency_key_valid(""));
    /* The hash is of the body as sent, canonical, without its key. */
    signal_body_hash(a, ha);
    signal_body_hash(b, hb);
    CHECK(strlen(ha) == 64 && strcmp(ha, hb) == 0);
    json_object_set_new(b, "note", json_string("x"));
    signal_body_hash(b, hb);
    CHECK(strcmp(ha, hb) != 0);
    json_decref(a);
    json_decref(b);
    CHECK(signal_transition_problem(NULL, "raised", true, true) != NULL); /* a referral */
    CHECK(signal_transition_problem("new", "in_review", false, false) == NULL);
    CHECK(signal_transition_problem("raised", "new", true, false) != NULL); /* backwards */
    CHECK(signal_transition_problem("new", "raised", false, false) != NULL);
    CHECK(signal_transition_problem("new", "raised", true, false) == NULL);
    CHECK(signal_transition_problem("raised", "answered", true, false) != NULL);
    CHECK(signal_transition_problem("new", NULL, false, false) == NULL);
}

static void
test_offer_rules(void)
{
    json_t *errs = json_array();
    struct schedule_text ok = {"2026-12-03", NULL, "FREQ=WEEKLY;BYDAY=TH", "14:00", "16:00"};
    struct schedule_text bad = {"2026-12-02", "2026-11-01", NULL, "16:00", "14:00"};
    struct schedule_text wrong_day = {"2026-12-02", NULL, "FREQ=WEEKLY;BYDAY=TH", "14:00", "16:00"};

    schedule_check(&ok, "schedules[0].", errs);
    CHECK(json_array_size(errs) == 0);
    schedule_check(&bad, "schedules[1].", errs);
    CHECK(json_array_size(errs) == 2); /* end before start, until before dtstart */
    schedule_check(&wrong_day, "schedules[2].", errs);
    CHECK(json_array_size(errs) == 3 &&
          strcmp(json_string_value(json_object_get(json_array_get(errs, 2), "field")),
                 "schedules[2].dtstart") == 0);
    json_decref(errs);
    json_t *offer = json_pack("{s:[{s:s, s:s}]}", "schedules", "dtstart", "2026-12-03", "rrule",
                              "FREQ=WEEKLY;BYDAY=TH");
    CHECK(offer_occurs_on(offer, days_from_civil(2026, 12, 10)));
    CHECK(!offer_occurs_on(offer, days_from_civil(2026, 12, 11)));
    json_decref(offer);
}

static void
test_stats_window_and_render(void)
{
    int32_t today = days_from_civil(2026, 11, 30), from, to;
    unsigned mask;

    /* The public: the twelve closed months; an admin's raw counts include this one. */
    CHECK(stats_window(today, false, DAY_NONE, DAY_NONE, &from, &to) == NULL);
    CHECK(from == days_from_civil(2025, 11, 1) && to == days_from_civil(2026, 10, 31));
    CHECK(stats_window(today, true, DAY_NONE, DAY_NONE, &from, &to) == NULL);
    CHECK(from == days_from_civil(2025, 12, 1) && to == days_from_civil(2026, 11, 30));
    /* Asking for this month publicly gives nothing (from > to), never a partial month. */
    CHECK(stats_window(today, false, days_from_civil(2026, 11, 5), DAY_NONE, &from, &to) == NULL);
    CHECK(from > to);
    CHECK(stats_window(today, false, days_from_civil(2026, 5, 1), days_from_civil(2026, 4, 1),
                       &from, &to) != NULL);
    CHECK(stats_parse_group_by("theme,month", &mask) == NULL &&
          mask == ((1u << DIM_THEME) | (1u << DIM_MONTH)));
    CHECK(stats_parse_group_by("theme,age", &mask) != NULL);

    struct stat_row rows[1] = {{.count = 12, .p_count = 12}}, total = {.count = 12, .p_count = 12};
    rows[0].key[DIM_THEME] = "work";
    struct stats_answer a = {.mask = 1u << DIM_THEME,
                             .k = 5,
                             .from = "2025-12-01",
                             .to = "2026-10-31",
                             .rows = rows,
                             .nrows = 1,
                             .total = &total};
    json_t *j = stats_render_json(&a);
    CHECK(json_integer_value(json_object_get(json_object_get(j, "total"), "count")) == 12);
    CHECK(json_integer_value(json_object_get(j, "k")) == 5);
    json_decref(j);
    size_t len;
    char *csv = stats_render_csv(&a, &len);
    static const char want[] = "theme,count,suppressed,arrived_share\r\nwork,12,false,";
    CHECK(csv != NULL && len > strlen(want) && strncmp(csv, want, strlen(want)) == 0);
    free(csv);
}

static const struct tz *
brussels(const char *name)
{
    return tz_cached(name);
}

static void
test_feed_render(void)
{
    json_t *site =
        json_pack("{s:s, s:s}", "id", "00000000-0000-4000-8000-0000000000a1", "name", "Kantine");
    json_t *fns = json_pack("[s]", "meeting"), *cats = json_array();
    json_t *excs = json_pack("[{s:i, s:s, s:s}]", "day", (int)days_from_civil(2026, 12, 10),
                             "status", "cancelled", "note", "Kerst \"thuis\"\\\n\t\x01\x1f/é");
    json_t *none = json_array();
    struct feed_row row = {.offer_id = "00000000-0000-4000-8000-000000000001",
                           .title = "Soep, babbel",
                           .functions = fns,
                           .categories = cats,
                           .free = FACT_YES,
                           .partner_id = "00000000-0000-4000-8000-0000000000b1",
                           .partner_name = "CAW",
                           .dtstart = days_from_civil(2026, 12, 3),
                           .until = DAY_NONE,
                           .rrule = "FREQ=WEEKLY;BYDAY=TH",
                           .start_min = 14 * 60,
                           .end_min = 16 * 60,
                           .timezone = "Europe/Brussels",
                           .site = site,
                           .site_ok = true,
                           .exceptions = excs,
                           .closures = none,
                           .registration = "none"};
    struct feed_query q = {
        .from = days_from_civil(2026, 12, 1), .to = days_from_civil(2026, 12, 31), .limit = 0};
    struct feed_result res;
    size_t len;

    CHECK(feed_build(&row, 1, &q, brussels, &res));
    CHECK(res.n == 5 && res.items[1].status == OCC_CANCELLED); /* the 3rd, 10th, ... 31st */
    if (res.n != 5 || res.items[1].status != OCC_CANCELLED)
        printf("feed: %zu items, second %d\n", res.n, res.n > 1 ? (int)res.items[1].status : -1);
    char *json = feed_render_json(&res, &len);
    CHECK(json != NULL && strstr(json, "\"start\":\"2026-12-03T14:00:00+01:00\"") != NULL);
    if (json != NULL && strstr(json, "\"start\":\"2026-12-03T14:00:00+01:00\"") == NULL)
        printf("%.300s\n", json);
    /* Written directly, byte for byte what jansson writes of the same value. */
    json_t *parsed = json ? json_loads(json, 0, NULL) : NULL;
    char *again = parsed ? json_dumps(parsed, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    CHECK(again != NULL && strcmp(again, json) == 0);
    CHECK(json != NULL &&
          strstr(json, "\"note\":\"Kerst \\\"thuis\\\"\\\\\\n\\t\\u0001\\u001F/é\"") != NULL);
    if (again != NULL && strcmp(again, json) != 0)
        printf("%s\n%s\n", json, again);
    free(again);
    json_decref(parsed);
    char *ics = feed_render_ics(&res, "stek: Kalmthout", NULL, &len);
    CHECK(ics != NULL && strncmp(ics, "BEGIN:VCALENDAR\r\n", 17) == 0);
    CHECK(ics != NULL && strstr(ics, "DTSTART:20261203T130000Z") != NULL);
    CHECK(ics != NULL && strstr(ics, "STATUS:CANCELLED") != NULL);
    if (ics != NULL && strstr(ics, "STATUS:CANCELLED") == NULL)
        printf("%.900s\n", ics);
    CHECK(ics != NULL && strstr(ics, "SUMMARY:Soep\\, babbel") != NULL); /* escaped comma */
    /* Every event has its lines (shared by a row's occurrences), the note only the cancelled. */
    size_t descriptions = 0, notes = 0, locations = 0;
    for (const char *p = ics; p != NULL && (p = strstr(p, "DESCRIPTION:")) != NULL; p++)
        descriptions++;
    for (const char *p = ics; p != NULL && (p = strstr(p, "Kerst")) != NULL; p++)
        notes++;
    for (const char *p = ics; p != NULL && (p = strstr(p, "\r\nLOCATION:")) != NULL; p++)
        locations++;
    CHECK(descriptions == 5 && notes == 1 && locations == 5);
    const char *third = ics ? strstr(ics, "DTSTART:20261217T130000Z") : NULL;
    CHECK(third != NULL && strstr(third, "Kerst") == NULL);

    /* gzip: what the cache sends decompresses to the same bytes. */
    size_t gzlen = 0;
    char *gz = gzip_compress(ics, strlen(ics), &gzlen);
    z_stream zs = {0};
    char back[65536];
    CHECK(gz != NULL && gzlen > 18 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
    if (gz != NULL && inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK) {
        zs.next_in = (unsigned char *)gz;
        zs.avail_in = (unsigned)gzlen;
        zs.next_out = (unsigned char *)back;
        zs.avail_out = sizeof(back);
        CHECK(inflate(&zs, Z_FINISH) == Z_STREAM_END && zs.total_out == strlen(ics) &&
              memcmp(back, ics, strlen(ics)) == 0);
        inflateEnd(&zs);
    }
    free(gz);
    free(ics);
    free(json);
    feed_result_clear(&res);
    json_decref(site);
    json_decref(fns);
    json_decref(cats);
    json_decref(excs);
    json_decref(none);
}

static void
test_dates_and_config(void)
{
    struct stek_config cfg;
    char err[200];

    CHECK(date_months_before(days_from_civil(2026, 3, 31), 1) == days_from_civil(2026, 2, 28));
    CHECK(date_months_before(days_from_civil(2026, 1, 15), 24) == days_from_civil(2024, 1, 15));
    /* 23:30 UTC on 30 November is already 1 December in Brussels. */
    int64_t t = (int64_t)days_from_civil(2026, 11, 30) * 86400 + 23 * 3600 + 1800;
    CHECK(tz_today(tz_cached("Europe/Brussels"), t) == days_from_civil(2026, 12, 1));
    CHECK(tz_today(NULL, t) == days_from_civil(2026, 11, 30));
    /* Without config_use (as here), every value has its default. */
    CHECK(stek_config() != NULL && stek_config()->stats_k == 5 &&
          strcmp(stek_config()->timezone, "Europe/Brussels") == 0 &&
          stek_config()->writes_per_minute == 600);
    setenv("DATABASE_URL", "postgresql:///x", 1);
    setenv("STEK_TIMEZONE", "Europe/Amsterdam", 1);
    CHECK(config_from_env(&cfg, err, sizeof(err)) && strcmp(cfg.timezone, "Europe/Amsterdam") == 0);
    setenv("STEK_TIMEZONE", "Mars/Olympus", 1);
    CHECK(!config_from_env(&cfg, err, sizeof(err)) && strstr(err, "STEK_TIMEZONE") != NULL);
    unsetenv("STEK_TIMEZONE");
    unsetenv("DATABASE_URL");
}

/* The list pages' fast path gives exactly what parsing and localizing gives, or declines. */
static void
test_i18n_plain_json(void)
{
    static const char *const docs[] = {
        /* as PostgreSQL's json_build_object writes them: spaces, nested values, escapes */
        "{\"id\" : \"a\", \"title\" : \"Soep {met} [brood] \\\"vers\\\"\", \"n\" : 3, "
        "\"lat\" : 51.3869, \"ok\" : true, \"none\" : null, \"list\" : [\"x\", {\"y\" : [1, 2]}], "
        "\"main_language\" : \"fr\", \"translations\" : {}, \"translatable\" : [\"title\"], "
        "\"created_at\" : \"2026-11-30T12:00:00Z\"}",
        "{\"id\" : \"b\", \"theme\" : \"energy\"}",
        "{\"title\" : \"x\", \"main_language\" : \"xx\", \"translations\" : { }, "
        "\"translatable\" : [\"title\"]}",
        "{\"title\" : \"Soep\", \"main_language\" : \"nl\", \"translatable\" : [\"title\"], "
        "\"translations\" : {\"fr\" : {\"title\" : \"Soupe\"}}}",
        "{}",
    };
    static const char *const wants[] = {NULL, "fr", "fr,nl", "all"};
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        for (size_t w = 0; w < sizeof(wants) / sizeof(wants[0]); w++) {
            struct strbuf b = {0};
            char main[8];
            sb_puts(&b, "[");
            bool fast = i18n_plain_json(docs[i], wants[w], &b, main);
            json_t *slow = json_loads(docs[i], 0, NULL);
            CHECK(slow != NULL);
            const char *used = i18n_localize(slow, wants[w]);
            if (!fast) {
                CHECK(strcmp(sb_str(&b), "[") == 0); /* untouched */
                /* declined only where the reader's language can change the record */
                CHECK(wants[w] != NULL && used != NULL);
            } else {
                json_t *got = json_loads(sb_str(&b) + 1, 0, NULL);
                CHECK(got != NULL && json_equal(got, slow));
                CHECK(strcmp(main, used != NULL ? used : "") == 0);
                CHECK(strchr(sb_str(&b), ' ') == NULL || i == 0); /* compact (but in strings) */
                json_decref(got);
            }
            json_decref(slow);
            sb_free(&b);
        }
    }
    struct strbuf b = {0};
    char main[8];
    static const char *const bad[] = {"",
                                      "[1]",
                                      "{\"a\" : }",
                                      "{\"a\" : \"x}",
                                      "{\"a\" 1}",
                                      "{\"a\" : 1 \"b\" : 2}",
                                      "{\"a\" : [1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!i18n_plain_json(bad[i], NULL, &b, main) && b.len == 0);
    sb_free(&b);
}

static void
test_i18n(void)
{
    char prefs[I18N_PREFS_MAX];
    const char *p;

    CHECK((p = i18n_negotiate(NULL, "fr-BE, fr;q=0.9, nl;q=0.5", prefs)) &&
          strcmp(p, "fr,nl") == 0);
    CHECK((p = i18n_negotiate(NULL, "de;q=0.2, en;q=0.9, es", prefs)) && strcmp(p, "en,de") == 0);
    CHECK(i18n_negotiate(NULL, "es, *", prefs) == NULL);
    CHECK((p = i18n_negotiate(NULL, "fr;q=0, NL", prefs)) && strcmp(p, "nl") == 0);
    CHECK((p = i18n_negotiate("de-AT", "fr", prefs)) && strcmp(p, "de") == 0);
    CHECK((p = i18n_negotiate("all", "fr", prefs)) && strcmp(p, "all") == 0);
    CHECK(i18n_negotiate("es", "fr", prefs) == NULL); /* ?lang= wins, even unsupported */
    CHECK(i18n_negotiate(NULL, NULL, prefs) == NULL);

    json_t *doc =
        json_pack("{s:s, s:s, s:n, s:s, s:{s:{s:s}, s:{s:s, s:s}}, s:[s, s, s]}", "title", "Soep",
                  "description", "Warm", "audience", "main_language", "nl", "translations", "fr",
                  "title", "Soupe", "de", "title", "Suppe", "description", "Warm!", "translatable",
                  "title", "description", "audience");
    json_t *fr = json_deep_copy(doc), *de = json_deep_copy(doc), *all = json_deep_copy(doc);
    /* French lacks the description: the whole record stays Dutch. */
    CHECK(strcmp(i18n_localize(fr, "fr"), "nl") == 0);
    CHECK(strcmp(json_string_value(json_object_get(fr, "title")), "Soep") == 0);
    CHECK(json_object_get(fr, "translations") == NULL &&
          json_object_get(fr, "translatable") == NULL);
    /* The first complete language of the reader's list. */
    CHECK(strcmp(i18n_localize(de, "fr,de"), "de") == 0);
    CHECK(strcmp(json_string_value(json_object_get(de, "title")), "Suppe") == 0);
    CHECK(strcmp(json_string_value(json_object_get(de, "language")), "de") == 0);
    CHECK(strcmp(i18n_localize(all, "all"), "all") == 0);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(all, "title"), "fr")),
                 "Soupe") == 0);
    CHECK(json_is_null(json_object_get(all, "audience")));
    json_t *plain_doc = json_pack("{s:s}", "title", "x");
    CHECK(i18n_localize(plain_doc, "fr") == NULL && json_object_get(plain_doc, "language") == NULL);
    json_decref(plain_doc);

    /* Writing: objects become the main text plus translations; problems named per language. */
    static const char *const fields[] = {"title", "description", NULL};
    const char *main;
    json_t *tr, *errs = json_array();
    json_t *body = json_pack("{s:{s:s, s:s}, s:s}", "title", "nl", "Soep", "fr", "Soupe",
                             "description", "Warm");
    json_t *plain = i18n_flatten(body, fields, "nl", &main, &tr, errs);
    CHECK(json_array_size(errs) == 0 && strcmp(main, "nl") == 0);
    CHECK(strcmp(json_string_value(json_object_get(plain, "title")), "Soep") == 0);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(tr, "fr"), "title")), "Soupe") ==
          0);
    CHECK(json_object_get(json_object_get(tr, "fr"), "description") == NULL);
    json_decref(plain);
    json_decref(tr);
    json_decref(body);
    body = json_pack("{s:s, s:{s:s, s:s}, s:{}}", "main_language", "fr", "title", "nl", "Soep",
                     "xx", "?", "description");
    plain = i18n_flatten(body, fields, "nl", &main, &tr, errs);
    CHECK(strcmp(main, "fr") == 0 && json_array_size(errs) == 3); /* title.xx, title, description */
    json_decref(plain);
    json_decref(tr);
    json_decref(body);
    json_decref(errs);
    json_decref(doc);
    json_decref(fr);
    json_decref(de);
    json_decref(all);
}

/* The feed model's fold is PostgreSQL's stek_fold, or refuses (then the database answers). */
static void
test_feed_fold(void)
{
    char out[32];

    CHECK(feed_fold("Écaussinnes-LALAING", out, sizeof(out)) &&
          strcmp(out, "ecaussinnes-lalaing") == 0);
    CHECK(feed_fold("crème brûlée Ÿ", out, sizeof(out)) && strcmp(out, "creme brulee y") == 0);
    CHECK(feed_fold("", out, sizeof(out)) && strcmp(out, "") == 0);
    CHECK(!feed_fold("straße", out, sizeof(out)));   /* not in stek_fold's table */
    CHECK(!feed_fold("İstanbul", out, sizeof(out))); /* lower() may know it differently */
    CHECK(!feed_fold("0123456789012345678901234567890123", out, sizeof(out))); /* never cut */
}

void
test_domain(void)
{
    test_feed_fold();
    test_i18n();
    test_i18n_plain_json();
    test_qspec();
    test_signal_rules();
    test_offer_rules();
    test_stats_window_and_render();
    test_feed_render();
    test_dates_and_config();
}
