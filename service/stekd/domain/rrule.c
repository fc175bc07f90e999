#include "stek/rrule.h"
#include "stek/date.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Thread_local unsigned long rrule_periods_visited;

static const char *const wdnames[7] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};

/* Appends "; msg" (or msg) to err. */
static void
add_err(char *err, size_t errlen, const char *msg)
{
    size_t used = strlen(err);
    if (used + 3 >= errlen)
        return;
    snprintf(err + used, errlen - used, "%s%s", used ? "; " : "", msg);
}

static bool
parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!(isdigit((unsigned char)*s) || ((*s == '-' || *s == '+') && isdigit((unsigned char)s[1]))))
        return false;
    *out = strtol(s, &end, 10);
    return *end == '\0' && *out >= lo && *out <= hi;
}

/* Calls one(item, r) for each comma-separated item of v; false as soon as one fails. */
static bool
each_item(const char *v, struct rrule *r, bool (*one)(char *item, struct rrule *r))
{
    char buf[512];
    char *save = NULL;

    if (strlen(v) >= sizeof(buf))
        return false;
    strcpy(buf, v);
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
        if (!one(item, r))
            return false;
    return true;
}

/* One BYDAY item: MO, or with an ordinal such as 2TU or -1FR. */
static bool
byday_item(char *item, struct rrule *r)
{
    size_t len = strlen(item);
    long ord = 0;
    int wd = -1;

    if (len < 2 || r->nbyday == (int)(sizeof(r->byday) / sizeof(r->byday[0])))
        return false;
    for (int i = 0; i < 7; i++)
        if (strcmp(item + len - 2, wdnames[i]) == 0)
            wd = i;
    if (wd < 0)
        return false;
    if (len > 2) {
        item[len - 2] = '\0';
        if (!parse_int(item, -5, 5, &ord) || ord == 0)
            return false;
    }
    r->byday[r->nbyday].ord = (int8_t)ord;
    r->byday[r->nbyday].wd = (uint8_t)wd;
    r->nbyday++;
    return true;
}

/* One BYMONTHDAY item: 1..31 or -31..-1. */
static bool
bymonthday_item(char *item, struct rrule *r)
{
    long d;
    if (!parse_int(item, -31, 31, &d) || d == 0 || r->nbymonthday == (int)sizeof(r->bymonthday))
        return false;
    r->bymonthday[r->nbymonthday++] = (int8_t)d;
    return true;
}

