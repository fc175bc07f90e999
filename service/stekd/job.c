/* Background jobs: see job.h. */
#include "stek/job.h"
#include "stek/clock.h"
#include "stek/log.h"

static void *
job_main(void *arg)
{
    struct job *j = arg;
    j->run(j);
    return NULL;
}

bool
job_start(struct job *j)
{
    if (j->running)
        return true;
    atomic_store(&j->stopping, false);
    j->running = pthread_create(&j->thread, NULL, job_main, j) == 0;
    if (!j->running)
        log_event("error", "a background job could not start", "job", j->name, NULL);
    return j->running;
}

bool
job_stopping(struct job *j)
{
    return atomic_load(&j->stopping);
}

bool
job_sleep(struct job *j, int ms)
{
    struct timespec until = deadline_after_ms(ms);

    pthread_mutex_lock(&j->mu);
    while (!atomic_load(&j->stopping) && pthread_cond_timedwait(&j->cv, &j->mu, &until) == 0)
        ;
    pthread_mutex_unlock(&j->mu);
    return !atomic_load(&j->stopping);
}

void
job_stop(struct job *j)
{
    if (!j->running)
        return;
    pthread_mutex_lock(&j->mu);
    atomic_store(&j->stopping, true);
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (j->wake != NULL)
        j->wake();
    pthread_join(j->thread, NULL);
    j->running = false;
}
