#define _GNU_SOURCE /* qsort_r */
#include "stek/stats.h"
#include "stek/date.h"

#include <stdio.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const stat_dim_names[DIM_COUNT] = {"theme", "site",    "municipality", "month",
                                               "kind",  "partner", "status",       "raised_with"};
const char *const stat_dim_fields[DIM_COUNT] = {
    "theme", "site_id", "municipality", "month", "kind", "partner_id", "status", "raised_with"};

/* Salts of the three perturbed sets of a cell: all its signals, the arrived, the waiting. */
enum { SALT_COUNT = 0x636f756e, SALT_ARRIVED = 0x61727276, SALT_WAITING = 0x77616974 };

#define SPAN (2 * STATS_NOISE_BOUND + 1)

/*
 * The perturbation of one true count c (1..k-1): weights for e = -2..+2 with a
 * small weight on 0 (a published small count is rarely the true one), only
 * values that stay in 0..k-1 (suppressed stays suppressed, shown stays shown),
 * tilted so that the mean error is 0 where both signs are possible, and -0.25
 * at c = k-1, where nothing above c is allowed. Every value 0..k-1 then has at
 * least two true counts that give it: no published value pins a count down.
 */
static void
noise_row(long c, long k, double prob[SPAN])
{
    static const double base[SPAN] = {0.15, 0.30, 0.10, 0.30, 0.15};
    double lo = -30, hi = 30, w[SPAN];
    bool neg = false, pos = false;

    for (int i = 0; i < SPAN; i++) {
        long e = i - STATS_NOISE_BOUND, v = c + e;
        w[i] = (v >= 0 && v <= k - 1) ? base[i] : 0;
        neg = neg || (w[i] > 0 && e < 0);
        pos = pos || (w[i] > 0 && e > 0);
    }
    double target = (neg && pos) ? 0.0 : -0.25;
    /* Bisection on the tilt theta: the mean of e under w * exp(theta * e) grows with theta. */
    for (int it = 0; it < 200; it++) {
        double th = (lo + hi) / 2, s = 0, m = 0;
        for (int i = 0; i < SPAN; i++) {
            double x = w[i] * exp(th * (i - STATS_NOISE_BOUND));
            s += x;
            m += x * (i - STATS_NOISE_BOUND);
        }
        if (m / s < target)
            lo = th;
        else
            hi = th;
    }
    double th = (lo + hi) / 2, s = 0;
    for (int i = 0; i < SPAN; i++)
        s += (prob[i] = w[i] * exp(th * (i - STATS_NOISE_BOUND)));
    for (int i = 0; i < SPAN; i++)
        prob[i] /= s;
}

double
stats_ptable(long count, long value, long k)
{
    double prob[SPAN];
    long e = value - count;

    if (count < 1 || count >= k || e < -STATS_NOISE_BOUND || e > STATS_NOISE_BOUND)
        return 0;
    noise_row(count, k, prob);
    return prob[e + STATS_NOISE_BOUND];
}

/* Cumulative thresholds over 2^32 of the noise rows for counts 1..k-1 (row c at c - 1). */
struct ptable {
    long k;
    uint64_t (*cum)[SPAN];
};

/* Cumulative thresholds over 2^32 of the noise row of count c: the draw u picks the first above. */
static void
cum_row(long c, long k, uint64_t cum[SPAN])
{
    double prob[SPAN], acc = 0;

    noise_row(c, k, prob);
    for (int i = 0; i < SPAN; i++) {
        acc += prob[i];
        cum[i] = prob[i] > 0 ? (uint64_t)(acc * 4294967296.0) : 0;
    }
    for (int i = SPAN - 1; i >= 0; i--)
        if (prob[i] > 0) {
            cum[i] = 4294967296ULL; /* the last possible value takes the rest */
            break;
        }
}

static void
ptable_init(struct ptable *t, long k)
{
    t->k = k;
    t->cum = calloc((size_t)(k > 1 ? k - 1 : 1), sizeof(*t->cum));
    if (t->cum == NULL)
        abort();
    for (long c = 1; c < k; c++)
        cum_row(c, k, t->cum[c - 1]);
}

/* splitmix64's finaliser: a well-mixed 64-bit function of the key, the count and the salt. */
static uint64_t
mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static long
draw(const uint64_t cum[SPAN], long c, uint32_t key, uint32_t salt)
{
    uint64_t u = mix(((uint64_t)key << 32 | salt) ^ mix((uint64_t)c)) >> 32;
    for (int i = 0; i < SPAN; i++)
        if (cum[i] > u)
            return c + i - STATS_NOISE_BOUND;
    return c; /* not reached: the last threshold is 2^32 */
}

static long
perturb(const struct ptable *t, long c, uint32_t key, uint32_t salt)
{
    if (c <= 0)
        return 0;
    if (c >= t->k)
        return c;
    return draw(t->cum[c - 1], c, key, salt);
}

