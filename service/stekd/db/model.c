/*
 * Keeps the feed's in-memory model (feedmodel.h) current. One thread, on its
 * own connection:
 *
 * - at start, after a gap the change log cannot bridge, and when the day moves
 *   on, it reads every table the feed needs in one REPEATABLE READ transaction
 *   and publishes a new chain of versions (the old one answers meanwhile);
 * - when the feed generation moves on (a write of this daemon, or NOTIFY
 *   stek_feed from any), it reads the change log entries after the last one
 *   its version holds (migration 0021) and just the records they name, from
 *   one snapshot, and publishes the version that shares everything else.
 *
 * Readers hold a reference, so a version is freed only when its last query is
 * done. With read replicas it reads from one that has replayed the position the
 * generation stands for (listen.h), else from the primary.
 */
#include "internal.h"
#include "stek/search.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/date.h"
#include "stek/feed.h"
#include "stek/feedmodel.h"
#include "stek/job.h"
#include "stek/listen.h"
#include "stek/log.h"
#include "stek/replicas.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLICE_OFFERS 50000 /* offers per slice of a full load, about */
#define MAX_CHANGES 2000   /* entries one change set applies; more: a full load is cheaper */
#define TRIM_SECONDS 3600  /* how often a daemon trims the change log */

static struct {
    struct job job;
    pthread_mutex_t lock;
    pthread_cond_t published;   /* a new version is current */
    struct feed_model *current; /* under lock */
    char *url;
    atomic_size_t offers, schedules;
    atomic_uint_fast64_t loads, load_us, replica_loads, changes, entities, apply_us, apply_max_us,
        change_seq;
    atomic_uint_fast64_t published_gen; /* the current version's generation (0: none) */
} M = {.lock = PTHREAD_MUTEX_INITIALIZER, .published = PTHREAD_COND_INITIALIZER};

/*
 * The loader's own state (its thread only): where each id's record sits in the versions it
 * makes, and the parsed lists of names (functions, categories), shared by text between
 * records (offers have few different lists).
 */
struct loader {
    struct fm_ids sites, partners, offers;
    json_t *names;
    json_t *empty_object; /* {}: shared by the records without translations */
    bool ignore_offers, ignore_sites, ignore_partners; /* STEK_TEST_MODEL_IGNORE (tests only) */
};

/* ---- decoding rows into records: one allocation each, strings packed after the record ---- */

struct pack {
    char *at, *end;
};

/*
 * The columns of the model's statements (statements.def: MODEL_*), by name: each list makes
 * the constants the decoders index with and the names every result is checked against
 * (columns_ok) before a row of it is decoded. A statement and its decoder cannot drift apart
 * unnoticed: a misfit is logged with the column's name and the load fails.
 */
/* clang-format off */
#define COL_ENUM(prefix, id, name) prefix##_##id,
#define COL_NAME(prefix, id, name) #name,
#define SITE_COLS(X)                                                                               \
    X(S, ID, id)                                                                                   \
    X(S, DOC, doc)                                                                                 \
    X(S, ACTIVE, active)                                                                           \
    X(S, FOLD, fold)                                                                               \
    X(S, POSTAL, postal_code) X(S, LAT, lat) X(S, LON, lon) X(S, TZ, timezone) X(S, EMAIL, email)  \
        X(S, PHONE, phone) X(S, UPDATED, updated)
#define CLOSURE_COLS(X)                                                                            \
    X(C, SITE, site_id)                                                                            \
    X(C, FROM, from_day)                                                                           \
    X(C, TO, to_day)                                                                               \
    X(C, NOTE, note)                                                                               \
    X(C, MAIN, main_language) X(C, TRANSLATIONS, translations) X(C, CHANGED, changed)
#define PARTNER_COLS(X)                                                                            \
    X(P, ID, id) X(P, NAME, name) X(P, EMAIL, email) X(P, PHONE, phone) X(P, UPDATED, updated)
#define OFFER_COLS(X)                                                                              \
    X(O, ID, id)                                                                                   \
    X(O, TITLE, title)                                                                             \
    X(O, DESCRIPTION, description)                                                                 \
    X(O, FUNCTIONS, functions)                                                                     \
    X(O, CATEGORIES, categories) X(O, FREE, free) X(O, PRICE_NOTE, price_note)                     \
        X(O, VERSION, version) X(O, UPDATED, updated) X(O, PARTNER, partner_id)                    \
            X(O, SITE, site_id) X(O, REGISTRATION, registration) X(O, AUDIENCE, audience)          \
                X(O, EMAIL, email) X(O, PHONE, phone) X(O, MAIN, main_language)                    \
                    X(O, TRANSLATIONS, translations) X(O, TERMS, terms) X(O, KIND, kind)       \
                        X(O, CONFIRMED, confirmed)
#define SCHEDULE_COLS(X)                                                                           \
    X(SC, OFFER, offer_id)                                                                         \
    X(SC, SITE, site_id)                                                                           \
    X(SC, DTSTART, dtstart)                                                                        \
    X(SC, UNTIL, until) X(SC, RRULE, rrule) X(SC, START, start_min) X(SC, END, end_min)
#define EXCEPTION_COLS(X)                                                                          \
    X(E, OFFER, offer_id)                                                                          \
    X(E, DAY, day)                                                                                 \
    X(E, STATUS, status)                                                                           \
    X(E, START, start_min)                                                                         \
    X(E, END, end_min) X(E, NOTE, note) X(E, MAIN, main_language) X(E, TRANSLATIONS, translations) \
        X(E, CHANGED, changed) X(E, SITE, site_id)
