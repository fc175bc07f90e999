/* The maintenance job: see maintenance.h. */
#include "stek/maintenance.h"
#include "stek/date.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/ids.h"
#include "stek/job.h"
#include "stek/log.h"
#include "stek/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void maintenance_run(struct job *j);

static struct {
    struct job job;
    const struct stek_config *cfg;
} MT = {.job = JOB_INIT("maintenance", maintenance_run, NULL)};

int
maintenance_retention(struct db_conn *db, int64_t now, unsigned months, long *notes, long *keys)
{
    char cut_notes[40], cut_keys[40], day[11];
    int32_t today = (int32_t)(now / 86400);

    date_format(date_months_before(today, months), day);
    snprintf(cut_notes, sizeof(cut_notes), "%sT00:00:00Z", day);
    date_format(today - 8, day);
    snprintf(cut_keys, sizeof(cut_keys), "%sT00:00:00Z", day);
    *notes = db_erase_old_notes(db, cut_notes);
    *keys = db_delete_old_idempotency_keys(db, cut_keys);
    return *notes < 0 || *keys < 0 ? 1 : 0;
}

static void
maintenance_run(struct job *j)
{
    const struct stek_config *cfg = MT.cfg;
    struct db_conn *db =
        db_conn_new(cfg->database_url, "stekd-maintenance", (int)cfg->statement_timeout_ms * 10);
    char daemon[37];
    if (!uuid_new(daemon))
        abort();
    struct db_rate_count *counts = calloc(RATELIMIT_SLOTS, sizeof(*counts));
    char(*rate_keys)[48] = calloc(RATELIMIT_SLOTS, sizeof(*rate_keys));
    if (counts == NULL || rate_keys == NULL)
        abort();
    for (unsigned tick = 0; !job_stopping(j); tick++) {
        /* Each second: this daemon's rate-limit counts out, the other daemons' in. */
        long long minute = ratelimit_minute();
        size_t mine = ratelimit_counts(minute, counts, rate_keys, RATELIMIT_SLOTS);
        if (db_conn_ensure(db))
            db_rate_sync(db, daemon, minute, counts, mine, ratelimit_others, &minute);
        if (tick % 3600 == 5 && db_conn_ensure(db)) {
            long notes, keys;
            if (maintenance_retention(db, (int64_t)time(NULL), cfg->note_retention_months, &notes,
                                      &keys) == 0 &&
                notes + keys > 0) {
                char n[96];
                snprintf(n, sizeof(n), "%ld notes, %ld idempotency keys", notes, keys);
                log_event("info", "retention", "erased", n, NULL);
            }
        }
        /* Partners' keys that end within 14 days: key.expiring to their webhooks, once. */
        if (tick % 3600 == 7 && db_conn_ensure(db) && db_announce_expiring_keys(db) < 0)
            log_event("warn", "could not announce expiring keys", NULL);
        /* Offers that turn stale within 14 days: offer.confirmation_due to their partner, once
         * per confirmation. */
        if (tick % 3600 == 9 && db_conn_ensure(db) &&
            db_remind_confirmations(db, offer_stale_before(service_today() + 14), cfg->confirm_days,
                                    cfg->stale_grace_days) < 0)
            log_event("warn", "could not remind of offers to confirm", NULL);
        job_sleep(j, 1000);
    }
    db_conn_free(db);
    free(counts);
    free(rate_keys);
}

void
maintenance_start(const struct stek_config *cfg)
{
    MT.cfg = cfg;
    job_start(&MT.job);
}

void
maintenance_stop(void)
{
    job_stop(&MT.job);
}
