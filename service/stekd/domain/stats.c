#define _GNU_SOURCE /* qsort_r */
#include "stek/stats.h"

#include <stdlib.h>
#include <string.h>

const char *const stat_dim_names[DIM_COUNT] = {"theme", "site", "municipality",
                                               "month", "kind", "partner"};
const char *const stat_dim_fields[DIM_COUNT] = {"theme", "site_id", "municipality",
                                                "month", "kind",    "partner_id"};

static const char *
cell_key(const struct stat_cell *c, int d)
{
    switch (d) {
    case DIM_THEME:
        return c->theme;
    case DIM_SITE:
        return c->site;
    case DIM_MUNICIPALITY:
        return c->municipality;
    case DIM_MONTH:
        return c->month;
    case DIM_KIND:
        return c->kind;
    default:
        return c->partner;
    }
}

/* Equal on every grouped dimension except skip (-1: none). */
static bool
same_keys(const struct stat_row *a, const struct stat_row *b, unsigned mask, int skip)
{
    for (int d = 0; d < DIM_COUNT; d++)
        if ((mask & (1u << d)) && d != skip && strcmp(a->key[d], b->key[d]) != 0)
            return false;
    return true;
}

static int
cmp_rows(const void *x, const void *y, void *arg)
{
    const struct stat_row *a = x, *b = y;
    unsigned mask = *(const unsigned *)arg;
    for (int d = 0; d < DIM_COUNT; d++) {
        if (!(mask & (1u << d)))
            continue;
        int c = strcmp(a->key[d], b->key[d]);
        if (c != 0)
            return c;
    }
    return 0;
}

size_t
stats_group(const struct stat_cell *cells, size_t n, unsigned mask, struct stat_row **rows_out)
{
    struct stat_row *rows = calloc(n + 1, sizeof(*rows));
    size_t nrows = 0;

    if (rows == NULL)
        abort();
    /* Quadratic in the worst case, but the cells of one query are few (a year of one place). */
    for (size_t i = 0; i < n; i++) {
        struct stat_row probe = {0};
        for (int d = 0; d < DIM_COUNT; d++)
            probe.key[d] = (mask & (1u << d)) ? cell_key(&cells[i], d) : NULL;
        size_t j = 0;
        while (j < nrows && !same_keys(&rows[j], &probe, mask, -1))
            j++;
        if (j == nrows)
            rows[nrows++] = probe;
        rows[j].count += cells[i].count;
        if (strcmp(cells[i].kind, "referral") == 0) {
            rows[j].referrals += cells[i].count;
            rows[j].arrived += cells[i].arrived;
        }
    }
    /* Sorted by the grouped keys, so that answers are stable. */
    qsort_r(rows, nrows, sizeof(*rows), cmp_rows, &mask);
    *rows_out = rows;
    return nrows;
}

bool
stats_suppress(struct stat_row *rows, size_t n, unsigned mask, long k)
{
    size_t hidden = 0;
    long total = 0;
    bool changed = true;

    for (size_t i = 0; i < n; i++) {
        rows[i].suppressed = rows[i].count < k;
        total += rows[i].count;
    }
    /* Secondary suppression until no group of cells lets one hidden cell be subtracted. */
    while (changed) {
        changed = false;
        for (int d = 0; d < DIM_COUNT; d++) {
            if (!(mask & (1u << d)))
                continue;
            for (size_t i = 0; i < n; i++) {
                size_t members = 0, hid = 0, smallest = n;
                for (size_t j = 0; j < n; j++) {
                    if (!same_keys(&rows[i], &rows[j], mask, d))
                        continue;
                    members++;
                    if (rows[j].suppressed)
                        hid++;
                    else if (smallest == n || rows[j].count < rows[smallest].count)
                        smallest = j;
                }
                if (hid == 1 && members >= 2 && smallest < n) {
                    rows[smallest].suppressed = true;
                    changed = true;
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        hidden += rows[i].suppressed;
    /* With one hidden cell, the total minus the others would show it. */
    return total < k || hidden == 1;
}
