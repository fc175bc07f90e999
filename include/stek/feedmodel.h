/*
 * The feed's data in memory (issues 14 and 29): every active offer with its
 * schedules and the exceptions of a window around today, every site with its
 * closures in that window, every partner; answered from here without the
 * database (domain/feedmodel.c), kept current by db/model.c.
 *
 * The model is a chain of versions. A version is a set of tables of pointers
 * (by slot) to records that never change once published: a change makes a new
 * version that copies the tables of pointers, puts new records in the slots
 * that changed and shares every other record with the version before it. A
 * reader keeps the version it acquired for the whole query.
 *
 * Who frees what: a version holds a reference to the version made from it
 * (next), so a version outlives every older one. The records a new version
 * replaced are listed in the old version (retired) and freed with it: by then
 * every version that could see them is gone. The newest version of a chain
 * frees every record it holds. A full load starts a new chain.
 *
 * The database stays the single source of truth. A version is used only while
 * its generation is the feed generation (db/listen.c); for anything the model
 * cannot answer exactly (a window outside its days, a text it cannot fold as
 * PostgreSQL does) the feed asks the database. Both paths give the same bytes
 * (tested, also after long random sequences of changes).
 */
#ifndef STEK_FEEDMODEL_H
#define STEK_FEEDMODEL_H

#include "stek/feed.h"

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

/* "No slot": a moved exception's site when it is not moved, an absent record. */
#define FM_NONE UINT32_MAX

struct fm_closure {
    int32_t from, to;
    const char *note, *main_language;
    json_t *translations;
    int64_t changed;
};

/* A site and its closures in the window. Strings live in the record's own allocation. */
struct fm_site {
    const char *id, *fold, *postal_code, *timezone, *email, *phone;
    const char *doc; /* the feed's site object as JSON text, before localization (parsed only
                      * when used: a parsed object costs several times its text) */
    bool active, has_location;
    double lat, lon;
    int64_t updated;
    _Atomic(json_t *) shown[FM_LANGS];    /* doc parsed and localized, on first use */
    _Atomic(char *) shown_text[FM_LANGS]; /* and that as the feed writes it (FEED_DUMP_FLAGS) */
    struct fm_closure *closures;          /* in the window, by start */
    uint32_t nclosures;
};

struct fm_partner {
    const char *id, *name, *email, *phone;
    int64_t updated;
};

struct fm_schedule {
    uint32_t site; /* slot: the schedule's own site, else its offer's */
    int32_t dtstart, until;
    const char *rrule;
    int start_min, end_min;
};

struct fm_exception {
    int32_t day;
    uint32_t site; /* slot of the site it moves to; FM_NONE when not moved elsewhere */
    const char *status, *note, *main_language;
    bool has_times;
    int start_min, end_min;
    json_t *translations;
    int64_t changed;
};

/* An active offer with its schedules (in position order) and its exceptions in the window (by
 * date): the unit a change replaces. */
struct fm_offer {
    const char *id, *title, *description, *price_note, *registration, *audience, *email, *phone,
        *main_language;
    uint64_t *terms; /* its search terms' hashes, sorted (search.h; owned) */
    uint32_t nterms;
    json_t *functions, *categories, *translations;
    const char *kind; /* feed_kind's */
    enum offer_fact free;
    long version;
    int64_t updated;
    int64_t confirmed;      /* seconds since 1970: when it was last confirmed */
    uint32_t partner, site; /* slots */
    struct fm_schedule *schedules;
    struct fm_exception *exceptions;
    uint32_t nschedules, nexceptions;
    bool moves; /* an exception moves an occurrence to a site */
};

/* A sorted list of slots, shared between versions until it changes. */
struct fm_list {
    uint32_t n;
    uint32_t slot[];
};

/* What a version no longer holds of the version before it. */
struct fm_retired {
    void **items;
    unsigned char *kinds;
    size_t n, cap;
};

struct feed_model {
    atomic_int refs;
    uint64_t generation; /* the feed generation it holds every write of */
    uint64_t change_seq; /* the last change log entry it holds (db/model.c) */
    int32_t first_day, last_day;
    struct fm_site **sites;            /* by slot; NULL: an empty slot */
    struct fm_partner **partners;      /* by slot */
    struct fm_offer **offers;          /* by slot; NULL: an empty slot */
    size_t nsites, npartners, noffers; /* slots */
    struct fm_list **by_site; /* per site slot: the offers with a schedule there (NULL: none) */
    struct fm_list *moved;    /* the offers with an occurrence moved to a site */
    struct fm_list *by_fold;  /* the site slots in order of their folded municipality */
    size_t cap_sites, cap_partners, cap_offers;
    /* Slots below this hold offers in id order (a full load sorts them; such a slot is never
     * given to another offer): candidates there are ordered by slot, the rest by id. */
    uint32_t ordered_offers;
    bool indexed; /* by_site, moved and by_fold are built (puts keep them current) */
    size_t active_offers, active_schedules;
    json_t *empty;           /* [] for rows without exceptions or closures */
    struct feed_model *next; /* the version made from this one (a reference), or NULL */
    /* While this version is built: the records and lists it replaced of the version it was
     * derived from. feed_model_link hands them to that version, which frees them when it goes. */
    struct fm_retired retired;
};