/* clang-format on */
enum { SITE_COLS(COL_ENUM) S_NCOLS };
enum { CLOSURE_COLS(COL_ENUM) C_NCOLS };
enum { PARTNER_COLS(COL_ENUM) P_NCOLS };
enum { OFFER_COLS(COL_ENUM) O_NCOLS };
enum { SCHEDULE_COLS(COL_ENUM) SC_NCOLS };
enum { EXCEPTION_COLS(COL_ENUM) E_NCOLS };
static const char *const site_cols[] = {SITE_COLS(COL_NAME) NULL};
static const char *const closure_cols[] = {CLOSURE_COLS(COL_NAME) NULL};
static const char *const partner_cols[] = {PARTNER_COLS(COL_NAME) NULL};
static const char *const offer_cols[] = {OFFER_COLS(COL_NAME) NULL};
static const char *const schedule_cols[] = {SCHEDULE_COLS(COL_NAME) NULL};
static const char *const exception_cols[] = {EXCEPTION_COLS(COL_NAME) NULL};

/* The text columns each record keeps (the rest are numbers, flags and JSON, decoded). */
#define TEXTS(...) ((const int[]){__VA_ARGS__, -1})
#define SITE_TEXTS TEXTS(S_ID, S_DOC, S_FOLD, S_POSTAL, S_TZ, S_EMAIL, S_PHONE)
#define CLOSURE_TEXTS TEXTS(C_NOTE, C_MAIN)
#define PARTNER_TEXTS TEXTS(P_ID, P_NAME, P_EMAIL, P_PHONE)
#define OFFER_TEXTS                                                                                \
    TEXTS(O_ID, O_TITLE, O_DESCRIPTION, O_PRICE_NOTE, O_REGISTRATION, O_AUDIENCE, O_EMAIL,         \
          O_PHONE, O_MAIN)
#define SCHEDULE_TEXTS TEXTS(SC_RRULE)
#define EXCEPTION_TEXTS TEXTS(E_STATUS, E_NOTE, E_MAIN)

/* Room for the kept texts of a result row (cols ends with -1). */
static size_t
row_bytes(PGresult *r, int row, const int *cols)
{
    size_t n = 0;
    for (; *cols >= 0; cols++)
        n += (size_t)PQgetlength(r, row, *cols) + 1;
    return n;
}

static void *
pack_alloc(struct pack *pk, size_t head, size_t strings)
{
    char *p = calloc(1, head + strings);
    if (p == NULL)
        abort();
    pk->at = p + head;
    pk->end = p + head + strings;
    return p;
}

/* A text column copied into the record; NULL for SQL NULL. */
static const char *
opt(struct pack *pk, PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    size_t n = (size_t)PQgetlength(r, row, col) + 1;
    char *out = pk->at;
    if (n > (size_t)(pk->end - pk->at))
        abort(); /* row_bytes counted every column kept */
    memcpy(out, PQgetvalue(r, row, col), n);
    pk->at += n;
    return out;
}

static const char *
text(struct pack *pk, PGresult *r, int row, int col)
{
    const char *t = opt(pk, r, row, col);
    return t != NULL ? t : "";
}

