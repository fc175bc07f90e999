/* The service's own "today" (service/stekd/domain/clock.c), in STEK_TIMEZONE. */
#ifndef STEK_CLOCK_H
#define STEK_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Today's date (day number) in the service's timezone, which the service's defaults use. */
int32_t service_today(void);

/* The service's timezone (IANA name; kept, not copied): STEK_TIMEZONE, set by config_use.
 * Until then Europe/Brussels. The domain reads no configuration itself. */
void service_set_timezone(const char *tz);

/* The CLOCK_REALTIME instant ms milliseconds from now: a deadline for pthread_cond_timedwait. */
static inline struct timespec
deadline_after_ms(int ms)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

#endif