/* The version's offers (all active) last confirmed before `before` (seconds since 1970). */
size_t feed_model_confirmed_before(const struct feed_model *m, int64_t before);

/* ---- building versions (pure: domain/feedmodel.c) ---- */

/* A new, empty version: the first of a chain (refs 1). */
struct feed_model *feed_model_new(int32_t first_day, int32_t last_day);

/* A new version that shares every record of old (refs 1); old is left as it is. Publish it
 * with feed_model_link, or drop it with feed_model_discard. */
struct feed_model *feed_model_derive(const struct feed_model *old);

/*
 * Puts a record into a slot of a version being built (slot == n: a new slot at the end), or
 * clears it (NULL). The version takes the record; the record it replaces is freed at once
 * when it was made for this version, else retired into from (the version it was derived
 * from; NULL for the first of a chain). Indexes are kept current for offers; call
 * feed_model_sites_changed after site changes.
 */
void feed_model_put_site(struct feed_model *m, struct feed_model *from, uint32_t slot,
                         struct fm_site *s);
void feed_model_put_partner(struct feed_model *m, struct feed_model *from, uint32_t slot,
                            struct fm_partner *p);
void feed_model_put_offer(struct feed_model *m, struct feed_model *from, uint32_t slot,
                          struct fm_offer *o);
void feed_model_sites_changed(struct feed_model *m, struct feed_model *from);

/* Puts the offers of a first version (slots 0..noffers, none empty) in id order and makes
 * those slots ordered_offers. Before feed_model_index. */
void feed_model_sort_offers(struct feed_model *m);

/* Builds the indexes of a first version after its records were put; false when they do not
 * fit together (a slot out of range). */
bool feed_model_index(struct feed_model *m);

/* Makes m, derived from old, its successor: old now keeps m alive and frees what m replaced
 * when it goes. */
void feed_model_link(struct feed_model *old, struct feed_model *m);

/* Frees a version derived from `from` that was never linked, with the records made for it
 * (what it replaced stays with from). */
void feed_model_discard(struct feed_model *m, const struct feed_model *from);

/* Drops a reference; the last frees the version (see above). NULL is a no-op. */
void feed_model_release(struct feed_model *m);

/* Frees one record made for the model (and not put into a version). NULL is a no-op. */
void fm_site_free(struct fm_site *s);
void fm_partner_free(struct fm_partner *p);
void fm_offer_free(struct fm_offer *o);

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

/* ---- ids to slots (the loader's, not shared with readers) ---- */

struct fm_ids {
    struct fm_id_entry {
        const char *id; /* borrowed from the record in the slot */
        uint32_t slot;
    } * table;
    size_t size, n;
    uint32_t *free_slots; /* slots emptied, to be used again */
    size_t nfree, free_cap;
    uint32_t next_slot; /* slots ever given out */
    uint32_t ordered;   /* slots below this are never given out again (see ordered_offers) */
};

/* The slot of id; FM_NONE when absent. */
uint32_t fm_ids_get(const struct fm_ids *ids, const char *id);
/* Records that id (a record's own string) is in slot, or points the entry at a new string. */
void fm_ids_put(struct fm_ids *ids, const char *id, uint32_t slot);
/* Forgets id and gives its slot back. */
void fm_ids_remove(struct fm_ids *ids, const char *id);
/* A slot for a new id: an emptied one, else the next. */
uint32_t fm_ids_new_slot(struct fm_ids *ids);
void fm_ids_clear(struct fm_ids *ids);

/* ---- the loader (db/model.c) ---- */

/* Starts the thread that keeps a model current for the feed generation. */
void feed_model_start(const char *url);
void feed_model_stop(void);

/*
 * The current version with a reference, when it holds every write up to generation gen. When
 * the model is behind (a change is being applied), waits up to wait_ms for it. NULL
 * otherwise: ask the database.
 */
struct feed_model *feed_model_acquire(uint64_t gen, int wait_ms);

/* True when the model runs and its current version holds every write up to the daemon's feed
 * generation (no change is waiting to be applied). */
bool feed_model_caught_up(void);

/* For /metrics. */
struct feed_model_stats {
    size_t offers, schedules;
    double load_seconds;       /* the last full load */
    uint64_t loads;            /* full loads */
    uint64_t replica_loads;    /* full loads and change sets read from a replica */
    uint64_t changes_applied;  /* change sets applied (new versions without a full load) */
    uint64_t entities_applied; /* records read again for them */
    double apply_seconds_sum;  /* their time, from noticing the change to publishing */
    double apply_seconds_max;
    uint64_t change_seq; /* the last change log entry the current version holds */
};
void feed_model_stats(struct feed_model_stats *out);

#endif
