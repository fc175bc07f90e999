/*
 * The calendar job (service/stekd/jobs/calendar.c): every few seconds it takes the next
 * partner's calendar that is due (one daemon per calendar at a time: taking it moves its next
 * sync STEK_CALENDAR_SYNC_MINUTES on) and synchronises it (calendars.h); each minute it
 * announces calendars failing for three days (calendar.failing) and counts them for /metrics.
 */
#ifndef STEK_CALENDARJOB_H
#define STEK_CALENDARJOB_H

#include "stek/config.h"

void calendar_job_start(const struct stek_config *cfg);
void calendar_job_stop(void);

#endif
