/* The recurrence engine: hand-picked cases and the python-dateutil oracle vectors. */
#include "check.h"
#include "stek/date.h"
#include "stek/rrule.h"

#include <stdlib.h>
#include <string.h>

static int32_t
D(const char *iso)
{
    int32_t d = 0;
    if (!date_parse(iso, &d))
        printf("bad date in test: %s\n", iso);
    return d;
}

/* Expands text from dtstart over [from, to] and compares with the expected ISO dates. */
static bool
expands_to(const char *text, const char *dtstart, const char *from, const char *to,
           const char *expect)
{
    struct rrule r;
    char err[256], got[4096] = "";
    int32_t days[512];
    bool more;

    if (text != NULL && !rrule_parse(text, &r, err, sizeof(err))) {
        printf("%s: %s\n", text, err);
        return false;
    }
    int n = rrule_expand(text ? &r : NULL, D(dtstart), DAY_NONE, D(from), D(to), days, 512, &more);
    for (int i = 0; i < n; i++) {
        char iso[11];
        date_format(days[i], iso);
        strcat(got, i ? "," : "");
        strcat(got, iso);
    }
    if (strcmp(got, expect) != 0) {
        printf("%s from %s in [%s, %s]:\n  got    %s\n  expect %s\n", text ? text : "-", dtstart,
               from, to, got, expect);
        return false;
    }
    return true;
}

static bool
refused(const char *text, const char *words)
{
    struct rrule r;
    char err[256];
    bool ok = !rrule_parse(text, &r, err, sizeof(err)) && strstr(err, words) != NULL;
    if (!ok)
        printf("%s: expected an error with '%s', got '%s'\n", text, words, err);
    return ok;
}

static void
test_dates(void)
{
    int32_t d;
    char iso[11];
    int min;

    CHECK(date_parse("1970-01-01", &d) && d == 0 && weekday_of(d) == 3);
    CHECK(date_parse("2023-02-09", &d) && weekday_of(d) == 3); /* a Thursday */
    date_format(D("2024-02-29"), iso);
    CHECK(strcmp(iso, "2024-02-29") == 0);
    CHECK(!date_parse("2023-02-29", &d));
    CHECK(!date_parse("2023-2-9", &d));
    CHECK(!date_parse("2023-02-09T10:00", &d));
    CHECK(time_parse("13:00", &min) && min == 780);
    CHECK(!time_parse("24:00", &min) && !time_parse("9:00", &min) && !time_parse("13:60", &min));

    int64_t t;
    CHECK(timestamp_parse("1970-01-01T00:00:00Z", &t) && t == 0);
    CHECK(timestamp_parse("2027-03-01T01:30:00+01:00", &t) && t == 1803861000);
    CHECK(timestamp_parse("2027-03-01T00:30:00.999-00:00", &t) && t == 1803861000);
    CHECK(timestamp_parse("2027-03-01t00:30:00z", &t) && t == 1803861000);
    CHECK(!timestamp_parse("2027-03-01T00:30:00", &t));      /* no zone */
    CHECK(!timestamp_parse("2027-02-29T00:00:00Z", &t));     /* no such day */
    CHECK(!timestamp_parse("2027-03-01T24:00:00Z", &t));     /* no such hour */
    CHECK(!timestamp_parse("2027-03-01T00:00:00+1:00", &t)); /* an offset is +HH:MM */
    CHECK(!timestamp_parse("2027-03-01T00:00:00Zjunk", &t));
    CHECK(!timestamp_parse("2027-03-01", &t));
}

static void
test_domain_examples(void)
{
    /* Koffie & Formulieren: Mondays until 9 February 2023, then Thursdays. */
    CHECK(expands_to("FREQ=WEEKLY;BYDAY=MO;UNTIL=20230208", "2022-09-05", "2023-01-23",
                     "2023-02-20", "2023-01-23,2023-01-30,2023-02-06"));
    CHECK(expands_to("FREQ=WEEKLY;BYDAY=TH", "2023-02-09", "2023-01-23", "2023-02-20",
                     "2023-02-09,2023-02-16"));
    /* Fietsbieb: every 3rd Wednesday. */
    CHECK(expands_to("FREQ=MONTHLY;BYDAY=3WE", "2023-09-20", "2023-09-01", "2023-12-31",
                     "2023-09-20,2023-10-18,2023-11-15,2023-12-20"));
    /* Plain and ordinal weekdays together are a union (RFC 5545). */
    CHECK(expands_to("FREQ=MONTHLY;BYDAY=MO,3WE", "2024-01-01", "2024-01-01", "2024-01-31",
                     "2024-01-01,2024-01-08,2024-01-15,2024-01-17,2024-01-22,2024-01-29"));
    /* Last Friday, fortnightly, 31st (months without one are skipped, not shifted). */
    CHECK(expands_to("FREQ=MONTHLY;BYDAY=-1FR", "2024-01-26", "2024-01-01", "2024-03-31",
                     "2024-01-26,2024-02-23,2024-03-29"));
    CHECK(expands_to("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "2024-01-02", "2024-01-01", "2024-02-05",
                     "2024-01-02,2024-01-16,2024-01-30"));
    CHECK(expands_to("FREQ=MONTHLY;BYMONTHDAY=31", "2024-01-31", "2024-01-01", "2024-06-30",
                     "2024-01-31,2024-03-31,2024-05-31"));
    CHECK(expands_to("FREQ=MONTHLY;BYMONTHDAY=-1", "2024-01-31", "2024-01-01", "2024-03-31",
                     "2024-01-31,2024-02-29,2024-03-31"));
    CHECK(expands_to("FREQ=DAILY;COUNT=3", "2024-03-30", "2024-03-01", "2024-04-30",
                     "2024-03-30,2024-03-31,2024-04-01"));
    CHECK(expands_to(NULL, "2024-04-01", "2024-03-01", "2024-04-30", "2024-04-01"));
    CHECK(expands_to(NULL, "2024-05-01", "2024-03-01", "2024-04-30", ""));
    /* A weekly rule from 1990 asked for one week of 2026 does no work for the decades between. */
    rrule_periods_visited = 0;
    CHECK(expands_to("FREQ=WEEKLY;BYDAY=MO,TH", "1990-01-01", "2026-11-23", "2026-11-29",
                     "2026-11-23,2026-11-26"));
    CHECK(rrule_periods_visited <= 2);
    rrule_periods_visited = 0;
    CHECK(expands_to("FREQ=DAILY;INTERVAL=3", "1990-01-01", "2026-11-23", "2026-11-29",
                     "2026-11-24,2026-11-27"));
    CHECK(rrule_periods_visited <= 4);
    rrule_periods_visited = 0;
    CHECK(expands_to("FREQ=MONTHLY;BYDAY=3WE", "1990-01-17", "2026-11-01", "2026-12-31",
                     "2026-11-18,2026-12-16"));
    CHECK(rrule_periods_visited <= 3);
}

