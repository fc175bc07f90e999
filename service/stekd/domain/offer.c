#include "stek/offer.h"
#include "stek/date.h"
#include "stek/problems.h"
#include "stek/rrule.h"

#include <stdio.h>
#include <string.h>

const char *const stek_functions[] = {"meeting", "learning", "referral", "advocacy", NULL};
const char *const offer_kinds[] = {"activity", "opening_hours", NULL};

const char *
offer_function_label(const char *function, const char *lang)
{
    static const char *const labels[][5] = {
        /* en, nl, fr, de */
        {"meeting", "meeting", "ontmoeting", "rencontre", "Begegnung"},
        {"learning", "learning", "leren", "apprendre", "Lernen"},
        {"referral", "referral", "doorverwijzing", "orientation", "Vermittlung"},
        {"advocacy", "advocacy", "belangenbehartiging", "plaidoyer", "Interessenvertretung"},
    };
    int col = lang == NULL              ? 1
              : strcmp(lang, "nl") == 0 ? 2
              : strcmp(lang, "fr") == 0 ? 3
              : strcmp(lang, "de") == 0 ? 4
                                        : 1;
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (function != NULL && strcmp(labels[i][0], function) == 0)
            return labels[i][col];
    return NULL;
}

void
schedule_check(const struct schedule_text *s, const char *prefix, json_t *errs)
{
    char field[64], msg[300];
    int start, end;
    int32_t dtstart, until = DAY_NONE;
    struct rrule rule;
    char err[256];

    if (time_parse(s->start_time, &start) && time_parse(s->end_time, &end) && end <= start) {
        snprintf(field, sizeof(field), "%send_time", prefix);
        field_error(errs, field, "must be after start_time");
    }
    if (!date_parse(s->dtstart, &dtstart))
        return;
    if (s->until != NULL && date_parse(s->until, &until) && until < dtstart) {
        snprintf(field, sizeof(field), "%suntil", prefix);
        field_error(errs, field, "must not be before dtstart");
        return;
    }
    if (s->rrule == NULL)
        return;
    if (!rrule_parse(s->rrule, &rule, err, sizeof(err))) {
        snprintf(field, sizeof(field), "%srrule", prefix);
        field_error(errs, field, err);
        return;
    }
    if (!rrule_occurs_on(&rule, dtstart, until, dtstart)) {
        snprintf(field, sizeof(field), "%sdtstart", prefix);
        snprintf(msg, sizeof(msg),
                 "must be the first occurrence of rrule (%s is a %s and does not match it)",
                 s->dtstart,
                 (const char *[]){"Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                  "Saturday", "Sunday"}[weekday_of(dtstart)]);
        field_error(errs, field, msg);
    }
}

bool
offer_occurs_on(const json_t *offer, int32_t day)
{
    size_t i;
    json_t *s;

    json_array_foreach(json_object_get(offer, "schedules"), i, s)
    {
        const char *rule = json_string_value(json_object_get(s, "rrule"));
        const char *until = json_string_value(json_object_get(s, "until"));
        int32_t dtstart, u = DAY_NONE;
        struct rrule parsed;
        char err[256];

        if (!date_parse(json_string_value(json_object_get(s, "dtstart")), &dtstart))
            continue;
        if (until != NULL && !date_parse(until, &u))
            continue;
        if (rule != NULL && !rrule_parse(rule, &parsed, err, sizeof(err)))
            continue;
        if (rrule_occurs_on(rule ? &parsed : NULL, dtstart, u, day))
            return true;
    }
    return false;
}
