/* One sync of a partner's calendar: see calendars.h. */
#include "stek/calendars.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/date.h"
#include "stek/icsimport.h"
#include "stek/outbound.h"
#include "stek/secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CALENDAR_MAX_BYTES (5 * 1024 * 1024)
#define CALENDAR_TIMEOUT_S 20

static long
ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

static void
hhmm(int minutes, char out[6])
{
    unsigned m = (unsigned)minutes % (24 * 60);
    snprintf(out, 6, "%02u:%02u", m / 60 % 24, m % 60);
}

/* The event's schedules and exceptions as the offer's, replacing what it had. */
static enum db_qs
write_times(struct db_conn *db, const char *offer, const struct ics_event *e, const char *lang)
{
    struct schedule_fields s[ICS_MAX_SCHEDULES];
    char days[ICS_MAX_SCHEDULES][11], from[ICS_MAX_SCHEDULES][6], to[ICS_MAX_SCHEDULES][6];
    enum db_qs qs;

    for (int i = 0; i < e->nschedules; i++) {
        date_format(e->schedules[i].dtstart, days[i]);
        hhmm(e->schedules[i].start_min, from[i]);
        hhmm(e->schedules[i].end_min, to[i]);
        s[i] = (struct schedule_fields){.dtstart = days[i],
                                        .rrule =
                                            e->schedules[i].rrule[0] ? e->schedules[i].rrule : NULL,
                                        .start_time = from[i],
                                        .end_time = to[i]};
    }
    if ((qs = db_replace_schedules(db, offer, s, e->nschedules)) < 0 ||
        (qs = db_delete_offer_exceptions(db, offer)) < 0)
        return qs;
    for (int i = 0; i < e->nexceptions; i++) {
        const struct ics_exception *x = &e->exceptions[i];
        char day[11], a[6], b[6];
        struct db_doc d = {0};
        date_format(x->day, day);
        hhmm(x->start_min, a);
        hhmm(x->end_min, b);
        struct exception_fields f = {.date = day,
                                     .status = x->cancelled ? "cancelled" : "moved",
                                     .start_time = x->cancelled ? NULL : a,
                                     .end_time = x->cancelled ? NULL : b,
                                     .lang = {.main_language = lang}};
        qs = db_upsert_exception(db, offer, &f, &d);
        db_doc_clear(&d);
        if (qs < 0)
            return qs;
    }
    return 1;
}