static long long
num(PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool
flag(PGresult *res, int row, int col)
{
    return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

/*
 * A text[] column in PostgreSQL's text form ({a,b,"c d"}) as a JSON array of strings (a new
 * value); NULL when it is not such a text. Read by hand because to_json() on the server cost a
 * third of a full load's SQL time.
 */
static json_t *
pg_array(const char *t)
{
    json_t *a = json_array();
    char *buf = malloc(strlen(t) + 1);

    if (buf == NULL)
        abort();
    if (*t++ != '{')
        goto bad;
    while (*t != '}') {
        size_t n = 0;
        if (*t == '"') {
            for (t++; *t != '"'; t++) {
                if (*t == '\\')
                    t++;
                if (*t == '\0')
                    goto bad;
                buf[n++] = *t;
            }
            t++;
        } else {
            while (*t != ',' && *t != '}' && *t != '\0')
                buf[n++] = *t++;
            if (n == 4 && memcmp(buf, "NULL", 4) == 0)
                goto bad; /* the columns are NOT NULL arrays of NOT NULL names */
        }
        buf[n] = '\0';
        json_array_append_new(a, json_string(buf));
        if (*t == ',')
            t++;
        else if (*t != '}')
            goto bad;
    }
    free(buf);
    return a;
bad:
    free(buf);
    json_decref(a);
    return NULL;
}

/* A list of names (a text[] column), parsed once per distinct text and shared between records
 * (offers have few different lists); a new reference, or NULL when it does not parse. */
static json_t *
names_col(struct loader *ld, PGresult *res, int row, int col)
{
    const char *t = PQgetvalue(res, row, col);
    json_t *v = json_object_get(ld->names, t);

    if (v == NULL && (v = pg_array(t)) != NULL)
        json_object_set_new(ld->names, t, v);
    return json_incref(v);
}

/* A JSON column, parsed (a new reference); "{}", the common case, shared. NULL when it does
 * not parse (cannot happen: PostgreSQL wrote it). */
static json_t *
json_col(struct loader *ld, PGresult *res, int row, int col)
{
    const char *t = PQgetvalue(res, row, col);
    return strcmp(t, "{}") == 0 ? json_incref(ld->empty_object) : json_loads(t, 0, NULL);
}

/* The run of rows of a result, from *at, whose column 0 is id (results come in id order). */
static int
run_of(PGresult *r, int *at, const char *id)
{
    int first = *at, n = PQntuples(r);

    while (first < n && strcmp(PQgetvalue(r, first, 0), id) < 0)
        first++; /* rows of records not asked for cannot happen; skip them all the same */
    int last = first;
    while (last < n && strcmp(PQgetvalue(r, last, 0), id) == 0)
        last++;
    *at = last;
    return first;
}

/* Site row i of rs (MODEL_SITES) with its closures from rc (MODEL_CLOSURES, from *ci). */
static struct fm_site *
decode_site(struct loader *ld, PGresult *rs, int i, PGresult *rc, int *ci)
{
    const char *id = PQgetvalue(rs, i, S_ID);
    int c0 = run_of(rc, ci, id), nc = *ci - c0;
    size_t bytes = row_bytes(rs, i, SITE_TEXTS);
    struct pack pk;

    for (int k = c0; k < *ci; k++)
        bytes += row_bytes(rc, k, CLOSURE_TEXTS);
    struct fm_site *s = pack_alloc(&pk, sizeof(*s) + (size_t)nc * sizeof(struct fm_closure), bytes);
    s->closures = (struct fm_closure *)(s + 1);
    s->id = text(&pk, rs, i, S_ID);
    s->doc = text(&pk, rs, i, S_DOC);
    s->active = flag(rs, i, S_ACTIVE);
    s->fold = text(&pk, rs, i, S_FOLD);
    s->postal_code = text(&pk, rs, i, S_POSTAL);
    s->has_location = !PQgetisnull(rs, i, S_LAT);
    s->lat = s->has_location ? strtod(PQgetvalue(rs, i, S_LAT), NULL) : 0;
    s->lon = s->has_location ? strtod(PQgetvalue(rs, i, S_LON), NULL) : 0;
    s->timezone = text(&pk, rs, i, S_TZ);
    s->email = opt(&pk, rs, i, S_EMAIL);
    s->phone = opt(&pk, rs, i, S_PHONE);
    s->updated = num(rs, i, S_UPDATED);
    for (int k = c0; k < *ci; k++) {
        struct fm_closure *c = &s->closures[s->nclosures];
        *c = (struct fm_closure){.from = (int32_t)num(rc, k, C_FROM),
                                 .to = (int32_t)num(rc, k, C_TO),
                                 .note = opt(&pk, rc, k, C_NOTE),
                                 .main_language = text(&pk, rc, k, C_MAIN),
                                 .translations = json_col(ld, rc, k, C_TRANSLATIONS),
                                 .changed = num(rc, k, C_CHANGED)};
        s->nclosures++;
        if (c->translations == NULL) {
            fm_site_free(s);
            return NULL;
        }
    }
    return s;
}

static struct fm_partner *
decode_partner(PGresult *r, int i)
{
    struct pack pk;
    struct fm_partner *p = pack_alloc(&pk, sizeof(*p), row_bytes(r, i, PARTNER_TEXTS));

    *p = (struct fm_partner){.id = text(&pk, r, i, P_ID),
                             .name = text(&pk, r, i, P_NAME),
                             .email = opt(&pk, r, i, P_EMAIL),
                             .phone = opt(&pk, r, i, P_PHONE),
                             .updated = num(r, i, P_UPDATED)};
    return p;
}

/*
 * Offer row i of ro (MODEL_OFFERS) with its schedules from rs and its exceptions from re (from
 * *si and *ei); sites and partners by their slots in ld. NULL when a site or partner it names
 * is not known (the tables do not fit together).
 */
static struct fm_offer *
decode_offer(struct loader *ld, PGresult *ro, int i, PGresult *rs, int *si, PGresult *re, int *ei)
{
    const char *id = PQgetvalue(ro, i, O_ID);
    int s0 = run_of(rs, si, id), ns = *si - s0;
    int e0 = run_of(re, ei, id), ne = *ei - e0;
    size_t bytes = row_bytes(ro, i, OFFER_TEXTS);
    struct pack pk;
    bool ok = true;

    for (int k = s0; k < *si; k++)
        bytes += row_bytes(rs, k, SCHEDULE_TEXTS);
    for (int k = e0; k < *ei; k++)
        bytes += row_bytes(re, k, EXCEPTION_TEXTS);
    struct fm_offer *o = pack_alloc(&pk,
                                    sizeof(*o) + (size_t)ns * sizeof(struct fm_schedule) +
                                        (size_t)ne * sizeof(struct fm_exception),
                                    bytes);
    o->schedules = (struct fm_schedule *)(o + 1);
    o->exceptions = (struct fm_exception *)(o->schedules + ns);
    o->id = text(&pk, ro, i, O_ID);
    o->title = text(&pk, ro, i, O_TITLE);
    o->description = opt(&pk, ro, i, O_DESCRIPTION);
    o->functions = names_col(ld, ro, i, O_FUNCTIONS);
    o->categories = names_col(ld, ro, i, O_CATEGORIES);
    o->free = offer_fact_of(PQgetisnull(ro, i, O_FREE) ? NULL : PQgetvalue(ro, i, O_FREE));
    o->price_note = opt(&pk, ro, i, O_PRICE_NOTE);
    o->version = (long)num(ro, i, O_VERSION);
    o->updated = num(ro, i, O_UPDATED);
    o->partner = fm_ids_get(&ld->partners, PQgetvalue(ro, i, O_PARTNER));
    o->site = fm_ids_get(&ld->sites, PQgetvalue(ro, i, O_SITE));
    o->registration = opt(&pk, ro, i, O_REGISTRATION);
    o->audience = opt(&pk, ro, i, O_AUDIENCE);
    o->email = opt(&pk, ro, i, O_EMAIL);
    o->phone = opt(&pk, ro, i, O_PHONE);
    o->main_language = text(&pk, ro, i, O_MAIN);
    o->translations = json_col(ld, ro, i, O_TRANSLATIONS);
    /* its search terms: hashed for matching, and into the vocabulary the model widens q with */
    const char *terms = PQgetvalue(ro, i, O_TERMS);
    size_t room = 1;
    for (const char *c = terms; *c; c++)
        room += *c == ',';
    if ((o->terms = malloc(room * sizeof(*o->terms))) == NULL)
        abort();
    o->nterms = (uint32_t)search_terms_hashes(terms, o->terms);
    search_vocab_add(terms);
    o->kind = feed_kind(PQgetvalue(ro, i, O_KIND));
    o->confirmed = num(ro, i, O_CONFIRMED);
    ok = o->partner != FM_NONE && o->site != FM_NONE && o->functions && o->categories &&
         o->translations;
    for (int k = s0; k < *si; k++) {
        struct fm_schedule *sc = &o->schedules[o->nschedules++];
        *sc = (struct fm_schedule){
            .site = PQgetisnull(rs, k, SC_SITE)
                        ? o->site
                        : fm_ids_get(&ld->sites, PQgetvalue(rs, k, SC_SITE)),
            .dtstart = (int32_t)num(rs, k, SC_DTSTART),
            .until = PQgetisnull(rs, k, SC_UNTIL) ? DAY_NONE : (int32_t)num(rs, k, SC_UNTIL),
            .rrule = opt(&pk, rs, k, SC_RRULE),
            .start_min = (int)num(rs, k, SC_START),
            .end_min = (int)num(rs, k, SC_END)};
        ok = ok && sc->site != FM_NONE;
    }
    for (int k = e0; k < *ei; k++) {
        struct fm_exception *e = &o->exceptions[o->nexceptions++];
        *e = (struct fm_exception){.day = (int32_t)num(re, k, E_DAY),
                                   .status = text(&pk, re, k, E_STATUS),
                                   .has_times = !PQgetisnull(re, k, E_START),
                                   .note = opt(&pk, re, k, E_NOTE),
                                   .main_language = text(&pk, re, k, E_MAIN),
                                   .translations = json_col(ld, re, k, E_TRANSLATIONS),
                                   .changed = num(re, k, E_CHANGED),
                                   .site = PQgetisnull(re, k, E_SITE)
                                               ? FM_NONE
                                               : fm_ids_get(&ld->sites, PQgetvalue(re, k, E_SITE))};
        if (e->has_times) {
            e->start_min = (int)num(re, k, E_START);
            e->end_min = (int)num(re, k, E_END);
        }
        ok = ok && e->translations != NULL && (e->site != FM_NONE || PQgetisnull(re, k, E_SITE));
        o->moves = o->moves || e->site != FM_NONE;
    }
    if (!ok) {
        fm_offer_free(o);
        return NULL;
    }
    return o;
}

/* ---- a full load ---- */

static PGresult *
run(struct db_conn *db, enum db_stmt s, const char *const *params)
{
    enum db_qs qs;
    return db_exec(db, s, params, &qs);
}

/* The sites with their closures in the model's days, into m and fresh's ids. */
static bool
load_sites(struct loader *fresh, struct db_conn *db, struct feed_model *m,
           const char *const days[2])
{
    const char *none[1] = {NULL}, *window[] = {days[0], days[1]};
    PGresult *rs = run(db, STMT0(model_sites), none);
    PGresult *rc = rs != NULL ? run(db, STMT(model_closures, window), window) : NULL;
    bool ok = rc != NULL && db_columns_ok(rs, site_cols, "model_sites") &&
              db_columns_ok(rc, closure_cols, "model_closures");

    for (int i = 0, ci = 0; ok && i < PQntuples(rs); i++) {
        struct fm_site *s = decode_site(fresh, rs, i, rc, &ci);
        if ((ok = s != NULL)) {
            uint32_t slot = fm_ids_new_slot(&fresh->sites);
            fm_ids_put(&fresh->sites, s->id, slot);
            feed_model_put_site(m, NULL, slot, s);
        }
    }
    PQclear(rs);
    PQclear(rc);
    return ok;
}

static bool
load_partners(struct loader *fresh, struct db_conn *db, struct feed_model *m)
{
    const char *none[1] = {NULL};
    PGresult *rp = run(db, STMT0(model_partners), none);
    bool ok = rp != NULL && db_columns_ok(rp, partner_cols, "model_partners");

    for (int i = 0; ok && i < PQntuples(rp); i++) {
        struct fm_partner *p = decode_partner(rp, i);
        uint32_t slot = fm_ids_new_slot(&fresh->partners);
        fm_ids_put(&fresh->partners, p->id, slot);
        feed_model_put_partner(m, NULL, slot, p);
    }
    PQclear(rp);
    return ok;
}

/*
 * The offers in slices of their table's pages, each with its schedules and exceptions, each
 * result freed once decoded: the peak is the model and one slice. Then the slots in id order
 * (feedmodel.h: the queries' order without comparing ids), and slots below that are never
 * given to another offer.
 */
static bool
load_offers(struct loader *fresh, struct db_conn *db, struct feed_model *m,
            const char *const days[2])
{
    const char *none[1] = {NULL};
    PGresult *head = run(db, STMT0(model_load_begin), none), *ro = NULL, *rs = NULL, *re = NULL;
    bool ok = head != NULL;

    if (!ok)
        return false;
    long long count = num(head, 0, 1), pages = num(head, 0, 2);
    PQclear(head);
    long long slices = count / SLICE_OFFERS + 1, per = pages / slices + 1;
    for (long long k = 0; ok && k < slices; k++) {
        char lo[32], hi[32];
        snprintf(lo, sizeof(lo), "(%lld,0)", k * per);
        snprintf(hi, sizeof(hi), "(%lld,0)", k + 1 < slices ? (k + 1) * per : 4294967295LL);
        const char *slice[] = {lo, hi}, *exc[] = {days[0], days[1], lo, hi};
        ok = (ro = run(db, STMT(model_offers, slice), slice)) != NULL &&
             (rs = run(db, STMT(model_schedules, slice), slice)) != NULL &&
             (re = run(db, STMT(model_exceptions, exc), exc)) != NULL &&
             db_columns_ok(ro, offer_cols, "model_offers") &&
             db_columns_ok(rs, schedule_cols, "model_schedules") &&
             db_columns_ok(re, exception_cols, "model_exceptions");
        for (int i = 0, si = 0, ei = 0; ok && i < PQntuples(ro); i++) {
            struct fm_offer *o = decode_offer(fresh, ro, i, rs, &si, re, &ei);
            if ((ok = o != NULL))
                feed_model_put_offer(m, NULL, fm_ids_new_slot(&fresh->offers), o);
        }
        PQclear(ro);
        PQclear(rs);
        PQclear(re);
        ro = rs = re = NULL;
    }
    if (!ok)
        return false;
    feed_model_sort_offers(m);
    for (size_t i = 0; i < m->noffers; i++)
        fm_ids_put(&fresh->offers, m->offers[i]->id, (uint32_t)i);
    fresh->offers.ordered = (uint32_t)m->noffers;
    return true;
}

/* Reads the whole model at generation gen into a new chain; its ids into fresh. NULL when the
 * database did not answer or the tables did not fit together. */
static struct feed_model *
load(struct loader *ld, struct db_conn *db, uint64_t gen, struct loader *fresh)
{
    int32_t today = service_today();
    char first[11], last[11];
    const char *days[] = {first, last}, *none[1] = {NULL};
    struct feed_model *m =
        feed_model_new(today - FEED_MODEL_DAYS_BEFORE, today + FEED_MODEL_DAYS_AFTER);
    PGresult *head = NULL;
    bool ok = false;

    *fresh = (struct loader){.names = json_incref(ld->names),
                             .empty_object = json_incref(ld->empty_object)};
    date_format(m->first_day, first);
    date_format(m->last_day, last);
    m->generation = gen;
    if (db_begin_snapshot(db) == DB_NO_ROWS && load_sites(fresh, db, m, days) &&
        load_partners(fresh, db, m) && load_offers(fresh, db, m, days) &&
        (head = run(db, STMT0(model_change_head), none)) != NULL && PQntuples(head) == 1) {
        m->change_seq = (uint64_t)num(head, 0, 0);
        ok = feed_model_index(m);
        if (!ok)
            log_event("error", "the feed model's tables did not fit together", NULL);
    }
    PQclear(head);
    db_rollback(db); /* read only */
    if (!ok) {
        feed_model_release(m);
        json_decref(fresh->names);
        json_decref(fresh->empty_object);
        fm_ids_clear(&fresh->sites);
        fm_ids_clear(&fresh->partners);
        fm_ids_clear(&fresh->offers);
        return NULL;
    }
    return m;
}

/* ---- a change set ---- */

/* The ids of one entity a change set names. */
struct idset {
    json_t *seen; /* id -> true */
};

static void
idset_add(struct idset *s, const char *id)
{
    json_object_set_new(s->seen, id, json_true());
}

enum apply_result { APPLY_OK, APPLY_DB, APPLY_FULL };

/* The loader's puts, alike for every kind of record (each takes the record it is given). */
typedef void (*put_fn)(struct feed_model *m, struct feed_model *from, uint32_t slot, void *rec);

static void
put_site(struct feed_model *m, struct feed_model *from, uint32_t slot, void *rec)
{
    feed_model_put_site(m, from, slot, rec);
}

static void
put_partner(struct feed_model *m, struct feed_model *from, uint32_t slot, void *rec)
{
    feed_model_put_partner(m, from, slot, rec);
}

static void
put_offer(struct feed_model *m, struct feed_model *from, uint32_t slot, void *rec)
{
    feed_model_put_offer(m, from, slot, rec);
}

/* Puts a record read for a change into m, in the slot of its id (a new slot for a new id), and
 * strikes the id from those named. id is the record's own string. */
static void
place(struct fm_ids *ids, put_fn put, struct feed_model *m, struct feed_model *from,
      struct idset *named, const char *id, void *rec)
{
    uint32_t slot = fm_ids_get(ids, id);

    if (slot == FM_NONE)
        slot = fm_ids_new_slot(ids);
    put(m, from, slot, rec);
    fm_ids_put(ids, id, slot);
    json_object_del(named->seen, id);
}

/* Empties the slots of the ids named and not read: deleted, or an offer no longer active. */
static void
clear_absent(struct fm_ids *ids, put_fn put, struct feed_model *m, struct feed_model *from,
             struct idset *named)
{
    const char *id;
    json_t *v;

    json_object_foreach(named->seen, id, v)
    {
        uint32_t slot = fm_ids_get(ids, id);
        (void)v;
        if (slot != FM_NONE) {
            fm_ids_remove(ids, id);
            put(m, from, slot, NULL);
        }
    }
}

/* Puts the records of one kind that a change set named into m; false when one does not fit. */
static bool
apply_sites(struct loader *ld, struct feed_model *m, struct feed_model *from, struct idset *ids,
            PGresult *rs, PGresult *rc)
{
    for (int i = 0, ci = 0; i < PQntuples(rs); i++) {
        struct fm_site *s = decode_site(ld, rs, i, rc, &ci);
        if (s == NULL)
            return false;
        place(&ld->sites, put_site, m, from, ids, s->id, s);
    }
    clear_absent(&ld->sites, put_site, m, from, ids);
    feed_model_sites_changed(m, from);
    return true;
}

static void
apply_partners(struct loader *ld, struct feed_model *m, struct feed_model *from, struct idset *ids,
               PGresult *rp)
{
    for (int i = 0; i < PQntuples(rp); i++) {
        struct fm_partner *p = decode_partner(rp, i);
        place(&ld->partners, put_partner, m, from, ids, p->id, p);
    }
    clear_absent(&ld->partners, put_partner, m, from, ids);
}

static bool
apply_offers(struct loader *ld, struct feed_model *m, struct feed_model *from, struct idset *ids,
             PGresult *ro, PGresult *rs, PGresult *re)
{
    for (int i = 0, si = 0, ei = 0; i < PQntuples(ro); i++) {
        struct fm_offer *o = decode_offer(ld, ro, i, rs, &si, re, &ei);
        if (o == NULL)
            return false;
        place(&ld->offers, put_offer, m, from, ids, o->id, o);
    }
    clear_absent(&ld->offers, put_offer, m, from, ids);
    return true;
}

/* Adds the municipalities (folded) of every site an offer is shown at in version v. */
static void
mark_offer(json_t *places, const struct feed_model *v, const struct fm_offer *o)
{
    if (o == NULL)
        return;
    json_object_set_new(places, v->sites[o->site]->fold, json_true());
    for (uint32_t k = 0; k < o->nschedules; k++)
        json_object_set_new(places, v->sites[o->schedules[k].site]->fold, json_true());
    for (uint32_t k = 0; k < o->nexceptions; k++)
        if (o->exceptions[k].site != FM_NONE)
            json_object_set_new(places, v->sites[o->exceptions[k].site]->fold, json_true());
}

/* The places of the offers named, in version v (before or after the change); false when one
 * of them is not in v: new, archived or deleted, its places unknown to the model (an archived
 * offer still shows in the lists that ask for archived offers). */
static bool
mark_offers(struct loader *ld, json_t *places, const struct feed_model *v, json_t *named)
{
    const char *id;
    json_t *x;
    bool all_known = true;

    json_object_foreach(named, id, x)
    {
        uint32_t slot = fm_ids_get(&ld->offers, id);
        const struct fm_offer *o = slot != FM_NONE && slot < v->noffers ? v->offers[slot] : NULL;
        (void)x;
        mark_offer(places, v, o);
        all_known = all_known && o != NULL;
    }
    return all_known;
}

/* The results of a change set, read in one round trip: the log, then the records it names. */
enum { Q_LOG, Q_SITES, Q_CLOSURES, Q_PARTNERS, Q_OFFERS, Q_SCHEDULES, Q_EXCEPTIONS, Q_N };

/* The change set's results have the columns their decoders read. */
static bool
changed_db_columns_ok(PGresult *const *r)
{
    return db_columns_ok(r[Q_SITES], site_cols, "model_sites_changed") &&
           db_columns_ok(r[Q_CLOSURES], closure_cols, "model_closures_changed") &&
           db_columns_ok(r[Q_PARTNERS], partner_cols, "model_partners_changed") &&
           db_columns_ok(r[Q_OFFERS], offer_cols, "model_offers_changed") &&
           db_columns_ok(r[Q_SCHEDULES], schedule_cols, "model_schedules_changed") &&
           db_columns_ok(r[Q_EXCEPTIONS], exception_cols, "model_exceptions_changed");
}

/*
 * The change log's entries after have (rows: the last kept entry, then each new one): the
 * records they name into the sets, the last entry into *seq. False when the log was trimmed
 * past have, or holds more than a full load costs.
 */
static bool
read_log(const struct loader *ld, PGresult *log, uint64_t have, uint64_t *seq, struct idset *sites,
         struct idset *partners, struct idset *offers)
{
    int n = PQntuples(log);

    if (n < 1 || (uint64_t)num(log, 0, 0) > have || n > MAX_CHANGES)
        return false;
    for (int i = 0; i < n; i++) {
        if (PQgetisnull(log, i, 1))
            continue; /* no entry after ours */
        const char *entity = PQgetvalue(log, i, 2), *id = PQgetvalue(log, i, 3);
        *seq = (uint64_t)num(log, i, 1);
        if (strcmp(entity, "offer") == 0 && !ld->ignore_offers)
            idset_add(offers, id);
        else if (strcmp(entity, "site") == 0 && !ld->ignore_sites)
            idset_add(sites, id);
        else if (strcmp(entity, "partner") == 0 && !ld->ignore_partners)
            idset_add(partners, id);
    }
    return true;
}

/*
 * Reads the change log after cur's last entry and the records it names, from one snapshot and
 * in one round trip, and makes the version that follows cur (*out; NULL when nothing changed).
 * APPLY_FULL: the log cannot bring cur up to date (trimmed, too many changes, or the rows did
 * not fit): load all.
 */
static enum apply_result
apply_changes(struct loader *ld, struct db_conn *db, struct feed_model *cur, uint64_t gen,
              struct feed_model **out, size_t *entities, json_t *places, bool *everywhere)
{
    char last[24], limit[16], first[11], lastday[11];
    const char *log[] = {last, limit}, *days[] = {first, lastday, last, limit};
    const enum db_stmt stmts[Q_N] = {STMT(model_changes, log),
                                     STMT(model_sites_changed, log),
                                     STMT(model_closures_changed, days),
                                     STMT(model_partners_changed, log),
                                     STMT(model_offers_changed, log),
                                     STMT(model_schedules_changed, log),
                                     STMT(model_exceptions_changed, days)};
    const char *const *params[Q_N] = {log, log, days, log, log, log, days};
    PGresult *r[Q_N];
    struct idset sites = {json_object()}, partners = {json_object()}, offers = {json_object()};
    enum apply_result result = APPLY_FULL;
    uint64_t seq = cur->change_seq;
    struct feed_model *m = NULL;

    *out = NULL;
    snprintf(last, sizeof(last), "%llu", (unsigned long long)cur->change_seq);
    snprintf(limit, sizeof(limit), "%d", MAX_CHANGES + 1);
    date_format(cur->first_day, first);
    date_format(cur->last_day, lastday);
    if (!db_exec_snapshot(db, Q_N, stmts, params, r)) {
        result = APPLY_DB;
        goto done;
    }
    if (!changed_db_columns_ok(r))
        goto out; /* loaded whole, which checks them again and logs */
    if (!read_log(ld, r[Q_LOG], cur->change_seq, &seq, &sites, &partners, &offers))
        goto out; /* trimmed past us, or more than a full load costs */
    *entities = json_object_size(sites.seen) + json_object_size(partners.seen) +
                json_object_size(offers.seen);
    result = APPLY_OK;
    if (seq == cur->change_seq)
        goto out; /* nothing the feed shows changed */
    /* Where the change shows (listen.h): sites and partners are shown with offers anywhere;
     * an offer where it was and where it is, when the model knows both. */
    *everywhere = json_object_size(sites.seen) > 0 || json_object_size(partners.seen) > 0;
    json_t *named = json_deep_copy(offers.seen); /* apply_offers strikes what it places */
    if (!mark_offers(ld, places, cur, named))
        *everywhere = true;
    /* Sites and partners first: the offers read refer to them by slot. */
    m = feed_model_derive(cur);
    m->generation = gen;
    m->change_seq = seq;
    bool fits = json_object_size(sites.seen) == 0 ||
                apply_sites(ld, m, cur, &sites, r[Q_SITES], r[Q_CLOSURES]);
    if (fits && json_object_size(partners.seen) > 0)
        apply_partners(ld, m, cur, &partners, r[Q_PARTNERS]);
    if (!fits ||
        (json_object_size(offers.seen) > 0 &&
         !apply_offers(ld, m, cur, &offers, r[Q_OFFERS], r[Q_SCHEDULES], r[Q_EXCEPTIONS]))) {
        log_event("error", "a change to the feed model did not fit: loading it whole", NULL);
        feed_model_discard(m, cur);
        m = NULL;
        result = APPLY_FULL;
    } else if (!mark_offers(ld, places, m, named)) {
        *everywhere = true;
    }
    json_decref(named);
    *out = m;
out:
    for (int q = 0; q < Q_N; q++)
        PQclear(r[q]);
done:
    json_decref(sites.seen);
    json_decref(partners.seen);
    json_decref(offers.seen);
    return result;
}

/* Makes m the current version; the one before it goes when its last reader is done. */
static void
publish(struct feed_model *m)
{
    struct feed_model *old;

    pthread_mutex_lock(&M.lock);
    old = M.current;
    M.current = m;
    atomic_store(&M.published_gen, m != NULL ? m->generation : 0);
    if (m != NULL) {
        atomic_store(&M.offers, m->active_offers);
        atomic_store(&M.schedules, m->active_schedules);
        atomic_store(&M.change_seq, m->change_seq);
    }
    pthread_cond_broadcast(&M.published);
    pthread_mutex_unlock(&M.lock);
    feed_model_release(old);
}

/* The current version moves on to generation gen without a change (nothing it shows changed).
 * Under the lock: readers compare generations under it. */
static void
touch(uint64_t gen)
{
    pthread_mutex_lock(&M.lock);
    if (M.current != NULL && M.current->generation < gen) {
        M.current->generation = gen;
        atomic_store(&M.published_gen, gen);
    }
    pthread_cond_broadcast(&M.published);
    pthread_mutex_unlock(&M.lock);
}

/* How long a load waits for a replica to replay the change before it reads the primary: a
 * healthy replica replays in milliseconds, and every feed reader waits for this load. */
#define REPLICA_WAIT_MS 100

/*
 * A replica in rotation that has replayed need (asked on its own connection, not the monitor's
 * last sample), rotating over them; waits up to REPLICA_WAIT_MS for one. NULL: the primary.
 */
static struct db_conn *
replica_for(struct db_conn **conns, unsigned n, uint64_t need, unsigned *next, unsigned *which)
{
    if (n == 0 || need == UINT64_MAX || need == 0) /* no replica, or the position unknown */
        return NULL;
    for (int waited = 0; waited <= REPLICA_WAIT_MS && !job_stopping(&M.job); waited += 10) {
        for (unsigned k = 0; k < n; k++) {
            unsigned i = (*next + k) % n;
            char lsn[32];
            if (conns[i] != NULL && replica_usable(i, 0) && db_conn_ensure(conns[i]) &&
                db_replayed_lsn(conns[i], lsn) > 0 && lsn_parse(lsn) >= need) {
                *next = i + 1;
                *which = i;
                return conns[i];
            }
        }
        job_sleep(&M.job, 10);
    }
    return NULL;
}

static uint64_t
elapsed_us(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (uint64_t)((t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000);
}

/* The loader's connections: the primary's, and one to each replica. */
struct conns {
    struct db_conn *db, *reads[8];
    unsigned nreads, next;
};

/* Loads the whole model (at start, after a gap the change log cannot bridge, when the day
 * moves on); the version before it keeps answering meanwhile. */
static bool
full_load(struct loader *ld, struct conns *c, uint64_t gen)
{
    struct timespec t0;
    unsigned which = 0;
    struct db_conn *from =
        replica_for(c->reads, c->nreads, feed_generation_lsn(), &c->next, &which);
    struct loader fresh;

    if (from == NULL && !db_conn_ensure(c->db))
        return false;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct feed_model *m = load(ld, from != NULL ? from : c->db, gen, &fresh);
    if (m == NULL && from != NULL) { /* the replica failed under it: the primary */
        replica_failed(which);
        from = NULL;
        m = db_conn_ensure(c->db) ? load(ld, c->db, gen, &fresh) : NULL;
    }
    if (m == NULL)
        return false;
    atomic_store(&M.load_us, elapsed_us(&t0));
    atomic_fetch_add(&M.loads, 1);
    if (from != NULL)
        atomic_fetch_add(&M.replica_loads, 1);
    fm_ids_clear(&ld->sites);
    fm_ids_clear(&ld->partners);
    fm_ids_clear(&ld->offers);
    json_decref(fresh.names);
    json_decref(fresh.empty_object);
    feed_scope_all_changed(gen); /* before the version shows: see listen.h */
    ld->sites = fresh.sites;
    ld->partners = fresh.partners;
    ld->offers = fresh.offers;
    publish(m);
    malloc_trim(0); /* the load's results and, once its readers are done, the old chain */
    return true;
}

/* Brings the current version up to generation gen with the change log. */
static enum apply_result
follow(struct loader *ld, struct conns *c, uint64_t gen, const struct timespec *t0)
{
    unsigned which = 0;
    struct db_conn *from =
        replica_for(c->reads, c->nreads, feed_generation_lsn(), &c->next, &which);
    struct feed_model *m = NULL, *cur = M.current; /* only this thread changes M.current */
    size_t entities = 0;
    enum apply_result r;
    json_t *places = json_object();
    bool everywhere = false;

    if (from == NULL && !db_conn_ensure(c->db)) {
        json_decref(places);
        return APPLY_DB;
    }
    r = apply_changes(ld, from != NULL ? from : c->db, cur, gen, &m, &entities, places,
                      &everywhere);
    if (r == APPLY_DB && from != NULL) {
        replica_failed(which);
        from = NULL;
        r = db_conn_ensure(c->db)
                ? apply_changes(ld, c->db, cur, gen, &m, &entities, places, &everywhere)
                : APPLY_DB;
    }
    if (r != APPLY_OK || m == NULL) {
        if (r == APPLY_OK)
            touch(gen);
        json_decref(places);
        return r;
    }
    /* The places marked before the version shows (listen.h: a reader that finds the model
     * caught up then finds the marks too). */
    const char *fold;
    json_t *x;
    if (everywhere)
        feed_scope_all_changed(gen);
    json_object_foreach(places, fold, x)
    {
        (void)x;
        feed_scope_changed(fold, gen);
    }
    json_decref(places);
    feed_model_link(cur, m);
    publish(m);
    uint64_t us = elapsed_us(t0), max = atomic_load(&M.apply_max_us);
    atomic_fetch_add(&M.changes, 1);
    atomic_fetch_add(&M.entities, entities);
    atomic_fetch_add(&M.apply_us, us);
    while (us > max && !atomic_compare_exchange_weak(&M.apply_max_us, &max, us))
        ;
    if (from != NULL)
        atomic_fetch_add(&M.replica_loads, 1);
    return r;
}

/* STEK_TEST_MODEL_IGNORE: entities whose changes the loader leaves out (a test proves that the
 * equivalence test then fails). Never set in production. */
static void
read_ignore(struct loader *ld)
{
    const char *v = getenv("STEK_TEST_MODEL_IGNORE");
    if (v == NULL)
        return;
    ld->ignore_offers = strstr(v, "offer") != NULL;
    ld->ignore_sites = strstr(v, "site") != NULL;
    ld->ignore_partners = strstr(v, "partner") != NULL;
}

static void
pause_a_second(void)
{
    job_sleep(&M.job, 1000);
}

static void
model_run(struct job *j)
{
    const struct stek_config *cfg = stek_config();
    int timeout = (int)cfg->statement_timeout_ms * 20;
    struct conns c = {.db = db_conn_new(M.url, "stekd-model", timeout)};
    struct loader ld = {.names = json_object(), .empty_object = json_object()};
    uint64_t have = 0;
    int32_t have_day = 0;
    bool full = true;
    time_t trimmed = 0;
    (void)j;

    read_ignore(&ld);
    c.nreads = replicas_count() < 8 ? replicas_count() : 8;
    for (unsigned i = 0; i < c.nreads; i++)
        c.reads[i] = db_conn_new(replica_url(i), "stekd-model", timeout);
    while (!job_stopping(&M.job)) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        uint64_t gen = feed_generation();
        int32_t day = service_today();
        if (!feed_listener_connected()) { /* other daemons' writes would go unseen */
            feed_generation_wait(gen, 100);
            continue;
        }
        if (full || day != have_day) {
            if (!full_load(&ld, &c, gen)) {
                pause_a_second(); /* the database did not answer: again in a second */
                continue;
            }
            full = false;
            have = gen;
            have_day = day;
            continue; /* at once: a write may have come during the load */
        }
        if (gen != have && cfg->feed_model == 2) { /* whole, after every change */
            full = true;
            continue;
        }
        if (gen != have) {
            enum apply_result r = follow(&ld, &c, gen, &t0);
            if (r == APPLY_FULL)
                full = true;
            else if (r == APPLY_DB)
                pause_a_second();
            else
                have = gen;
            continue;
        }
        if (time(NULL) - trimmed >= TRIM_SECONDS && db_conn_ensure(c.db)) {
            const char *none[1] = {NULL};
            db_exec_command(c.db, STMT0(model_trim_changes), none);
            trimmed = time(NULL);
        }
        feed_generation_wait(have, 1000); /* wakes at once on a change */
    }
    publish(NULL);
    db_conn_free(c.db);
    for (unsigned i = 0; i < c.nreads; i++)
        db_conn_free(c.reads[i]);
    fm_ids_clear(&ld.sites);
    fm_ids_clear(&ld.partners);
    fm_ids_clear(&ld.offers);
    json_decref(ld.names);
    json_decref(ld.empty_object);
}

void
feed_model_start(const char *url)
{
    M.url = strdup(url);
    if (M.url == NULL)
        abort();
    M.job = (struct job)JOB_INIT("feed model", model_run, feed_generation_wake);
    job_start(&M.job);
}

void
feed_model_stop(void)
{
    job_stop(&M.job); /* wakes the loader where it waits for the feed's generation */
    free(M.url);
    M.url = NULL;
}

struct feed_model *
feed_model_acquire(uint64_t gen, int wait_ms)
{
    struct feed_model *m = NULL;
    struct timespec until;

    if (!feed_listener_connected())
        return NULL; /* other daemons' writes would go unseen */
    until = deadline_after_ms(wait_ms);
    pthread_mutex_lock(&M.lock);
    /* A version read at gen or later holds every write gen stands for (a generation moves on
     * only after its write committed, and a version's generation is taken before its read
     * begins). A version that is behind is being followed by the next (milliseconds), or
     * reloaded: wait for it rather than join every other request on the database. */
    while (M.current != NULL && M.current->generation < gen && wait_ms > 0 &&
           feed_listener_connected() && pthread_cond_timedwait(&M.published, &M.lock, &until) == 0)
        ;
    if (M.current != NULL && M.current->generation >= gen) {
        m = M.current;
        atomic_fetch_add(&m->refs, 1);
    }
    pthread_mutex_unlock(&M.lock);
    return m;
}

bool
feed_model_caught_up(void)
{
    uint64_t published = atomic_load(&M.published_gen);
    return published != 0 && published >= feed_generation() && feed_listener_connected();
}

void
feed_model_stats(struct feed_model_stats *out)
{
    *out = (struct feed_model_stats){
        .offers = atomic_load(&M.offers),
        .schedules = atomic_load(&M.schedules),
        .load_seconds = (double)atomic_load(&M.load_us) / 1e6,
        .loads = atomic_load(&M.loads),
        .replica_loads = atomic_load(&M.replica_loads),
        .changes_applied = atomic_load(&M.changes),
        .entities_applied = atomic_load(&M.entities),
        .apply_seconds_sum = (double)atomic_load(&M.apply_us) / 1e6,
        .apply_seconds_max = (double)atomic_load(&M.apply_max_us) / 1e6,
        .change_seq = atomic_load(&M.change_seq),
    };
}