long
stats_perturb(long count, uint32_t cell_key, uint32_t salt, long k)
{
    uint64_t cum[SPAN];

    if (count <= 0)
        return 0;
    if (count >= k)
        return count;
    cum_row(count, k, cum);
    return draw(cum, count, cell_key, salt);
}

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
    case DIM_STATUS:
        return c->status;
    case DIM_RAISED_WITH:
        return c->raised_with;
    default:
        return c->partner;
    }
}

struct sort_arg {
    const struct stat_cell *cells;
    unsigned mask;
};

static int
cmp_cells(const void *x, const void *y, void *arg)
{
    const struct sort_arg *a = arg;
    const struct stat_cell *p = &a->cells[*(const size_t *)x], *q = &a->cells[*(const size_t *)y];
    for (int d = 0; d < DIM_COUNT; d++) {
        if (!(a->mask & (1u << d)))
            continue;
        int c = strcmp(cell_key(p, d), cell_key(q, d));
        if (c != 0)
            return c;
    }
    return 0;
}

static void
add_cell(struct stat_row *row, const struct stat_cell *c, const struct ptable *t)
{
    row->count += c->count;
    row->p_count += perturb(t, c->count, c->key_all, SALT_COUNT);
    if (strcmp(c->kind, "referral") == 0) {
        row->referrals += c->count;
        row->arrived += c->arrived;
        row->p_arrived += perturb(t, c->arrived, c->key_arrived, SALT_ARRIVED);
        row->p_waiting += perturb(t, c->count - c->arrived, c->key_waiting, SALT_WAITING);
    }
}

size_t
stats_group(const struct stat_cell *cells, size_t n, unsigned mask, long k,
            struct stat_row **rows_out, struct stat_row *total)
{
    struct stat_row *rows = calloc(n + 1, sizeof(*rows));
    size_t *order = calloc(n + 1, sizeof(*order)), nrows = 0;
    struct sort_arg arg = {cells, mask};
    struct ptable t;

    if (rows == NULL || order == NULL)
        abort();
    ptable_init(&t, k);
    memset(total, 0, sizeof(*total));
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* Sorted by the grouped keys: equal keys are neighbours, and answers are stable. */
    qsort_r(order, n, sizeof(*order), cmp_cells, &arg);
    for (size_t i = 0; i < n; i++) {
        const struct stat_cell *c = &cells[order[i]];
        if (i == 0 || cmp_cells(&order[i - 1], &order[i], &arg) != 0) {
            struct stat_row *row = &rows[nrows++];
            for (int d = 0; d < DIM_COUNT; d++)
                row->key[d] = (mask & (1u << d)) ? cell_key(c, d) : NULL;
        }
        add_cell(&rows[nrows - 1], c, &t);
        add_cell(total, c, &t);
    }
    free(t.cum);
    free(order);
    *rows_out = rows;
    return nrows;
}

/* Rounded to a tenth: the share must not give back a count. */
static double
tenth(long part, long whole)
{
    return floor(10.0 * (double)part / (double)whole + 0.5) / 10.0;
}

struct stat_value
stats_publish(const struct stat_row *row, long k, bool raw)
{
    struct stat_value v = {0};

    if (raw) {
        v.count = row->count;
        v.has_share = row->referrals > 0;
        v.share = v.has_share ? tenth(row->arrived, row->referrals) : 0;
        return v;
    }
    v.count = row->p_count;
    v.suppressed = row->p_count < k;
    if (v.suppressed)
        v.count = 0;
    /*
     * Both sides of the share must be safe to publish on their own: perturbed, and also in
     * truth (a sum of perturbed small cells may reach k while fewer than k arrived). The true
     * condition only says "k or more", which no subtraction turns into a small count: arrivals
     * are never listed per row.
     */
    v.has_share = !v.suppressed && row->p_arrived >= k && row->p_waiting >= k &&
                  row->arrived >= k && row->referrals - row->arrived >= k;
    v.share = v.has_share ? tenth(row->p_arrived, row->p_arrived + row->p_waiting) : 0;
    return v;
}

const char *
stats_parse_group_by(const char *v, unsigned *mask)
{
    char buf[128], *save = NULL;

    *mask = 0;
    if (strlen(v) >= sizeof(buf) || *v == '\0')
        return "must list " STATS_DIMS_LIST;
    strcpy(buf, v);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int d = 0;
        while (d < DIM_COUNT && strcmp(stat_dim_names[d], t) != 0)
            d++;
        if (d == DIM_COUNT)
            return "must list " STATS_DIMS_LIST;
        *mask |= 1u << d;
    }
    return NULL;
}

/* The first day of the month after the one of day. */
static int32_t
next_month(int32_t day)
{
    int y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    return first_of_next_month(y, m);
}

