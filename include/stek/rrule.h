/*
 * The recurrence engine (service/stekd/domain/rrule.c).
 * Pure code without I/O.
 *
 * A day is a day number: days since 1970-01-01 in the proleptic Gregorian
 * calendar. Schedules are local: a day number and wall-clock minutes never
 * change with daylight saving; turning them into instants is the timezone's
 * job, done when a feed is rendered.
 *
 * Rules are the RFC 5545 subset of the API contract: FREQ=DAILY|WEEKLY|MONTHLY,
 * INTERVAL, BYDAY (ordinals only with MONTHLY), BYMONTHDAY (MONTHLY),
 * COUNT, UNTIL. Expansion costs time in proportion to the periods of the
 * requested window, not to the age of the rule (COUNT rules, bounded by
 * their count, are counted from the start).
 */
#ifndef STEK_RRULE_H
#define STEK_RRULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stek/date.h"

enum rrule_freq { FREQ_DAILY = 1, FREQ_WEEKLY, FREQ_MONTHLY };

#define RRULE_MAX_COUNT 1000
#define RRULE_MAX_INTERVAL 99

struct rrule_byday {
    int8_t ord; /* 0 = every such weekday; ±1..5 = nth (from the end) in the month */
    uint8_t wd; /* 0 = Monday */
};

struct rrule {
    enum rrule_freq freq;
    int interval;
    int count;     /* 0 = none */
    int32_t until; /* last possible day, DAY_NONE = none */
    struct rrule_byday byday[7 * 11];
    int nbyday;
    int8_t bymonthday[62];
    int nbymonthday;
};

/*
 * Parses a rule. On failure writes a message naming the offending part into
 * err (never echoing more than a short part of the input) and returns false.
 */
bool rrule_parse(const char *text, struct rrule *out, char *err, size_t errlen);

/*
 * Writes the occurrence days of a schedule that fall in [from, to] into out,
 * ascending, at most max. rule NULL means a single occurrence on dtstart.
 * until is the schedule's own end (DAY_NONE for none), applied with the rule's.
 * Returns the number written; *more is set when more than max exist.
 */
int rrule_expand(const struct rrule *rule, int32_t dtstart, int32_t until, int32_t from, int32_t to,
                 int32_t *out, int max, bool *more);

/* Periods (days, weeks, months) this thread's expansions visited: the cost measure of the tests. */
extern _Thread_local unsigned long rrule_periods_visited;

/* True when day is an occurrence of the schedule. */
bool rrule_occurs_on(const struct rrule *rule, int32_t dtstart, int32_t until, int32_t day);

#endif
