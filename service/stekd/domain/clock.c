#include "stek/clock.h"
#include "stek/config.h"
#include "stek/tz.h"

#include <time.h>

int32_t
service_today(void)
{
    return tz_today(tz_cached(stek_config()->timezone), (int64_t)time(NULL));
}
