/*
 * The statistics protection (domain/stats.c), without a database: the
 * perturbation table's promises for every k the configuration allows, the
 * draw against the table on many random cell keys, and the publishing rules.
 */
#include "check.h"
#include "stek/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A small deterministic generator for record keys (xorshift64*). */
static uint64_t
next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

static void
test_table(long k)
{
    bool all_ok = true;
    for (long c = 1; c < k; c++) {
        double sum = 0, mean = 0;
        for (long v = -3; v <= k + 3; v++) {
            double p = stats_ptable(c, v, k);
            sum += p;
            mean += p * (double)(v - c);
            /* Suppressed stays suppressed; at most the noise bound away. */
            if (p > 0 && (v < 0 || v >= k || labs(v - c) > STATS_NOISE_BOUND))
                all_ok = false;
        }
        if (fabs(sum - 1) > 1e-9 || mean > 1e-6 || mean < -0.26)
            all_ok = false;
    }
    /* Every value a small count can be published as comes from at least two small counts. */
    for (long v = 0; v < k; v++) {
        int sources = 0;
        for (long c = 1; c < k; c++)
            sources += stats_ptable(c, v, k) > 0;
        if (sources < 2) {
            printf("stats: k=%ld: value %ld comes from %d count(s)\n", k, v, sources);
            all_ok = false;
        }
    }
    CHECK(all_ok);
}

void
test_stats(void)
{
    uint64_t seed = 0x5eed5eedULL;

    for (long k = 3; k <= 20; k++)
        test_table(k);
    /* The table for the default k, for the README. */
    for (long c = 1; c < 5; c++) {
        printf("stats ptable k=5, count %ld:", c);
        for (long v = 0; v < 5; v++)
            printf(" %ld:%.3f", v, stats_ptable(c, v, 5));
        printf("\n");
    }
    /* Counts from k on, and 0, are published as they are. */
    CHECK(stats_perturb(0, 123, 0, 5) == 0 && stats_perturb(5, 123, 0, 5) == 5 &&
          stats_perturb(77, 9, 0, 5) == 77);
    /* The draw follows the table (20,000 random cell keys per count), and is deterministic. */
    for (long c = 1; c < 5; c++) {
        long hist[16] = {0};
        int n = 20000;
        bool same = true;
        for (int i = 0; i < n; i++) {
            uint32_t key = (uint32_t)next(&seed);
            long v = stats_perturb(c, key, 0, 5);
            same = same && v == stats_perturb(c, key, 0, 5);
            hist[v + 3]++;
        }
        double worst = 0;
        for (long v = -3; v < 13; v++) {
            double d = fabs((double)hist[v + 3] / n - stats_ptable(c, v, 5));
            worst = d > worst ? d : worst;
        }
        CHECK(same);
        CHECK(worst < 0.015);
    }

    /* Grouping: rows and the total are sums of the perturbed finest cells. */
    struct stat_cell cells[40];
    memset(cells, 0, sizeof(cells));
    for (int i = 0; i < 40; i++) {
        struct stat_cell *c = &cells[i];
        strcpy(c->theme, i % 3 == 0 ? "energy" : i % 3 == 1 ? "work" : "food");
        snprintf(c->site, sizeof(c->site), "site-%d", i % 4);
        strcpy(c->municipality, "Kalmthout");
        snprintf(c->month, sizeof(c->month), "2026-%02d", 1 + i % 5);
        strcpy(c->kind, i % 2 ? "referral" : "barrier");
        strcpy(c->partner, "p");
        c->raised_with = (char *)"";
        c->count = 1 + (long)(next(&seed) % 9);
        c->arrived = i % 2 ? c->count / 2 : 0;
        c->key_all = (uint32_t)next(&seed);
        c->key_arrived = (uint32_t)next(&seed);
        c->key_waiting = (uint32_t)next(&seed);
    }
    struct stat_row *rows, total, *rows2, total2;
    unsigned mask = 1u << DIM_THEME | 1u << DIM_SITE;
    size_t n = stats_group(cells, 40, mask, 5, &rows, &total);
    long sum_p = 0, sum_c = 0, cells_p = 0;
    for (size_t i = 0; i < n; i++) {
        sum_p += rows[i].p_count;
        sum_c += rows[i].count;
        CHECK(i == 0 || strcmp(rows[i - 1].key[DIM_THEME], rows[i].key[DIM_THEME]) < 0 ||
              (strcmp(rows[i - 1].key[DIM_THEME], rows[i].key[DIM_THEME]) == 0 &&
               strcmp(rows[i - 1].key[DIM_SITE], rows[i].key[DIM_SITE]) < 0));
    }
    for (int i = 0; i < 40; i++)
        cells_p += stats_perturb(cells[i].count, cells[i].key_all, 0x636f756e, 5);
    CHECK(n == 12);
    CHECK(sum_p == total.p_count && sum_c == total.count && cells_p == total.p_count);
    /* The same cells in another order: the same rows (the answer depends on the set only). */
    for (int i = 0; i < 20; i++) {
        struct stat_cell t = cells[i];
        cells[i] = cells[39 - i];
        cells[39 - i] = t;
    }
    size_t n2 = stats_group(cells, 40, mask, 5, &rows2, &total2);
    bool same = n2 == n && total2.p_count == total.p_count;
    for (size_t i = 0; same && i < n; i++)
        same = rows[i].p_count == rows2[i].p_count && rows[i].p_arrived == rows2[i].p_arrived;
    CHECK(same);
    free(rows);
    free(rows2);

    /* Publishing. */
    struct stat_row r = {.count = 3, .p_count = 4};
    struct stat_value v = stats_publish(&r, 5, false);
    CHECK(v.suppressed && !v.has_share);
    v = stats_publish(&r, 5, true);
    CHECK(!v.suppressed && v.count == 3);
    r = (struct stat_row){
        .count = 12, .referrals = 12, .arrived = 3, .p_count = 12, .p_arrived = 4, .p_waiting = 9};
    v = stats_publish(&r, 5, false);
    CHECK(!v.suppressed && v.count == 12 && !v.has_share); /* 4 arrivals: no share */
    r.p_arrived = 6;
    r.p_waiting = 6;
    v = stats_publish(&r, 5, false);
    CHECK(!v.has_share); /* perturbed sums reach k, but only 3 arrived */
    r.arrived = 6;
    v = stats_publish(&r, 5, false);
    CHECK(v.has_share && fabs(v.share - 0.5) < 1e-9);
    r.p_waiting = 4; /* 4 non-arrivals: no share either */
    CHECK(!stats_publish(&r, 5, false).has_share);
    r.arrived = 3;
    v = stats_publish(&r, 5, true);
    CHECK(v.has_share && fabs(v.share - 0.3) < 1e-9); /* raw: 3 of 12 */
}
