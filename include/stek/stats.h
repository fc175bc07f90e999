/*
 * Signal statistics (service/stekd/domain/stats.c): groups the finest cells
 * by the requested dimensions and suppresses small counts so that published
 * numbers cannot identify anyone, also not by subtraction: a cell below k is
 * hidden, and when a group of cells (all but one dimension equal) would then
 * hide exactly one cell, the next smallest is hidden too; the total is hidden
 * when it would reveal a hidden cell.
 */
#ifndef STEK_STATS_H
#define STEK_STATS_H

#include "stek/db.h"

#include <stdbool.h>
#include <stddef.h>

enum stat_dim {
    DIM_THEME,
    DIM_SITE,
    DIM_MUNICIPALITY,
    DIM_MONTH,
    DIM_KIND,
    DIM_PARTNER,
    DIM_COUNT
};

/* The API names of the dimensions: theme, site, municipality, month, kind, partner. */
extern const char *const stat_dim_names[DIM_COUNT];
/* The field names in rows: theme, site_id, municipality, month, kind, partner_id. */
extern const char *const stat_dim_fields[DIM_COUNT];

struct stat_row {
    const char *key[DIM_COUNT]; /* borrowed from the cells; NULL when not grouped */
    long count, referrals, arrived;
    bool suppressed;
};

/* Groups cells by the dimensions in mask (bit i = enum stat_dim i). *rows is malloc'd. */
size_t stats_group(const struct stat_cell *cells, size_t n, unsigned mask, struct stat_row **rows);

/* Suppresses small and subtractable cells; returns whether the total must be hidden. */
bool stats_suppress(struct stat_row *rows, size_t n, unsigned mask, long k);

#endif
