/*
 * The database layer (service/stekd/db/) against a real, migrated
 * PostgreSQL, without HTTP: typed results, typed failures with the
 * constraint's name, array parameters, feed rows decoded into structs,
 * transactions, and a lost connection. Usage: db-tests DATABASE_URL.
 * Prints one line per failed check and "db: N passed, N failed".
 */
#include "../unit/check.h"
#include "stek/date.h"
#include "stek/db.h"
#include "stek/feed.h"
#include "stek/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int passed, failed;

static void
test_partners(struct db_conn *c, char partner_id[48])
{
    char name[64];
    struct partner_fields f = {.kind = "welzijn", .active = true};
    struct db_doc d = {0}, again = {0};

    snprintf(name, sizeof(name), "DB tier %ld", (long)time(NULL));
    f.name = name;
    CHECK(db_insert_partner(c, &f, &d) == 1 && d.version == 1 && d.id[0] != '\0');
    CHECK(strcmp(json_string_value(json_object_get(d.doc, "name")), name) == 0);
    snprintf(partner_id, 48, "%s", d.id);
    CHECK(db_get_partner(c, d.id, false, &again) == 1 && strcmp(again.id, d.id) == 0);
    db_doc_clear(&again);
    CHECK(db_get_partner(c, "00000000-0000-4000-8000-000000000000", false, &again) == DB_NO_ROWS);

    /* A unique constraint: typed, with its name; the connection stays usable. */
    CHECK(db_insert_partner(c, &f, &again) == DB_UNIQUE);
    CHECK(db_last_failure(c) == DB_UNIQUE && strcmp(db_constraint(c), "partners_name_key") == 0);
    CHECK(!db_conn_lost(c));
    /* A CHECK constraint. */
    f.name = " spaced ";
    CHECK(db_insert_partner(c, &f, &again) == DB_CHECK);
    CHECK(strcmp(db_constraint(c), "partners_name_check") == 0);
    /* Success clears the failure. */
    CHECK(db_get_partner(c, d.id, false, &again) == 1 && db_last_failure(c) == DB_NO_ROWS);
    db_doc_clear(&again);
    db_doc_clear(&d);
}

static void
test_sites_offers_feed(struct db_conn *c, const char *partner_id)
{
    char name[64], offer_id[48];
    struct site_fields s = {.kind = "buurthuis",
                            .model = "stek",
                            .street = "Dorp 1",
                            .postal_code = "2920",
                            .municipality = "Kalmthout",
                            .country = "BE",
                            .timezone = "Europe/Brussels",
                            .active = true};
    struct db_doc site = {0}, offer = {0};
    json_t *fns = json_pack("[ss]", "meeting", "learning"), *cats = json_pack("[s]", "koken");

    snprintf(name, sizeof(name), "DB site %ld", (long)time(NULL));
    s.name = name;
    CHECK(db_insert_site(c, &s, &site) == 1);
    struct offer_fields o = {.title = "Soep",
                             .site_id = site.id,
                             .partner_id = partner_id,
                             .functions = fns,
                             .categories = cats,
                             .registration = "none",
                             .free = true,
                             .active = true};
    CHECK(db_insert_offer(c, &o, offer_id) == 1);
    /* A foreign key, typed and named. */
    o.site_id = "00000000-0000-4000-8000-000000000000";
    CHECK(db_insert_offer(c, &o, name) == DB_FOREIGN_KEY);
    CHECK(strcmp(db_constraint(c), "offers_site_id_fkey") == 0);
    struct schedule_fields sc = {.dtstart = "2026-12-03",
                                 .rrule = "FREQ=WEEKLY;BYDAY=TH",
                                 .start_time = "14:00",
                                 .end_time = "16:00"};
    CHECK(db_replace_schedules(c, offer_id, &sc, 1) >= 0);
    /* The arrays came back as they went in. */
    CHECK(db_get_offer(c, offer_id, false, &offer) == 1);
    CHECK(json_equal(json_object_get(offer.doc, "functions"), fns) &&
          json_equal(json_object_get(offer.doc, "categories"), cats));
    db_doc_clear(&offer);

    /* The feed's rows, decoded into structs with their JSON parsed once. */
    struct feed_filter ff = {.from = "2026-12-01", .to = "2026-12-31", .site = site.id};
    struct db_feed rows;
    CHECK(db_feed_rows(c, &ff, &rows) == 1 && rows.n == 1);
    if (rows.n == 1) {
        const struct feed_row *r = &rows.rows[0];
        CHECK(strcmp(r->offer_id, offer_id) == 0 && strcmp(r->title, "Soep") == 0);
        CHECK(r->dtstart == days_from_civil(2026, 12, 3) && r->until == DAY_NONE);
        CHECK(r->start_min == 14 * 60 && r->end_min == 16 * 60 && r->free && r->site_ok);
        CHECK(json_is_array(r->functions) && json_array_size(r->functions) == 2);
        CHECK(json_is_object(r->site) &&
              strcmp(json_string_value(json_object_get(r->site, "id")), site.id) == 0);
        CHECK(json_is_array(r->exceptions) && json_array_size(r->exceptions) == 0);
        CHECK(strcmp(r->timezone, "Europe/Brussels") == 0 && r->description == NULL);
    }
    db_feed_clear(&rows);

    /* A transaction rolled back leaves nothing behind. */
    CHECK(db_begin(c) == DB_NO_ROWS);
    CHECK(db_delete_offer(c, offer_id) == 1);
    db_rollback(c);
    CHECK(db_get_offer(c, offer_id, false, &offer) == 1);
    db_doc_clear(&offer);
    json_decref(fns);
    json_decref(cats);
    db_doc_clear(&site);
}

