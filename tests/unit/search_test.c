/* Search (domain/search.c): a query cut, stemmed, widened and matched as search.h says. */
#include "check.h"
#include "stek/search.h"

#include <stdlib.h>
#include <string.h>

static bool
has_alt(const struct search_query *q, uint32_t group, const char *term, int weight)
{
    for (size_t i = 0; i < q->nalts; i++)
        if (q->alts[i].group == group && strcmp(q->alts[i].term, term) == 0)
            return weight == 0 || q->alts[i].weight == weight;
    return false;
}

void
test_search(void)
{
    char *stop[] = {"bij", "de", "het", "le", "the"};
    char *terms[] = {"repair café", "herstelcafé"};
    char *keys[] = {"repaircafe", "herstelcafe"};
    struct search_synonyms syn = {.id = NULL, .terms = terms, .keys = keys, .n = 2};
    struct search_config cfg = {.stop = stop, .nstop = 5, .syn = &syn, .nsyn = 1};
    struct search_query q = {0};
    char stem[SEARCH_WORD_MAX];

    search_prepare(&cfg);
    /* what cannot be searched, each with its own words */
    CHECK(search_parse("", &cfg, &q) == SEARCH_EMPTY);
    CHECK(search_parse(" ?! ", &cfg, &q) == SEARCH_EMPTY);
    CHECK(search_parse("de het the", &cfg, &q) == SEARCH_STOP_WORDS);
    CHECK(search_parse("a b c d e f g h i", &cfg, &q) == SEARCH_TOO_MANY);
    char long_q[260];
    memset(long_q, 'x', 201);
    long_q[201] = '\0';
    CHECK(search_parse(long_q, &cfg, &q) == SEARCH_TOO_LONG);
    memset(long_q, 'x', 70); /* a word longer than any term: found nowhere, not refused */
    long_q[70] = '\0';
    CHECK(search_parse(long_q, &cfg, &q) == SEARCH_OK && q.ngroups == 1 && q.nprobes == 0);
    search_finish(&q);
    CHECK(strcmp(q.sql_t, "{-}") == 0);
    CHECK(strstr(search_error_text(SEARCH_STOP_WORDS), "common") != NULL);

    /* a word, folded, with its stems in each language; stop words out */
    CHECK(search_parse("Hulp bij FORMULIEREN", &cfg, &q) == SEARCH_OK && q.ngroups == 2);
    CHECK(has_alt(&q, 1, "hulp", 2) && has_alt(&q, 2, "formulieren", 2));
    CHECK(has_alt(&q, 2, "formulier", 2)); /* Dutch */
    search_stem("dettes", "fr", stem);
    CHECK(strcmp(stem, "det") == 0);
    /* the pair that is a synonym is one word, with the group's forms */
    CHECK(search_parse("Repair Café", &cfg, &q) == SEARCH_OK && q.ngroups == 1);
    CHECK(has_alt(&q, 1, "herstelcafe", 2) && has_alt(&q, 1, "repaircafe", 2));
    /* the probes: parts (from four letters) and typos (from five) */
    CHECK(search_parse("fiets", &cfg, &q) == SEARCH_OK);
    bool prefix = false, suffix = false, typo = false;
    for (size_t i = 0; i < q.nprobes; i++) {
        prefix = prefix || (!q.probes[i].typo && !q.probes[i].reversed &&
                            strcmp(q.probes[i].key, "fiets") == 0 && q.probes[i].minlen == 8);
        suffix = suffix || (!q.probes[i].typo && q.probes[i].reversed &&
                            strcmp(q.probes[i].key, "steif") == 0);
        typo = typo || (q.probes[i].typo && q.probes[i].minlen == 4 && q.probes[i].maxlen == 6);
    }
    CHECK(prefix && suffix && typo);
    struct search_probe part = q.probes[0];
    search_probe_hit(&q, &part, "fietsherstelplaats");
    search_probe_hit(&q, &part, "fietsje");   /* too short to be a compound of it */
    search_probe_hit(&q, &part, "fiets2026"); /* numbers only whole */
    CHECK(has_alt(&q, 1, "fietsherstelplaats", 1) && !has_alt(&q, 1, "fietsje", 0) &&
          !has_alt(&q, 1, "fiets2026", 0));
    for (size_t i = 0; i < q.nprobes; i++)
        if (q.probes[i].typo) {
            search_probe_hit(&q, &q.probes[i], "fietz");
            search_probe_hit(&q, &q.probes[i], "fitse");
        }
    CHECK(has_alt(&q, 1, "fietz", 1) && !has_alt(&q, 1, "fitse", 0));
    search_finish(&q);
    CHECK(strncmp(q.sql_g, "{1,1", 4) == 0 && strchr(q.sql_t, ' ') == NULL);

    /* a record's terms: the groups it has */
    CHECK(search_parse("koffie formulieren", &cfg, &q) == SEARCH_OK);
    search_finish(&q);
    uint64_t doc[4];
    size_t n = search_terms_hashes("{formulier,koffie,tas}", doc);
    CHECK(n == 3 && search_mask(&q, doc, n) == 3);
    n = search_terms_hashes("{koffie}", doc);
    CHECK(search_mask(&q, doc, n) == 1);
    n = search_terms_hashes("{}", doc);
    CHECK(n == 0 && search_mask(&q, doc, n) == 0);

    /* one edit */
    CHECK(search_one_edit("koffie", "koffe") && search_one_edit("koffie", "kofife"));
    CHECK(search_one_edit("koffie", "koffiee") && search_one_edit("koffie", "koffie"));
    CHECK(search_one_edit("koffie", "koffje") && !search_one_edit("koffie", "kofe"));
    CHECK(!search_one_edit("koffie", "okffei"));
    search_query_clear(&q);
    for (size_t k = 0; k < syn.nforms; k++)
        free(syn.forms[k]);
    free(syn.forms);
}
