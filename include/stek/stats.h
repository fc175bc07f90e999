/*
 * Signal statistics (service/stekd/domain/stats.c): pure code that turns the
 * finest cells of signal counts into the published table.
 *
 * The protection (docs/architecture.md, "Signals and privacy"):
 *
 *  - Every finest cell (theme x site x month x kind x posting partner x advocacy
 *    status x raised_with: always all of them, whatever a query groups by) with a
 *    count below k is perturbed once, by the cell key method: each signal has
 *    a secret random record key (signals.stat_key); the cell key is the sum of
 *    its signals' record keys, so the same set of signals always gets the same
 *    perturbation, and any change of the set draws a new one. The perturbed
 *    count stays below k, differs from the true count by at most 2, and every
 *    perturbed value can come from at least two true counts below k. Counts of
 *    k and more are published as they are.
 *  - Every published number (a row, a total) is the sum of perturbed finest
 *    cells, and a row is suppressed when that sum is below k. So everything an
 *    attacker can combine is a function of the perturbed finest cells: windows,
 *    nested geographies, groupings, totals and repetitions difference down to a
 *    perturbed cell at best, never to a true count below k.
 *  - Arrivals and non-arrivals of referrals are perturbed the same way (with
 *    their own record-key sums), and arrived_share is published only when both
 *    perturbed sums reach k.
 */
#ifndef STEK_STATS_H
#define STEK_STATS_H

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The finest cell of signal counts, as the database reads it (db_signal_cells). */
struct stat_cell {
    /* municipality: up to 100 characters of up to 4 bytes each */
    char theme[48], site[40], municipality[404], month[8], kind[12], partner[40];
    char status[16];   /* a barrier's advocacy status; "" for a referral */
    char *raised_with; /* malloc'd (up to 500 characters); "" when none */
    long count, arrived;
    /* Sums mod 2^32 of the record keys of all, the arrived and the waiting signals. */
    uint32_t key_all, key_arrived, key_waiting;
};

enum stat_dim {
    DIM_THEME,
    DIM_SITE,
    DIM_MUNICIPALITY,
    DIM_MONTH,
    DIM_KIND,
    DIM_PARTNER,
    DIM_STATUS,      /* a barrier's advocacy status (null for referrals) */
    DIM_RAISED_WITH, /* with whom a barrier was raised: organisation names (null: not yet) */
    DIM_COUNT
};

/* The API names of the dimensions: theme, site, municipality, month, kind, partner, status,
 * raised_with. */
extern const char *const stat_dim_names[DIM_COUNT];
/* The field names in rows: theme, site_id, municipality, month, kind, partner_id. */
extern const char *const stat_dim_fields[DIM_COUNT];

/* The largest perturbation of one finest cell. */
#define STATS_NOISE_BOUND 2

/*
 * The perturbed value of a true count below k (count itself from k on, 0 for
 * 0): a deterministic function of (count, cell key, k). salt separates the
 * draws of different sets that happen to share a key sum (arrivals).
 */
long stats_perturb(long count, uint32_t cell_key, uint32_t salt, long k);

/*
 * The probability that a true count (1..k-1) is published as value under k;
 * 0 for impossible values. For the tests and the table in docs/architecture.md.
 */
double stats_ptable(long count, long value, long k);

struct stat_row {
    const char *key[DIM_COUNT];         /* borrowed from the cells; NULL when not grouped */
    long count, referrals, arrived;     /* true counts */
    long p_count, p_arrived, p_waiting; /* sums of perturbed finest cells */
};

/*
 * Groups cells by the dimensions in mask (bit i = enum stat_dim i), sums the
 * true and the perturbed counts (k as for stats_perturb), sorted by the
 * grouped keys. *rows is malloc'd; total receives the sums over all cells.
 */
size_t stats_group(const struct stat_cell *cells, size_t n, unsigned mask, long k,
                   struct stat_row **rows, struct stat_row *total);

/* What one row or the total publishes. */
struct stat_value {
    bool suppressed; /* count not shown */
    long count;
    bool has_share; /* arrived_share shown */
    double share;   /* arrived / referrals, rounded to a tenth */
};

/*
 * The published value of a row: raw (an admin's exact counts) or protected
 * (perturbed sums, suppressed below k, arrived_share only when the perturbed
 * arrivals and non-arrivals both reach k).
 */
struct stat_value stats_publish(const struct stat_row *row, long k, bool raw);

/* "theme, site, municipality, month, kind, partner, status, raised_with" */
#define STATS_DIMS_LIST "theme, site, municipality, month, kind, partner, status, raised_with"

/* Parses a group_by list such as "theme,month" into a mask of dimensions; NULL or the message. */
const char *stats_parse_group_by(const char *value, unsigned *mask);

/*
 * The window a query may see, in whole months. The public sees closed months
 * only: the current month is still being filled, and each new signal would
 * show; raw (an admin's exact counts) includes it. to_req and from_req are the
 * dates asked for (DAY_NONE: not given): to defaults to the last publishable
 * day, from to the twelve whole months up to to; both widen to whole months,
 * and to is cut at the last publishable day (from > to then: an empty answer).
 * NULL, or the problem with to (before from).
 */
const char *stats_window(int32_t today, bool raw, int32_t from_req, int32_t to_req, int32_t *from,
                         int32_t *to);

/* What an answer publishes: the groups and the total, for JSON or CSV. */
struct stats_answer {
    unsigned mask;
    long k;
    bool raw;
    const char *from, *to; /* YYYY-MM-DD */
    const struct stat_row *rows;
    size_t nrows;
    const struct stat_row *total;
};

/* {k, noise_bound, from, to, group_by, rows, total}. */
json_t *stats_render_json(const struct stats_answer *a);

/* A header line and one line per row (count, suppressed, arrived_share); malloc'd, *len set. */
char *stats_render_csv(const struct stats_answer *a, size_t *len);

#endif
