/* The calendar job: see calendarjob.h. */
#include "stek/calendarjob.h"
#include "stek/calendars.h"
#include "stek/job.h"
#include "stek/log.h"
#include "stek/metrics.h"

#include <stdio.h>
#include <stdlib.h>

static void calendar_run(struct job *j);

static struct {
    struct job job;
    const struct stek_config *cfg;
} CJ = {.job = JOB_INIT("calendars", calendar_run, NULL)};

static void
calendar_run(struct job *j)
{
    const struct stek_config *cfg = CJ.cfg;
    struct db_conn *db =
        db_conn_new(cfg->database_url, "stekd-calendars", (int)cfg->statement_timeout_ms * 10);
    int period = (int)cfg->calendar_sync_minutes * 60;

    for (unsigned tick = 0; !job_stopping(j); tick++) {
        char id[40];
        /* Every calendar that is due, one after the other, then a pause. */
        while (!job_stopping(j) && db_conn_ensure(db) && db_claim_calendar(db, period, id) > 0) {
            struct db_doc run = {0};
            if (calendar_sync(db, id, NULL, &run) < 0)
                log_event("warn", "a calendar could not be synchronised", "calendar", id, NULL);
            db_doc_clear(&run);
        }
        if (tick % 12 == 0 && db_conn_ensure(db)) {
            if (db_announce_failing_calendars(db) < 0)
                log_event("warn", "could not announce failing calendars", NULL);
            long failing = db_count_failing_calendars(db);
            if (failing >= 0)
                metric_calendars_failing(failing);
        }
        job_sleep(j, 5000);
    }
    db_conn_free(db);
}

void
calendar_job_start(const struct stek_config *cfg)
{
    CJ.cfg = cfg;
    job_start(&CJ.job);
}

void
calendar_job_stop(void)
{
    job_stop(&CJ.job);
}
