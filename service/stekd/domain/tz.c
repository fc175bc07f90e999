#include "stek/tz.h"
#include "stek/date.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* One rule of a POSIX TZ string: month, week (5 = last), weekday (0 = Sunday), seconds. */
struct posix_rule {
    int month, week, wday;
    int32_t secs;
};

struct tz {
    int64_t *trans;   /* transition instants, ascending */
    uint8_t *idx;     /* type of each transition */
    int32_t *offsets; /* offset of each type */
    uint32_t ntrans, ntypes;
    /* Footer: applies after the last transition. */
    bool has_footer, footer_dst;
    int32_t std_off, dst_off;
    struct posix_rule start, end;
    uint64_t serial; /* unique per loaded zone, for tz_offset_at's memo */
};

static atomic_uint_fast64_t tz_serials;

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses [+-]hh[:mm[:ss]] into seconds; advances *s. */
static bool
posix_time(const char **s, int32_t *out)
{
    const char *p = *s;
    int sign = 1, parts[3] = {0, 0, 0}, n = 0;

    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    while (n < 3 && isdigit((unsigned char)*p)) {
        int v = 0;
        while (isdigit((unsigned char)*p))
            v = v * 10 + (*p++ - '0');
        parts[n++] = v;
        if (*p != ':')
            break;
        p++;
    }
    if (n == 0 || parts[0] > 167)
        return false;
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    *s = p;
    return true;
}

static bool
posix_name(const char **s)
{
    const char *p = *s;
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        if (*p != '>')
            return false;
        *s = p + 1;
        return true;
    }
    while (isalpha((unsigned char)*p))
        p++;
    if (p - *s < 3)
        return false;
    *s = p;
    return true;
}

static bool
posix_rule(const char **s, struct posix_rule *r)
{
    const char *p = *s;
    char *end;

    if (*p++ != 'M')
        return false; /* only the Mm.w.d form, which every current zone uses */
    r->month = (int)strtol(p, &end, 10);
    if (*end != '.')
        return false;
    r->week = (int)strtol(end + 1, &end, 10);
    if (*end != '.')
        return false;
    r->wday = (int)strtol(end + 1, &end, 10);
    p = end;
    r->secs = 7200;
    if (*p == '/') {
        p++;
        if (!posix_time(&p, &r->secs))
            return false;
    }
    if (r->month < 1 || r->month > 12 || r->week < 1 || r->week > 5 || r->wday < 0 || r->wday > 6)
        return false;
    *s = p;
    return true;
}

/* "CET-1CEST,M3.5.0,M10.5.0/3": note that POSIX offsets are west of UTC. */
static void
parse_footer(struct tz *z, const char *s)
{
    int32_t off;

    if (!posix_name(&s) || !posix_time(&s, &off))
        return;
    z->std_off = -off;
    z->has_footer = true;
    if (*s == '\0')
        return;
    if (!posix_name(&s)) {
        z->has_footer = false;
        return;
    }
    z->dst_off = z->std_off + 3600;
    if (*s != ',' && posix_time(&s, &off))
        z->dst_off = -off;
    if (*s != ',' || !posix_rule(&(const char *){++s}, &z->start)) {
        z->has_footer = false;
        return;
    }
    s = strchr(s, ',');
    if (s == NULL || !posix_rule(&(const char *){s + 1}, &z->end)) {
        z->has_footer = false;
        return;
    }
    z->footer_dst = true;
}

struct tz *
tz_parse(const unsigned char *d, size_t len)
{
    struct tz *z;
    size_t v1, off;
    uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;

    if (len < 44 || memcmp(d, "TZif", 4) != 0 || d[4] < '2')
        return NULL;
    isut = be32(d + 20), isstd = be32(d + 24), leap = be32(d + 28);
    timecnt = be32(d + 32), typecnt = be32(d + 36), charcnt = be32(d + 40);
    v1 = 44 + (size_t)timecnt * 5 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 8 + isstd + isut;
    if (timecnt > 100000 || typecnt > 256 || charcnt > 10000 || leap > 10000 || v1 + 44 > len)
        return NULL;
    d += v1;
    len -= v1;
    if (memcmp(d, "TZif", 4) != 0)
        return NULL;
    isut = be32(d + 20), isstd = be32(d + 24), leap = be32(d + 28);
    timecnt = be32(d + 32), typecnt = be32(d + 36), charcnt = be32(d + 40);
    if (timecnt > 100000 || typecnt == 0 || typecnt > 256 || charcnt > 10000 || leap > 10000)
        return NULL;
    off =
        44 + (size_t)timecnt * 9 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 12 + isstd + isut;
    if (off > len)
        return NULL;
    z = calloc(1, sizeof(*z));
    if (z != NULL)
        z->serial = atomic_fetch_add(&tz_serials, 1) + 1;
    if (z == NULL)
        return NULL;
    z->ntrans = timecnt;
    z->ntypes = typecnt;
    z->trans = calloc(timecnt + 1, sizeof(*z->trans));
    z->idx = calloc(timecnt + 1, 1);
    z->offsets = calloc(typecnt, sizeof(*z->offsets));
    if (z->trans == NULL || z->idx == NULL || z->offsets == NULL) {
        tz_free(z);
        return NULL;
    }
    const unsigned char *p = d + 44;
    for (uint32_t i = 0; i < timecnt; i++, p += 8)
        z->trans[i] = be64(p);
    for (uint32_t i = 0; i < timecnt; i++, p++) {
        z->idx[i] = *p;
        if (*p >= typecnt) {
            tz_free(z);
            return NULL;
        }
    }
    for (uint32_t i = 0; i < typecnt; i++, p += 6)
        z->offsets[i] = (int32_t)be32(p);
    /* The footer follows the v2 data: "\nTZ-string\n". */
    if (off + 2 < len && d[off] == '\n') {
        char footer[128];
        size_t n = 0;
        for (size_t i = off + 1; i < len && d[i] != '\n' && n + 1 < sizeof(footer); i++)
            footer[n++] = (char)d[i];
        footer[n] = '\0';
        parse_footer(z, footer);
    }
    return z;
}

