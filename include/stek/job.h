/*
 * Background jobs (service/stekd/job.c): the one way a long-lived thread is started, sleeps
 * and is stopped. A job's loop runs while !job_stopping(j) and waits with job_sleep, which
 * returns at once when the job is asked to stop; job_stop asks, wakes (the job's wake
 * function too, for a thread that waits on something else: a socket, a condition) and joins.
 * The daemon starts its jobs from one table and stops them in reverse order (main.c).
 */
#ifndef STEK_JOB_H
#define STEK_JOB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct job {
    const char *name;           /* for the log */
    void (*run)(struct job *j); /* the thread's body */
    void (*wake)(void);         /* NULL, or what else to wake on stop */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_bool stopping;
    bool running;
};

/* A job in a static: JOB_INIT("listener", listener_run, listener_wake). */
#define JOB_INIT(n, r, w)                                                                          \
    {                                                                                              \
        .name = (n), .run = (r), .wake = (w), .mu = PTHREAD_MUTEX_INITIALIZER,                     \
        .cv = PTHREAD_COND_INITIALIZER                                                             \
    }

/* Starts the job's thread (a running job is left alone); false when it could not start. */
bool job_start(struct job *j);

/* True once the job was asked to stop. */
bool job_stopping(struct job *j);

/* In the job's thread: waits ms milliseconds, or until stop is asked; false when stopping. */
bool job_sleep(struct job *j, int ms);

/* Asks the job to stop, wakes it, and waits for its thread to end. A job not running: no-op. */
void job_stop(struct job *j);

#endif
