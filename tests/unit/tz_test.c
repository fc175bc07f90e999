/* Timezones: hand-picked daylight-saving cases and the zoneinfo oracle. */
#include "check.h"
#include "stek/date.h"
#include "stek/rrule.h"
#include "stek/tz.h"

#include <stdlib.h>
#include <string.h>

static int64_t
at(const struct tz *z, const char *date, const char *hhmm, int32_t *offset)
{
    int32_t day;
    int min;
    date_parse(date, &day);
    time_parse(hhmm, &min);
    return tz_local_to_utc(z, day, min, offset);
}

static int64_t
utc(const char *date, int h, int m)
{
    int32_t day;
    date_parse(date, &day);
    return (int64_t)day * 86400 + h * 3600 + m * 60;
}

static void
test_brussels(void)
{
    struct tz *z = tz_load("Europe/Brussels");
    int32_t off;

    CHECK(z != NULL);
    if (z == NULL)
        return;
    /* 13:00 stays 13:00 in winter and summer; only the offset changes. */
    CHECK(at(z, "2026-12-17", "13:00", &off) == utc("2026-12-17", 12, 0) && off == 3600);
    CHECK(at(z, "2026-07-02", "13:00", &off) == utc("2026-07-02", 11, 0) && off == 7200);
    /* Skipped hour (29 March 2026, 02:00 -> 03:00): 02:30 is read as 03:30 summer time. */
    CHECK(at(z, "2026-03-29", "02:30", &off) == utc("2026-03-29", 1, 30) && off == 7200);
    CHECK(at(z, "2026-03-29", "01:59", &off) == utc("2026-03-29", 0, 59) && off == 3600);
    CHECK(at(z, "2026-03-29", "03:00", &off) == utc("2026-03-29", 1, 0) && off == 7200);
    /* Doubled hour (25 October 2026): 02:30 is the first one, still summer time. */
    CHECK(at(z, "2026-10-25", "02:30", &off) == utc("2026-10-25", 0, 30) && off == 7200);
    CHECK(at(z, "2026-10-25", "03:00", &off) == utc("2026-10-25", 2, 0) && off == 3600);
    /* 1990: summer time ended in September then, not October (from the tz data, not the rule). */
    CHECK(at(z, "1990-10-01", "13:00", &off) == utc("1990-10-01", 12, 0) && off == 3600);
    /* 2070: after the listed transitions, from the POSIX rule of the footer. */
    CHECK(at(z, "2070-07-01", "13:00", &off) == utc("2070-07-01", 11, 0) && off == 7200);
    CHECK(at(z, "2070-03-30", "02:30", &off) == utc("2070-03-30", 1, 30) && off == 7200);
    /* Every quarter hour of 2026-2027 (days far from a change take a shortcut): the offset given
     * is the one in force at the instant given, and outside the skipped hours the instant reads
     * back as the wall clock asked for. */
    int32_t d0, d1, gap1, gap2, bad = 0;
    date_parse("2026-01-01", &d0);
    date_parse("2027-12-31", &d1);
    date_parse("2026-03-29", &gap1);
    date_parse("2027-03-28", &gap2);
    for (int32_t d = d0; d <= d1; d++)
        for (int m = 0; m < 1440; m += 15) {
            int64_t u = tz_local_to_utc(z, d, m, &off);
            bool skipped = (d == gap1 || d == gap2) && m >= 120 && m < 180;
            if (tz_offset_at(z, u) != off || (!skipped && u + off != (int64_t)d * 86400 + m * 60))
                bad++;
        }
    CHECK(bad == 0);
    tz_free(z);
    CHECK(tz_load("Mars/Olympus") == NULL);
    CHECK(tz_load("../../etc/passwd") == NULL);
    CHECK(tz_load("/etc/localtime") == NULL);
    CHECK(tz_parse((const unsigned char *)"TZif2 not really", 16) == NULL);
}

static void
test_oracle(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256], zone[80] = "";
    struct tz *z = NULL;
    int vectors = 0, bad = 0;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *fields[5], *p = line;
        line[strcspn(line, "\n")] = '\0';
        for (int i = 0; i < 5; i++) {
            fields[i] = p;
            p = strchr(p, '|');
            if (p == NULL && i < 4)
                break;
            if (p)
                *p++ = '\0';
        }
        if (strcmp(zone, fields[0]) != 0) {
            tz_free(z);
            z = tz_load(fields[0]);
            snprintf(zone, sizeof(zone), "%s", fields[0]);
        }
        int32_t off = 0;
        int64_t u = z ? at(z, fields[1], fields[2], &off) : 0;
        if (z == NULL || u != strtoll(fields[3], NULL, 10) || off != atoi(fields[4])) {
            if (bad < 10)
                printf("tz mismatch: %s %s %s: got %lld %+d, expected %s %s\n", fields[0],
                       fields[1], fields[2], (long long)u, off, fields[3], fields[4]);
            bad++;
        }
        vectors++;
    }
    tz_free(z);
    fclose(f);
    printf("tz oracle: %d vectors, %d mismatches\n", vectors, bad);
    CHECK(vectors >= 1000);
    CHECK(bad == 0);
}

void
test_tz(const char *vectors)
{
    test_brussels();
    if (vectors != NULL)
        test_oracle(vectors);
}