void
tz_free(struct tz *z)
{
    if (z == NULL)
        return;
    free(z->trans);
    free(z->idx);
    free(z->offsets);
    free(z);
}

struct tz *
tz_load(const char *name)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    unsigned char *buf;
    size_t len;
    FILE *f;
    struct tz *z;

    /* A name, never a path: no "..", no leading '/', only the characters IANA uses. */
    if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL || strlen(name) > 64 ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") !=
            strlen(name))
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/usr/share/zoneinfo", name);
    if ((f = fopen(path, "rb")) == NULL)
        return NULL;
    buf = malloc(1 << 20);
    len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    z = buf ? tz_parse(buf, len) : NULL;
    free(buf);
    return z;
}

/* The instant a POSIX rule fires in a year; local seconds converted with offset. */
static int64_t
rule_instant(const struct posix_rule *r, int year, int32_t offset)
{
    int32_t first = days_from_civil(year, (unsigned)r->month, 1);
    int32_t next = first_of_next_month(year, (unsigned)r->month);
    int target = (r->wday + 6) % 7; /* POSIX 0 = Sunday; ours 0 = Monday */
    int32_t day = first + (target - (int)weekday_of(first) + 7) % 7 + 7 * (r->week - 1);
    while (day >= next)
        day -= 7;
    return (int64_t)day * 86400 + r->secs - offset;
}

int32_t
tz_offset_at(const struct tz *z, int64_t utc)
{
    if (z->ntrans == 0 || utc < z->trans[0]) {
        if (z->ntrans == 0 && z->has_footer && !z->footer_dst)
            return z->std_off;
        /* Before the first transition: the first non-transition type (usually LMT). */
        if (z->ntrans == 0 || !z->has_footer)
            return z->offsets[0];
        return z->offsets[0];
    }
    if (utc >= z->trans[z->ntrans - 1] && z->has_footer) {
        if (!z->footer_dst)
            return z->std_off;
        int y;
        unsigned m, d;
        int64_t days = utc / 86400 - (utc % 86400 < 0);
        civil_from_days((int32_t)days, &y, &m, &d);
        /* The feed asks for many instants of one zone and year in a row: each thread keeps the
         * last year's change instants (a zone is never changed once loaded). */
        static _Thread_local struct {
            uint64_t serial;
            int year;
            int64_t start, end;
        } last;
        if (last.serial != z->serial || last.year != y) {
            last.serial = z->serial;
            last.year = y;
            last.start = rule_instant(&z->start, y, z->std_off);
            last.end = rule_instant(&z->end, y, z->dst_off);
        }
        int64_t start = last.start, end = last.end;
        bool dst = start < end ? (utc >= start && utc < end) : (utc >= start || utc < end);
        return dst ? z->dst_off : z->std_off;
    }
    uint32_t lo = 0, hi = z->ntrans; /* last transition <= utc */
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (z->trans[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return z->offsets[z->idx[lo]];
}

int64_t
tz_local_to_utc(const struct tz *z, int32_t day, int minutes, int32_t *offset)
{
    int64_t local = (int64_t)day * 86400 + (int64_t)minutes * 60;
    int32_t before = tz_offset_at(z, local - 86400 - 14 * 3600);
    int32_t after = tz_offset_at(z, local + 86400 + 14 * 3600);
    if (before == after) { /* no change of offset near that day: the common case, done */
        *offset = before;
        return local - before;
    }
    int64_t u1 = local - before, u2 = local - after;
    bool ok1 = tz_offset_at(z, u1) == before, ok2 = tz_offset_at(z, u2) == after;
    int64_t u;

    if (ok1 && ok2)
        u = u1 < u2 ? u1 : u2; /* doubled: the first of the two */
    else if (ok1)
        u = u1;
    else if (ok2)
        u = u2;
    else
        u = u1; /* skipped: read with the offset before the gap */
    *offset = tz_offset_at(z, u);
    return u;
}

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[72];
    struct tz *tz;
} zones[64];
static int nzones;

const struct tz *
tz_cached(const char *name)
{
    const struct tz *found = NULL;

    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < nzones && found == NULL; i++)
        if (strcmp(zones[i].name, name) == 0)
            found = zones[i].tz;
    if (found == NULL && nzones < (int)(sizeof(zones) / sizeof(zones[0])) &&
        strlen(name) < sizeof(zones[0].name)) {
        struct tz *z = tz_load(name);
        if (z != NULL) {
            snprintf(zones[nzones].name, sizeof(zones[0].name), "%s", name);
            zones[nzones++].tz = z;
            found = z;
        }
    }
    pthread_mutex_unlock(&cache_mu);
    return found;
}

void
tz_cache_free(void)
{
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < nzones; i++)
        tz_free(zones[i].tz);
    nzones = 0;
    pthread_mutex_unlock(&cache_mu);
}

int32_t
tz_today(const struct tz *z, int64_t now)
{
    int64_t local = now + (z ? tz_offset_at(z, now) : 0);
    return (int32_t)((local - (local < 0 ? 86399 : 0)) / 86400);
}
