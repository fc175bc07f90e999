/*
 * The feed's data in memory (issue 14): every active offer with its schedules,
 * sites, partners, and the exceptions and closures of a window around today,
 * loaded in one consistent read by a background thread (db/model.c) and
 * answered from here without the database (domain/feedmodel.c).
 *
 * The database stays the single source of truth. A model is used only while
 * its generation is the feed generation (db/listen.c: any write, on any daemon,
 * moves it on within a fraction of a second); until the reload that follows a
 * write has finished, and for anything the model cannot answer exactly (a
 * window outside its days, a text it cannot fold as PostgreSQL does), the feed
 * asks the database as before. Both paths give the same bytes (tested).
 */
#ifndef STEK_FEEDMODEL_H
#define STEK_FEEDMODEL_H

#include "stek/db.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The days around the load's today the model holds exceptions and closures for. */
#define FEED_MODEL_DAYS_BEFORE 62
#define FEED_MODEL_DAYS_AFTER 430

/* The forms a site is shown in: its own language (also for "all"), then each of
 * i18n_languages (nl, fr, en, de). */
#define FM_LANGS 5

struct fm_site {
    const char *id, *fold, *postal_code, *timezone, *email, *phone;
    const char *doc; /* the feed's site object as JSON text, before localization (parsed only
                      * when used: a parsed object costs several times its text) */
    bool active, has_location;
    double lat, lon;
    int64_t updated;
    _Atomic(json_t *) shown[FM_LANGS];    /* doc parsed and localized, on first use */
    _Atomic(char *) shown_text[FM_LANGS]; /* and that as the feed writes it (FEED_DUMP_FLAGS) */
    uint32_t first_schedule, schedules;   /* in feed_model.by_site */
    uint32_t first_closure, closures;     /* in feed_model.closures */
};

struct fm_partner {
    const char *id, *name, *email, *phone;
    int64_t updated;
};

struct fm_offer {
    const char *id, *title, *description, *price_note, *registration, *audience, *email, *phone,
        *main_language, *fold;
    json_t *functions, *categories, *translations;
    const char *kind; /* feed_kind's */
    bool free;
    long version;
    int64_t updated;
    uint32_t partner, site;
    uint32_t first_exception, exceptions;
};

struct fm_schedule {
    uint32_t offer, site; /* site: the schedule's own, else its offer's */
    int32_t dtstart, until;
    const char *rrule;
    int start_min, end_min;
};

struct fm_exception {
    uint32_t offer;
    int32_t day, site; /* site: -1 for none (not moved elsewhere) */
    const char *status, *note, *main_language;
    bool has_times;
    int start_min, end_min;
    json_t *translations;
    int64_t changed;
};

struct fm_closure {
    uint32_t site;
    int32_t from, to;
    const char *note, *main_language;
    json_t *translations;
    int64_t changed;
};

struct feed_model {
    atomic_int refs;
    uint64_t generation; /* the feed generation it was read at */
    int32_t first_day, last_day;
    struct fm_site *sites;
    struct fm_partner *partners;
    struct fm_offer *offers;
    struct fm_schedule *schedules; /* in offer id order, then position (as the feed's SQL) */
    struct fm_exception *exceptions;
    struct fm_closure *closures;
    size_t nsites, npartners, noffers, nschedules, nexceptions, nclosures;
    uint32_t *by_site;        /* schedule indexes grouped by site */
    struct fm_site **by_fold; /* the sites in order of their folded municipality */
    uint32_t *moved;          /* exceptions that move an occurrence to a site */
    size_t nmoved;
    json_t *owned;        /* every JSON value the records point to */
    json_t *empty;        /* [] for rows without exceptions or closures */
    json_t *empty_object; /* {} for records without translations */
    void *storage;        /* what the strings live in (db/model.c) */
    void (*free_storage)(void *storage);
};

/* A new, empty model (refs 1). */
struct feed_model *feed_model_new(void);

/* Builds the indexes once the arrays are filled; false on an inconsistent model. */
bool feed_model_index(struct feed_model *m);

/* Drops a reference; the last frees the model. NULL is a no-op. */
void feed_model_release(struct feed_model *m);

/*
 * Fills out with the rows of a feed query, as db_feed_rows would from the
 * database (the same rows in the same order), ready for feed_localize. Sites
 * come already in lang's language (row.site_shown). False when the model
 * cannot answer exactly: out is untouched, ask the database. On success out
 * holds a reference to m (db_feed_clear drops it).
 */
bool feed_model_query(struct feed_model *m, const struct feed_filter *f, int32_t from, int32_t to,
                      const char *lang, struct db_feed *out);

/*
 * PostgreSQL's stek_fold (migration 0002) in C: lower case, and the accented
 * Latin letters of its table without their accent. False when s holds a letter
 * outside ASCII and that table, whose lower case PostgreSQL may know better.
 */
bool feed_fold(const char *s, char *out, size_t outsz);

/* ---- the loader (db/model.c) ---- */

/* Starts the thread that keeps a model current for the feed generation. */
void feed_model_start(const char *url);
void feed_model_stop(void);

/*
 * The current model with a reference, when it holds every write up to generation gen (it was
 * read at gen or later). When the model is behind (a reload follows every change), waits up
 * to wait_ms for the reload. NULL otherwise: ask the database.
 */
struct feed_model *feed_model_acquire(uint64_t gen, int wait_ms);

/* For /metrics: rows held, the duration of the last load, loads (and those from a replica). */
void feed_model_stats(size_t *offers, size_t *schedules, double *load_seconds, uint64_t *loads,
                      uint64_t *replica_loads);

#endif
