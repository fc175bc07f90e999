/*
 * The maintenance job (service/stekd/jobs/maintenance.c): each second the rate limits shared
 * with the other daemons (this daemon's counts out, theirs in), and hourly the retention run
 * (signal notes older than STEK_NOTE_RETENTION_MONTHS, idempotency keys older than 8 days),
 * on a connection of its own. `stekd purge` runs the same retention by hand.
 */
#ifndef STEK_MAINTENANCE_H
#define STEK_MAINTENANCE_H

#include "stek/config.h"
#include "stek/db.h"

#include <stdint.h>

void maintenance_start(const struct stek_config *cfg);
void maintenance_stop(void);

/* Erases what is older than the retention allows as of now (seconds since 1970): 0, or 1 when
 * a statement failed; *notes and *keys say how many. */
int maintenance_retention(struct db_conn *db, int64_t now, unsigned months, long *notes,
                          long *keys);

#endif