/* The terms C makes of a text in a language, as stek_search_terms makes them: each word, its
 * stem, each pair of neighbours joined and that join's stem. */
struct c_terms {
    json_t *set;
    const char *lang;
    char prev[SEARCH_WORD_MAX];
};

static void
c_term(const char *word, void *cls)
{
    struct c_terms *t = cls;
    char stem[SEARCH_WORD_MAX], joined[2 * SEARCH_WORD_MAX];

    json_object_set_new(t->set, word, json_true());
    search_stem(word, t->lang, stem);
    json_object_set_new(t->set, stem, json_true());
    if (t->prev[0] != '\0' && !strpbrk(t->prev, "0123456789") && !strpbrk(word, "0123456789")) {
        snprintf(joined, sizeof(joined), "%s%s", t->prev, word);
        json_object_set_new(t->set, joined, json_true());
        search_stem(joined, t->lang, stem);
        json_object_set_new(t->set, stem, json_true());
    }
    snprintf(t->prev, sizeof(t->prev), "%s", word);
}

/* The daemon's analyser (libstemmer, its folding and stop words) and PostgreSQL's (the
 * generated columns: stek_fold, regexp, ts_lexize) agree on every text and query of the
 * relevance set, in each of the four languages. */
static void
test_search_analysers_agree(struct db_conn *c)
{
    static const char *const langs[] = {"nl", "fr", "de", "en"};
    json_t *offers = json_load_file("tests/search/offers.json", 0, NULL);
    json_t *queries = json_load_file("tests/search/queries.json", 0, NULL);
    json_t *texts = json_array();
    size_t i, disagree = 0, terms = 0;
    json_t *v;

    CHECK(offers != NULL && queries != NULL && db_search_reload(c) >= 0);
    json_array_foreach(offers, i, v)
    {
        json_array_append(texts, json_object_get(v, "title"));
        json_array_append(texts, json_object_get(v, "description"));
    }
    json_array_foreach(queries, i, v) json_array_append(texts, json_object_get(v, "q"));
    json_array_append_new(texts, json_string("İstanbul straße Ærø ĳs œuvre naïve Ça-va? x"));
    json_array_foreach(texts, i, v)
    {
        for (size_t l = 0; l < 4; l++) {
            struct c_terms t = {.set = json_object(), .lang = langs[l]};
            json_t *pg = NULL, *e;
            size_t k;
            search_words(json_string_value(v), search_config_current(), c_term, &t);
            CHECK(db_search_analyse(c, json_string_value(v), langs[l], &pg) == 1);
            bool same = pg != NULL && json_array_size(pg) == json_object_size(t.set);
            json_array_foreach(pg, k, e) same =
                same && json_object_get(t.set, json_string_value(e));
            if (!same && disagree++ < 5)
                fprintf(stderr, "search analysers differ (%s): %s\n", langs[l],
                        json_string_value(v));
            terms += json_object_size(t.set);
            json_decref(pg);
            json_decref(t.set);
        }
    }
    CHECK(disagree == 0 && terms > 2000);
    json_decref(texts);
    json_decref(offers);
    json_decref(queries);
}

static void
test_lost_connection(void)
{
    /* A server that is not there: a hard failure, and the connection says it is lost. */
    struct db_conn *c =
        db_conn_new("postgresql://127.0.0.1:1/none?connect_timeout=2", "db-tests", 1000);
    CHECK(!db_conn_ensure(c));
    CHECK(db_conn_lost(c) && db_conn_error(c)[0] != '\0');
    db_conn_free(c);
}

int
main(int argc, char **argv)
{
    char partner_id[48] = "";

    if (argc != 2) {
        fprintf(stderr, "usage: db-tests DATABASE_URL\n");
        return 2;
    }
    struct db_conn *c = db_conn_new(argv[1], "db-tests", 5000);
    if (!db_conn_ensure(c)) {
        fprintf(stderr, "db-tests: cannot connect: %s\n", db_conn_error(c));
        db_conn_free(c);
        return 2;
    }
    test_partners(c, partner_id);
    test_sites_offers_feed(c, partner_id);
    test_search_analysers_agree(c);
    test_lost_connection();
    db_conn_free(c);
    printf("db: %d passed, %d failed\n", passed, failed);
    return failed > 0;
}