/* The source's offer of uid among those it made (sorted by uid), or NULL. */
static const struct source_offer *
find(const struct source_offer *offers, size_t n, const char *uid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(offers[mid].uid, uid);
        if (c == 0)
            return &offers[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Whether the calendar holds an event of uid (its events are sorted by uid). */
static bool
find_event(const struct ics_calendar *cal, const char *uid)
{
    size_t lo = 0, hi = cal->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(cal->events[mid].uid, uid);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

struct apply {
    struct db_conn *db;
    const char *id, *key_id;
    const struct calendar_source *src;
    const struct ics_calendar *cal;
    struct calendar_report *rep;
};

/* One event into its offer: made, changed, or left as it is. */
static enum db_qs
apply_event(struct apply *a, const struct ics_event *e, const struct source_offer *had)
{
    char new_id[40];
    const struct source_offer_fields f = {.title = e->title,
                                          .description = e->description,
                                          .site_id = a->src->site_id,
                                          .partner_id = a->src->partner_id,
                                          .main_language = a->src->main_language,
                                          .functions = a->src->functions,
                                          .categories = a->src->categories,
                                          .calendar_id = a->id,
                                          .uid = e->uid,
                                          .hash = e->hash};
    enum db_qs qs;

    if (had != NULL && had->active && strcmp(had->hash, e->hash) == 0) {
        a->rep->unchanged++;
        return 1;
    }
    if ((qs = db_write_source_offer(a->db, had ? had->id : NULL, &f, new_id)) < 0)
        return qs;
    const char *offer = had ? had->id : new_id;
    if ((qs = write_times(a->db, offer, e, a->src->main_language)) < 0 ||
        (qs = db_insert_audit(a->db, a->key_id, had ? "update" : "create", "offer", offer, NULL)) <
            0)
        return qs;
    if (had)
        a->rep->updated++;
    else
        a->rep->created++;
    return 1;
}

/* Every event of the calendar into the partner's offers, in one transaction. */
static enum db_qs
apply(struct apply *a)
{
    struct source_offer *had = NULL;
    size_t nhad = 0, nuids = 0;
    char(*gone)[40] = NULL;
    json_t *uids = json_array();
    enum db_qs qs;

    if ((qs = db_begin(a->db)) != DB_NO_ROWS ||
        (qs = db_source_offers(a->db, a->id, &had, &nhad)) < 0)
        goto out;
    for (size_t i = 0; i < a->cal->n && qs >= 0; i++) {
        qs = apply_event(a, &a->cal->events[i], find(had, nhad, a->cal->events[i].uid));
        json_array_append_new(uids, json_string(a->cal->events[i].uid));
    }
    /* Statements on offers announce a change of the feed even when they change no row: only
     * what has something to do runs (an unchanged calendar writes nothing). */
    bool leaving = false, due = false;
    for (size_t i = 0; i < nhad; i++) {
        bool kept = find_event(a->cal, had[i].uid);
        leaving |= had[i].active && !kept;
        due |= had[i].active && kept && had[i].confirm_due;
    }
    if (qs >= 0 && leaving &&
        (qs = db_archive_source_offers(a->db, a->id, uids, &gone, &nuids)) >= 0) {
        a->rep->archived = (int)nuids;
        json_t *active = json_pack("[s]", "active");
        for (size_t i = 0; i < nuids && qs >= 0; i++)
            qs = db_insert_audit(a->db, a->key_id, "update", "offer", gone[i], active);
        json_decref(active);
    }
    if (qs >= 0 && due)
        qs = db_reconfirm_source_offers(a->db, a->id);
    if (qs >= 0)
        qs = db_commit(a->db);
out:
    if (qs < 0)
        db_rollback(a->db);
    free(had);
    free(gone);
    json_decref(uids);
    return qs;
}

/* The report's refusals as [{uid, field, reason}]. */
static void
note_refusals(struct calendar_report *rep, const struct ics_calendar *cal)
{
    for (size_t i = 0; i < cal->nrefused; i++)
        json_array_append_new(rep->refused,
                              json_pack("{s:s, s:s, s:s}", "uid", cal->refused[i].uid, "field",
                                        cal->refused[i].field, "reason", cal->refused[i].reason));
}

/* Fetches and reads the calendar, and applies it: the report says how it went. */
static enum db_qs
run(struct db_conn *db, const char *id, const char *key_id, const struct calendar_source *src,
    struct calendar_report *rep, struct outbound_answer *ans)
{
    char url[SECRET_PLAIN_MAX + 1], err[200];
    struct ics_calendar cal;
    const struct stek_config *cfg = stek_config();

    if (!secret_open(src->url, id, url, sizeof(url))) {
        snprintf(rep->error, sizeof(rep->error),
                 "the address cannot be opened with this daemon's key ring");
        return 1;
    }
    if (!outbound_fetch(cfg->calendar_allow, "STEK_CALENDAR_ALLOW", cfg->calendar_ca_file, url,
                        src->etag, src->last_modified, CALENDAR_MAX_BYTES, CALENDAR_TIMEOUT_S,
                        ans)) {
        snprintf(rep->error, sizeof(rep->error), "%s", ans->error);
        rep->http_status = ans->status;
        return 1;
    }
    rep->http_status = ans->status;
    if (ans->status == 304) { /* unchanged since the last answer: nothing to read */
        struct source_offer *had = NULL;
        size_t n = 0;
        enum db_qs qs = db_source_offers(db, id, &had, &n);
        bool due = false;
        for (size_t i = 0; i < n; i++) {
            rep->unchanged += had[i].active;
            due |= had[i].active && had[i].confirm_due;
        }
        free(had);
        rep->ok = qs >= 0;
        return qs < 0 || !due ? qs : db_reconfirm_source_offers(db, id);
    }
    if (ans->status != 200) {
        snprintf(rep->error, sizeof(rep->error), "the calendar's server answered %ld", ans->status);
        return 1;
    }
    if (!ics_read(ans->body ? ans->body : "", src->timezone, service_today(), &cal, err,
                  sizeof(err))) {
        snprintf(rep->error, sizeof(rep->error), "%s", err);
        return 1;
    }
    note_refusals(rep, &cal);
    struct apply a = {db, id, key_id, src, &cal, rep};
    enum db_qs qs = apply(&a);
    ics_calendar_clear(&cal);
    rep->ok = qs >= 0;
    return qs;
}

enum db_qs
calendar_sync(struct db_conn *db, const char *id, const char *key_id, struct db_doc *doc)
{
    struct calendar_source src;
    struct calendar_report rep = {.refused = json_array()};
    struct outbound_answer ans = {0};
    struct timespec t0;
    enum db_qs qs;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((qs = db_calendar_for_sync(db, id, &src)) <= 0)
        goto out;
    qs = run(db, id, key_id, &src, &rep, &ans);
    if (qs < 0 && rep.error[0] == '\0')
        snprintf(rep.error, sizeof(rep.error), "the database failed while writing the offers");
    rep.ms = ms_since(&t0);
    /* The validators are kept only from an answer that was read whole. */
    bool read = rep.ok && ans.status == 200;
    if (db_finish_calendar_sync(db, id, rep.ok, read ? ans.etag : NULL,
                                read ? ans.last_modified : NULL) < 0 ||
        (qs = db_insert_calendar_run(db, id, &rep, doc)) < 0)
        qs = qs < 0 ? qs : DB_HARD_ERROR;
out:
    free(ans.body);
    calendar_source_clear(&src);
    json_decref(rep.refused);
    return qs;
}