/* UNTIL as a date (YYYYMMDD), or a date-time whose date part counts. */
static bool
parse_until(const char *v, int32_t *day)
{
    char iso[11];
    size_t len = strlen(v);

    if (len != 8 && !(len == 15 && v[8] == 'T') && !(len == 16 && v[8] == 'T' && v[15] == 'Z'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (i != 8 && i != 15 && !isdigit((unsigned char)v[i]))
            return false;
    snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", v, v + 4, v + 6);
    return date_parse(iso, day);
}

enum rule_part { P_FREQ = 1, P_INTERVAL = 2, P_COUNT = 4, P_UNTIL = 8, P_BYDAY = 16, P_BYMD = 32 };

/* One NAME=VALUE of a rule into out; the part it was (0 for an unknown name, told in err). */
static unsigned
parse_part(const char *name, const char *value, struct rrule *out, char *err, size_t errlen)
{
    long v;

    if (strcmp(name, "FREQ") == 0) {
        if (strcmp(value, "DAILY") == 0)
            out->freq = FREQ_DAILY;
        else if (strcmp(value, "WEEKLY") == 0)
            out->freq = FREQ_WEEKLY;
        else if (strcmp(value, "MONTHLY") == 0)
            out->freq = FREQ_MONTHLY;
        else
            add_err(err, errlen, "FREQ must be DAILY, WEEKLY or MONTHLY");
        return P_FREQ;
    }
    if (strcmp(name, "INTERVAL") == 0) {
        if (parse_int(value, 1, RRULE_MAX_INTERVAL, &v))
            out->interval = (int)v;
        else
            add_err(err, errlen, "INTERVAL must be a whole number from 1 to 99");
        return P_INTERVAL;
    }
    if (strcmp(name, "COUNT") == 0) {
        if (parse_int(value, 1, RRULE_MAX_COUNT, &v))
            out->count = (int)v;
        else
            add_err(err, errlen, "COUNT must be a whole number from 1 to 1000");
        return P_COUNT;
    }
    if (strcmp(name, "UNTIL") == 0) {
        if (!parse_until(value, &out->until))
            add_err(err, errlen, "UNTIL must be a date such as 20230209");
        return P_UNTIL;
    }
    if (strcmp(name, "BYDAY") == 0) {
        if (!each_item(value, out, byday_item) || out->nbyday == 0)
            add_err(err, errlen, "BYDAY must list days such as MO,TH or 3WE,-1FR");
        return P_BYDAY;
    }
    if (strcmp(name, "BYMONTHDAY") == 0) {
        if (!each_item(value, out, bymonthday_item) || out->nbymonthday == 0)
            add_err(err, errlen, "BYMONTHDAY must list days from 1 to 31 or -31 to -1");
        return P_BYMD;
    }
    char msg[96];
    snprintf(msg, sizeof(msg),
             "%.20s is not supported (use FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL)", name);
    add_err(err, errlen, msg);
    return 0;
}

/* The rules between the parts (seen: the parts given). */
static void
check_parts(const struct rrule *out, unsigned seen, char *err, size_t errlen)
{
    if (!(seen & P_FREQ))
        add_err(err, errlen, "FREQ is required");
    if ((seen & P_COUNT) && (seen & P_UNTIL))
        add_err(err, errlen, "COUNT and UNTIL cannot be combined");
    if (out->freq == FREQ_DAILY && (seen & P_BYDAY))
        add_err(err, errlen, "BYDAY needs FREQ=WEEKLY or MONTHLY");
    if (out->freq != FREQ_MONTHLY && (seen & P_BYMD))
        add_err(err, errlen, "BYMONTHDAY needs FREQ=MONTHLY");
    if (out->freq == FREQ_MONTHLY && (seen & P_BYDAY) && (seen & P_BYMD))
        add_err(err, errlen, "BYDAY and BYMONTHDAY cannot be combined");
    if (out->freq == FREQ_WEEKLY)
        for (int i = 0; i < out->nbyday; i++)
            if (out->byday[i].ord != 0) {
                add_err(err, errlen, "BYDAY ordinals such as 3WE need FREQ=MONTHLY");
                break;
            }
}

bool
rrule_parse(const char *text, struct rrule *out, char *err, size_t errlen)
{
    char buf[1024];
    char *save = NULL;
    unsigned seen = 0;

    memset(out, 0, sizeof(*out));
    out->interval = 1;
    out->until = DAY_NONE;
    err[0] = '\0';
    if (strlen(text) >= sizeof(buf)) {
        add_err(err, errlen, "the rule is too long");
        return false;
    }
    for (size_t i = 0; text[i]; i++)
        buf[i] = (char)toupper((unsigned char)text[i]);
    buf[strlen(text)] = '\0';
    if (buf[0] == '\0') {
        add_err(err, errlen, "the rule is empty");
        return false;
    }
    for (char *part = strtok_r(buf, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(part, '=');
        char msg[96];
        if (eq == NULL) {
            snprintf(msg, sizeof(msg), "'%.20s' is not NAME=VALUE", part);
            add_err(err, errlen, msg);
            continue;
        }
        *eq = '\0';
        unsigned bit = parse_part(part, eq + 1, out, err, errlen);
        if (bit != 0 && (seen & bit)) {
            snprintf(msg, sizeof(msg), "%.20s is given twice", part);
            add_err(err, errlen, msg);
        }
        seen |= bit;
    }
    check_parts(out, seen, err, errlen);
    return err[0] == '\0';
}

/* ---- expansion ---- */

static int
month_index(int32_t day)
{
    int y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    return y * 12 + (int)m - 1;
}

static void
sort_unique(int32_t *a, int *n)
{
    for (int i = 1; i < *n; i++) {
        int32_t v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
    int k = 0;
    for (int i = 0; i < *n; i++)
        if (k == 0 || a[k - 1] != a[i])
            a[k++] = a[i];
    *n = k;
}

/*
 * The candidate days of period k (the k-th day, week or month counted in
 * steps of INTERVAL from dtstart's period), sorted; *pstart is the period's
 * first day.
 */
static int
period(const struct rrule *r, int32_t dtstart, long k, int32_t *cand, int32_t *pstart)
{
    int n = 0;

    switch (r->freq) {
    case FREQ_DAILY:
        *pstart = dtstart + (int32_t)(k * r->interval);
        cand[n++] = *pstart;
        return n;
    case FREQ_WEEKLY: {
        int32_t monday = dtstart - (int32_t)weekday_of(dtstart);
        *pstart = monday + (int32_t)(7 * k * r->interval);
        if (r->nbyday == 0)
            cand[n++] = *pstart + (int32_t)weekday_of(dtstart);
        for (int i = 0; i < r->nbyday; i++)
            cand[n++] = *pstart + r->byday[i].wd;
        break;
    }
    case FREQ_MONTHLY: {
        long mi = month_index(dtstart) + k * r->interval;
        int y = (int)(mi / 12);
        unsigned mo = (unsigned)(mi % 12) + 1;
        int32_t first = days_from_civil(y, mo, 1);
        int32_t next = mo == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, mo + 1, 1);
        int ndays = next - first;
        *pstart = first;
        if (r->nbymonthday == 0 && r->nbyday == 0) {
            int yy;
            unsigned mm, dd;
            civil_from_days(dtstart, &yy, &mm, &dd);
            if ((int)dd <= ndays)
                cand[n++] = first + (int32_t)dd - 1;
        }
        for (int i = 0; i < r->nbymonthday; i++) {
            int d = r->bymonthday[i] > 0 ? r->bymonthday[i] : ndays + 1 + r->bymonthday[i];
            if (d >= 1 && d <= ndays)
                cand[n++] = first + d - 1;
        }
        for (int i = 0; i < r->nbyday; i++) {
            int wd = r->byday[i].wd, ord = r->byday[i].ord;
            int32_t firstwd = first + (int32_t)((wd - (int)weekday_of(first) + 7) % 7);
            int32_t lastwd = next - 1 - (int32_t)(((int)weekday_of(next - 1) - wd + 7) % 7);
            if (ord == 0) {
                for (int32_t d = firstwd; d < next; d += 7)
                    cand[n++] = d;
            } else if (ord > 0) {
                int32_t d = firstwd + 7 * (ord - 1);
                if (d < next)
                    cand[n++] = d;
            } else {
                int32_t d = lastwd + 7 * (ord + 1);
                if (d >= first)
                    cand[n++] = d;
            }
        }
        break;
    }
    }
    sort_unique(cand, &n);
    return n;
}

/* The first period whose days may reach s (s >= dtstart), aligned to the interval. */
static long
first_period(const struct rrule *r, int32_t dtstart, int32_t s)
{
    switch (r->freq) {
    case FREQ_DAILY:
        return (s - dtstart) / r->interval;
    case FREQ_WEEKLY: {
        int32_t m0 = dtstart - (int32_t)weekday_of(dtstart);
        int32_t ms = s - (int32_t)weekday_of(s);
        return (ms - m0) / (7L * r->interval);
    }
    case FREQ_MONTHLY:
    default:
        return (month_index(s) - month_index(dtstart)) / r->interval;
    }
}

int
rrule_expand(const struct rrule *rule, int32_t dtstart, int32_t until, int32_t from, int32_t to,
             int32_t *out, int max, bool *more)
{
    int32_t last = to;
    int n = 0, seen = 0;
    int32_t cand[160]; /* 7 weekdays x 5 + 70 ordinal entries, or 62 month days */

    *more = false;
    if (until < last)
        last = until;
    if (rule == NULL) {
        if (dtstart >= from && dtstart <= last) {
            if (max > 0)
                out[n++] = dtstart;
            else
                *more = true;
        }
        return n;
    }
    if (rule->until < last)
        last = rule->until;
    if (last < dtstart || last < from)
        return 0;
    /* COUNT rules count from the start; the others jump straight to the window. */
    long k = rule->count ? 0 : first_period(rule, dtstart, from > dtstart ? from : dtstart);
    for (;; k++) {
        int32_t pstart = DAY_NONE;
        int nc = period(rule, dtstart, k, cand, &pstart);
        rrule_periods_visited++;
        if (pstart > last)
            break;
        for (int i = 0; i < nc; i++) {
            if (cand[i] < dtstart)
                continue;
            if (cand[i] > last)
                return n;
            if (rule->count && ++seen > rule->count)
                return n;
            if (cand[i] < from)
                continue;
            if (n == max) {
                *more = true;
                return n;
            }
            out[n++] = cand[i];
        }
    }
    return n;
}

bool
rrule_occurs_on(const struct rrule *rule, int32_t dtstart, int32_t until, int32_t day)
{
    int32_t d;
    bool more;
    return rrule_expand(rule, dtstart, until, day, day, &d, 1, &more) == 1;
}