static void
test_refusals(void)
{
    CHECK(refused("FREQ=YEARLY", "FREQ must be"));
    CHECK(refused("FREQ=WEEKLY;BYSETPOS=1", "BYSETPOS is not supported"));
    CHECK(refused("FREQ=WEEKLY;BYDAY=3WE", "ordinals"));
    CHECK(refused("FREQ=WEEKLY;COUNT=3;UNTIL=20240101", "COUNT and UNTIL"));
    CHECK(refused("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"));
    CHECK(refused("FREQ=WEEKLY;INTERVAL=100", "INTERVAL"));
    CHECK(refused("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"));
    CHECK(refused("FREQ=MONTHLY;BYDAY=6WE", "BYDAY"));
    CHECK(refused("FREQ=DAILY;BYDAY=MO", "BYDAY needs"));
    CHECK(refused("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY needs"));
    CHECK(refused("INTERVAL=2", "FREQ is required"));
    CHECK(refused("FREQ=WEEKLY;FREQ=DAILY", "twice"));
    CHECK(refused("FREQ=WEEKLY;UNTIL=20230230", "UNTIL"));
    CHECK(refused("FREQ=WEEKLY;COUNT=1001", "COUNT"));
    CHECK(refused("", "empty"));
    /* Every problem at once. */
    CHECK(refused("FREQ=HOURLY;BYHOUR=1;COUNT=0", "FREQ must be") &&
          refused("FREQ=HOURLY;BYHOUR=1;COUNT=0", "BYHOUR") &&
          refused("FREQ=HOURLY;BYHOUR=1;COUNT=0", "COUNT must"));
}

/* Compares with python-dateutil's answers (tests/unit/gen_rrule_vectors.py). */
static void
test_oracle(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int vectors = 0, bad = 0;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *fields[6];
        char *save = NULL, *p = line;
        line[strcspn(line, "\n")] = '\0';
        for (int i = 0; i < 6; i++) {
            char *bar = strchr(p, '|');
            fields[i] = p;
            if (bar) {
                *bar = '\0';
                p = bar + 1;
            } else {
                p += strlen(p);
            }
        }
        struct rrule r;
        char err[256];
        bool is_rule = strcmp(fields[0], "-") != 0;
        if (is_rule && !rrule_parse(fields[0], &r, err, sizeof(err))) {
            printf("oracle: %s refused: %s\n", fields[0], err);
            bad++;
            continue;
        }
        int32_t until = strcmp(fields[2], "-") ? D(fields[2]) : DAY_NONE;
        int32_t days[2048];
        bool more;
        int n = rrule_expand(is_rule ? &r : NULL, D(fields[1]), until, D(fields[3]), D(fields[4]),
                             days, 2048, &more);
        int i = 0;
        bool same = true;
        for (char *e = strtok_r(fields[5], ",", &save); e; e = strtok_r(NULL, ",", &save), i++)
            same = same && i < n && days[i] == D(e);
        same = same && i == n;
        /* The first occurrence is dtstart itself: the API refuses any other dtstart. */
        same = same && (!is_rule || rrule_occurs_on(&r, D(fields[1]), DAY_NONE, D(fields[1])));
        if (!same) {
            printf("oracle mismatch: %s dtstart %s until %s window %s..%s\n", fields[0], fields[1],
                   fields[2], fields[3], fields[4]);
            bad++;
        }
        vectors++;
    }
    fclose(f);
    printf("rrule oracle: %d vectors, %d mismatches\n", vectors, bad);
    CHECK(vectors >= 200);
    CHECK(bad == 0);
}

void
test_rrule(const char *vectors)
{
    test_dates();
    test_domain_examples();
    test_refusals();
    test_oracle(vectors);
}
