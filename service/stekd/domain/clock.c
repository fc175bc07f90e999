#include "stek/clock.h"
#include "stek/tz.h"

#include <stdatomic.h>
#include <time.h>

/* Set once at start (config_use), read by every thread; a static string. */
static _Atomic(const char *) service_timezone = "Europe/Brussels";

void
service_set_timezone(const char *tz)
{
    atomic_store(&service_timezone, tz);
}

int32_t
service_today(void)
{
    return tz_today(tz_cached(atomic_load(&service_timezone)), (int64_t)time(NULL));
}
