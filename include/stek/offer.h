/*
 * The rules of offers (service/stekd/domain/offer.c): the four functions of
 * a STEK, the checks of a schedule beyond its shape, and whether a day is an
 * occurrence of an offer. Pure: no database, no HTTP.
 */
#ifndef STEK_OFFER_H
#define STEK_OFFER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A yes-or-no fact an offer may leave unsaid (is it free?). Unknown is shown as
 * nothing: never as the answer a default would give.
 */
enum offer_fact { FACT_UNKNOWN = 0, FACT_NO, FACT_YES };

/* A boolean column's text ("t", "f") or NULL as a fact. */
static inline enum offer_fact
offer_fact_of(const char *pg_bool)
{
    return pg_bool == NULL ? FACT_UNKNOWN : pg_bool[0] == 't' ? FACT_YES : FACT_NO;
}

/* The API's four functions of a STEK: meeting, learning, referral, advocacy (NULL-ended). */
extern const char *const stek_functions[];

/* An offer's kinds: activity (each occurrence an event) and opening_hours (NULL-ended). */
extern const char *const offer_kinds[];

/* A function's name for readers in lang (nl, fr, en, de; others: English); NULL if unknown. */
const char *offer_function_label(const char *function, const char *lang);

/* One schedule as sent (strings already checked for their shape; until and rrule may be NULL). */
struct schedule_text {
    const char *dtstart, *until, *rrule, *start_time, *end_time;
};

/*
 * Checks a schedule beyond its shape: end after start, until not before
 * dtstart, the rule, and dtstart being the rule's first occurrence. Appends
 * {field, message} to errs, the field prefixed with prefix ("schedules[0].").
 */
void schedule_check(const struct schedule_text *s, const char *prefix, json_t *errs);

/* True when day is an occurrence of one of an offer document's schedules. */
bool offer_occurs_on(const json_t *offer, int32_t day);

#endif
