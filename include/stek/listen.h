/* The change listener (service/stekd/db/listen.c). */
#ifndef STEK_LISTEN_H
#define STEK_LISTEN_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The feed listener: one thread with its own connection that LISTENs on
 * stek_feed and counts changes. Every notification, and every reconnect
 * (notifications are lost while disconnected), moves the generation on, so
 * cached feeds of older generations are dropped.
 */
void feed_listener_start(const char *url);
void feed_listener_stop(void);
uint64_t feed_generation(void);

/*
 * A write of this daemon committed: its cached feeds are dropped at once (before the answer
 * goes out), so its own client never reads a feed older than its write; the other daemons
 * follow through NOTIFY stek_feed within a second.
 */
void feed_changed_here(void);

/*
 * With read replicas: the primary's WAL position when the feed's generation last moved on (a
 * replica must have replayed it before it answers for the feed), and a write of this daemon
 * that reached lsn (raises it, then moves the generation on). 0 without replicas.
 */
uint64_t feed_generation_lsn(void);
void feed_changed_at(uint64_t lsn);
/*
 * Waits until the feed generation is no longer seen, at most timeout_ms, or until
 * feed_generation_wake; returns the generation then. For the model's loader, which applies
 * each change as it comes.
 */
uint64_t feed_generation_wait(uint64_t seen, int timeout_ms);
void feed_generation_wake(void);
/*
 * Where changes happened, for caches of answers that depend on one municipality only (issue
 * 29: a write in one place no longer drops the cached answers of every place). The model's
 * loader, which learns what each change touched, marks the municipalities (by stek_fold)
 * whose data changed, or all of them (a site or partner changed, a full load), with the feed
 * generation of the version that holds the change, before it publishes that version.
 * feed_scope_generation is the latest mark of a municipality's data: an answer for that
 * municipality cached at that mark stays right while the mark is unchanged and the model has
 * caught up with the feed generation (feed_model_caught_up). Municipalities share marks in a
 * fixed table (a collision only costs a recomputed answer).
 */
uint64_t feed_scope_generation(const char *fold);
void feed_scope_changed(const char *fold, uint64_t gen);
void feed_scope_all_changed(uint64_t gen);
/* True while the listener's connection is up (the database is reachable). */
bool feed_listener_connected(void);

#endif
