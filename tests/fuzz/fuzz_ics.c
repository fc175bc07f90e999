/* libFuzzer: partners' calendars (icsimport.h) read whatever arrives, libical beneath: every
 * event it takes has schedules within the day and exceptions in order, and nothing leaks. */
#include "stek/icsimport.h"
#include "stek/date.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ics_calendar c;
    char err[200];
    char *text;

    if (size > 200000 || (text = malloc(size + 1)) == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (ics_read(text, "Europe/Brussels", days_from_civil(2026, 12, 7), &c, err, sizeof(err))) {
        for (size_t i = 0; i < c.n; i++) {
            const struct ics_event *e = &c.events[i];
            if (e->nschedules < 1 || e->nschedules > ICS_MAX_SCHEDULES || e->title == NULL)
                abort();
            for (int k = 0; k < e->nschedules; k++)
                if (e->schedules[k].start_min < 0 || e->schedules[k].end_min > 24 * 60 - 1 ||
                    e->schedules[k].end_min <= e->schedules[k].start_min)
                    abort();
            for (int k = 1; k < e->nexceptions; k++)
                if (e->exceptions[k].day <= e->exceptions[k - 1].day)
                    abort();
        }
        ics_calendar_clear(&c);
    }
    free(text);
    return 0;
}
