/* The service's own "today" (service/stekd/domain/clock.c), in STEK_TIMEZONE. */
#ifndef STEK_CLOCK_H
#define STEK_CLOCK_H

#include <stdint.h>

/* Today's date (day number) in the configured timezone, which the service's defaults use. */
int32_t service_today(void);

#endif
