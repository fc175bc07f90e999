/* libFuzzer: the recurrence-rule parser and the expansion of whatever it accepts. */
#include "stek/rrule.h"
#include "stek/date.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1200], err[256];
    struct rrule r;
    int32_t days[64];
    bool more;

    if (size < 4 || size >= sizeof(text))
        return 0;
    /* The first four bytes choose dtstart and the window; the rest is the rule. */
    int32_t dtstart = days_from_civil(2000, 1, 1) + (data[0] | data[1] << 8) % 20000;
    int32_t from = dtstart - 400 + (data[2] | data[3] << 8) % 20000;
    memcpy(text, data + 4, size - 4);
    text[size - 4] = '\0';
    if (!rrule_parse(text, &r, err, sizeof(err)))
        return 0;
    int n = rrule_expand(&r, dtstart, DAY_NONE, from, from + 366, days, 64, &more);
    for (int i = 1; i < n; i++)
        if (days[i] <= days[i - 1])
            abort(); /* occurrences must be strictly ascending */
    if (n > 0 && !rrule_occurs_on(&r, dtstart, DAY_NONE, days[0]))
        abort();
    return 0;
}