static int32_t
month_start(int32_t day)
{
    int y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    return days_from_civil(y, m, 1);
}

const char *
stats_window(int32_t today, bool raw, int32_t from_req, int32_t to_req, int32_t *from, int32_t *to)
{
    /* The last day that may be published: the end of this month (raw), or of the last one. */
    int32_t last = raw ? next_month(today) - 1 : month_start(today) - 1;

    int y;
    unsigned m, d;

    *to = next_month(to_req != DAY_NONE ? to_req : last) - 1;
    /* Default: the twelve whole months up to to. */
    civil_from_days(*to, &y, &m, &d);
    *from = from_req != DAY_NONE ? month_start(from_req) : first_of_next_month(y - 1, m);
    if (to_req != DAY_NONE && *to < *from)
        return "must not be before from";
    if (*to > last)
        *to = last; /* from > to now: an empty answer, nothing of this month */
    return NULL;
}

static void
csv_field(char **buf, size_t *len, size_t *cap, const char *s, bool last)
{
    size_t need = *len + 2 * strlen(s) + 4;
    if (need > *cap) {
        while (*cap < need)
            *cap = *cap ? *cap * 2 : 4096;
        char *nb = realloc(*buf, *cap);
        if (nb == NULL)
            abort();
        *buf = nb;
    }
    char *o = *buf + *len;
    bool quote = strpbrk(s, ",\"\n\r;") != NULL;
    if (quote)
        *o++ = '"';
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            *o++ = '"';
        *o++ = *p;
    }
    if (quote)
        *o++ = '"';
    *o++ = last ? '\r' : ',';
    if (last)
        *o++ = '\n';
    *len = (size_t)(o - *buf);
}

char *
stats_render_csv(const struct stats_answer *a, size_t *len)
{
    char *buf = NULL, num[32];
    size_t cap = 0;

    *len = 0;
    for (int dd = 0; dd < DIM_COUNT; dd++)
        if (a->mask & (1u << dd))
            csv_field(&buf, len, &cap, stat_dim_fields[dd], false);
    csv_field(&buf, len, &cap, "count", false);
    csv_field(&buf, len, &cap, "suppressed", false);
    csv_field(&buf, len, &cap, "arrived_share", true);
    for (size_t i = 0; i < a->nrows; i++) {
        struct stat_value v = stats_publish(&a->rows[i], a->k, a->raw);
        for (int dd = 0; dd < DIM_COUNT; dd++)
            if (a->mask & (1u << dd))
                csv_field(&buf, len, &cap, a->rows[i].key[dd], false);
        snprintf(num, sizeof(num), "%ld", v.count);
        csv_field(&buf, len, &cap, v.suppressed ? "" : num, false);
        csv_field(&buf, len, &cap, v.suppressed ? "true" : "false", false);
        snprintf(num, sizeof(num), "%.1f", v.share);
        csv_field(&buf, len, &cap, v.has_share ? num : "", true);
    }
    return buf;
}

json_t *
stats_render_json(const struct stats_answer *a)
{
    json_t *out = json_object(), *list = json_array(), *by = json_array();
    struct stat_value tv = stats_publish(a->total, a->k, a->raw);

    for (int dd = 0; dd < DIM_COUNT; dd++)
        if (a->mask & (1u << dd))
            json_array_append_new(by, json_string(stat_dim_names[dd]));
    for (size_t i = 0; i < a->nrows; i++) {
        struct stat_value v = stats_publish(&a->rows[i], a->k, a->raw);
        json_t *row = json_object();
        for (int dd = 0; dd < DIM_COUNT; dd++)
            if (a->mask & (1u << dd))
                json_object_set_new(row, stat_dim_fields[dd],
                                    a->rows[i].key[dd][0] != '\0' ? json_string(a->rows[i].key[dd])
                                                                  : json_null());
        if (v.suppressed) {
            json_object_set_new(row, "count", json_null());
            json_object_set_new(row, "suppressed", json_true());
        } else {
            json_object_set_new(row, "count", json_integer(v.count));
        }
        if (v.has_share)
            json_object_set_new(row, "arrived_share", json_real(v.share));
        json_array_append_new(list, row);
    }
    json_object_set_new(out, "k", a->raw ? json_null() : json_integer(a->k));
    json_object_set_new(out, "noise_bound", json_integer(a->raw ? 0 : STATS_NOISE_BOUND));
    json_object_set_new(out, "from", json_string(a->from));
    json_object_set_new(out, "to", json_string(a->to));
    json_object_set_new(out, "group_by", by);
    json_object_set_new(out, "rows", list);
    json_object_set_new(out, "total",
                        tv.suppressed ? json_pack("{s:n, s:b}", "count", "suppressed", 1)
                                      : json_pack("{s:I}", "count", (json_int_t)tv.count));
    return out;
}
