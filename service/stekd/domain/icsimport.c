/* A partner's calendar into offers' schedules and exceptions: see icsimport.h. */
#include "stek/icsimport.h"
#include "stek/crypto.h"
#include "stek/date.h"
#include "stek/privacy.h"
#include "stek/rrule.h"
#include "stek/strbuf.h"
#include "stek/tz.h"

#include <libical/ical.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define YEAR_AHEAD 366
#define DAY_MINUTES (24 * 60)

/* Windows' zone names as Outlook and Microsoft 365 write them (CLDR's windowsZones, the zones
 * of Europe and the most frequent others), and the names Outlook gives them in words. */
static const struct {
    const char *windows, *iana;
} windows_zones[] = {
    {"Romance Standard Time", "Europe/Paris"},
    {"W. Europe Standard Time", "Europe/Berlin"},
    {"Central Europe Standard Time", "Europe/Budapest"},
    {"Central European Standard Time", "Europe/Warsaw"},
    {"GMT Standard Time", "Europe/London"},
    {"Greenwich Standard Time", "Atlantic/Reykjavik"},
    {"E. Europe Standard Time", "Europe/Chisinau"},
    {"FLE Standard Time", "Europe/Kiev"},
    {"GTB Standard Time", "Europe/Bucharest"},
    {"Turkey Standard Time", "Europe/Istanbul"},
    {"Russian Standard Time", "Europe/Moscow"},
    {"Morocco Standard Time", "Africa/Casablanca"},
    {"W. Central Africa Standard Time", "Africa/Lagos"},
    {"Eastern Standard Time", "America/New_York"},
    {"Central Standard Time", "America/Chicago"},
    {"Mountain Standard Time", "America/Denver"},
    {"Pacific Standard Time", "America/Los_Angeles"},
    {"UTC", "UTC"},
    {"Coordinated Universal Time", "UTC"},
    {"(UTC+01:00) Brussels, Copenhagen, Madrid, Paris", "Europe/Brussels"},
    {"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Amsterdam"},
    {"(UTC) Dublin, Edinburgh, Lisbon, London", "Europe/London"},
};

const char *
ics_windows_zone(const char *name)
{
    for (size_t i = 0; i < sizeof(windows_zones) / sizeof(windows_zones[0]); i++)
        if (strcasecmp(windows_zones[i].windows, name) == 0)
            return windows_zones[i].iana;
    return NULL;
}

/* The zone an event's wall-clock times are in: an IANA zone of tz.c, else libical's reading
 * of a VTIMEZONE the calendar defines (a zone of its own, not one of IANA's). */
struct zone {
    const struct tz *iana;
    icaltimezone *lz;
};

struct reader {
    icalcomponent *cal;
    const struct tz *site;
    struct zone floating; /* X-WR-TIMEZONE, else the site's */
    bool wr;              /* the calendar named its zone (X-WR-TIMEZONE) */
    int32_t today;
    struct ics_calendar *out;
};

static void
refuse(struct reader *rd, const char *uid, const char *field, const char *reason)
{
    struct ics_calendar *c = rd->out;
    struct ics_refusal *r = realloc(c->refused, (c->nrefused + 1) * sizeof(*r));
    if (r == NULL)
        abort();
    c->refused = r;
    r = &c->refused[c->nrefused++];
    snprintf(r->uid, sizeof(r->uid), "%s", uid ? uid : "");
    snprintf(r->field, sizeof(r->field), "%s", field);
    snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

/* A TZID into a zone: an IANA name (also behind libical's own prefix), a Windows name, a
 * VTIMEZONE of the calendar (by its location when IANA knows it); false when none. */
static bool
zone_named(struct reader *rd, const char *tzid, struct zone *z)
{
    const char *name = tzid, *p;
    *z = (struct zone){0};
    if ((p = strstr(tzid, "/freeassociation.sourceforge.net/")) != NULL)
        name = p + strlen("/freeassociation.sourceforge.net/");
    if ((z->iana = tz_cached(name)) != NULL)
        return true;
    if ((p = ics_windows_zone(name)) != NULL && (z->iana = tz_cached(p)) != NULL)
        return true;
    icaltimezone *lz = icalcomponent_get_timezone(rd->cal, tzid);
    if (lz == NULL)
        return false;
    const char *loc = icaltimezone_get_location(lz);
    if (loc != NULL && (z->iana = tz_cached(loc)) != NULL)
        return true;
    z->lz = lz;
    return true;
}

/* The instant of a wall-clock time in a zone. */
static int64_t
zone_instant(const struct zone *z, int32_t day, int minute)
{
    if (z->iana != NULL)
        return tz_local_to_utc(z->iana, day, minute, &(int32_t){0});
    int y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    struct icaltimetype t = icaltime_null_time();
    t.year = y;
    t.month = (int)m;
    t.day = (int)d;
    t.hour = minute / 60;
    t.minute = minute % 60;
    return (int64_t)icaltime_as_timet_with_zone(t, z->lz);
}

/* What a DATE or DATE-TIME value says: for a date, the day itself; for a time, the site's
 * local day and minute of its instant (and the zone it was written in). */
struct when {
    bool date;
    int32_t day; /* a date's day, or the site's local day */
    int minute;  /* the site's local minute */
    int32_t wall_day;
    int wall_minute; /* as written, in zone */
    struct zone zone;
    int64_t utc;
};

static bool
when_of(struct reader *rd, icalproperty *p, struct icaltimetype t, struct when *w)
{
    icalparameter *tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    *w = (struct when){0};
    if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t))
        return false;
    w->wall_day = days_from_civil(t.year, (unsigned)t.month, (unsigned)t.day);
    w->wall_minute = t.is_date ? 0 : t.hour * 60 + t.minute;
    if (t.is_date) {
        w->date = true;
        w->day = w->wall_day;
        return true;
    }
    if (icaltime_is_utc(t) && rd->wr && rd->floating.iana != NULL) {
        /* Google writes some times in UTC and means them in the calendar's zone: a rule of
         * such a time repeats its wall-clock time there (as Google shows it, and as RFC 7986's
         * readers of X-WR-TIMEZONE do). */
        int64_t utc = (int64_t)icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone());
        int64_t wall = utc + tz_offset_at(rd->floating.iana, utc);
        w->zone = rd->floating;
        w->wall_day = (int32_t)(wall >= 0 ? wall / 86400 : (wall - 86399) / 86400);
        w->wall_minute = (int)((wall - (int64_t)w->wall_day * 86400) / 60);
    } else if (icaltime_is_utc(t))
        w->zone.iana = tz_cached("UTC");
    else if (tzp == NULL || !zone_named(rd, icalparameter_get_tzid(tzp), &w->zone))
        w->zone = rd->floating; /* floating, or a TZID nothing defines */
    if (w->zone.iana == NULL && w->zone.lz == NULL)
        return false;
    w->utc = zone_instant(&w->zone, w->wall_day, w->wall_minute);
    int64_t local = w->utc + tz_offset_at(rd->site, w->utc);
    w->day = (int32_t)(local >= 0 ? local / 86400 : (local - 86399) / 86400);
    w->minute = (int)((local - (int64_t)w->day * 86400) / 60);
    return true;
}

/* The local minutes an occurrence lasts: DTEND, else DURATION, else an hour. */
static int
duration_minutes(struct reader *rd, icalcomponent *ev, const struct when *start)
{
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    struct when end;
    if (p != NULL && when_of(rd, p, icalproperty_get_dtend(p), &end)) {
        if (start->date)
            return (end.day - start->day) * DAY_MINUTES;
        return (int)((end.utc - start->utc) / 60);
    }
    if ((p = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY)) != NULL)
        return icaldurationtype_as_int(icalproperty_get_duration(p)) / 60;
    return start->date ? DAY_MINUTES : 60;
}

/* A day of stek's BYDAY. */
static const char *const weekday_codes[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};

static bool
list_empty(const short *a, size_t n)
{
    return n == 0 || a[0] == ICAL_RECURRENCE_ARRAY_MAX;
}

/*
 * libical's reading of an RRULE as stek's rule (wall-clock days of zone), with UNTIL as the
 * last day an occurrence at wall_minute falls on; false for a rule stek cannot express.
 */
static bool
stek_rule(const struct icalrecurrencetype *r, const struct when *start, char *out, size_t len)
{
    struct strbuf b = {0};
    static const char *const freqs[] = {[ICAL_DAILY_RECURRENCE] = "DAILY",
                                        [ICAL_WEEKLY_RECURRENCE] = "WEEKLY",
                                        [ICAL_MONTHLY_RECURRENCE] = "MONTHLY"};
    int nday = 0;
    bool sunday = false;
    char err[160];
    struct rrule parsed;

    if ((r->freq != ICAL_DAILY_RECURRENCE && r->freq != ICAL_WEEKLY_RECURRENCE &&
         r->freq != ICAL_MONTHLY_RECURRENCE) ||
        !list_empty(r->by_second, ICAL_BY_SECOND_SIZE) ||
        !list_empty(r->by_minute, ICAL_BY_MINUTE_SIZE) ||
        !list_empty(r->by_hour, ICAL_BY_HOUR_SIZE) ||
        !list_empty(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
        !list_empty(r->by_week_no, ICAL_BY_WEEKNO_SIZE) ||
        !list_empty(r->by_month, ICAL_BY_MONTH_SIZE) ||
        !list_empty(r->by_set_pos, ICAL_BY_SETPOS_SIZE))
        return false;
    sb_printf(&b, "FREQ=%s", freqs[r->freq]);
    if (r->interval > 1)
        sb_printf(&b, ";INTERVAL=%d", r->interval);
    for (int i = 0; i < ICAL_BY_DAY_SIZE && r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
        int pos = icalrecurrencetype_day_position(r->by_day[i]);
        int wd = (int)icalrecurrencetype_day_day_of_week(r->by_day[i]) - 1;
        if (wd < 0 || wd > 6)
            goto no;
        sunday |= wd == 0;
        if (pos != 0)
            sb_printf(&b, "%s%d%s", nday++ ? "," : ";BYDAY=", pos, weekday_codes[wd]);
        else
            sb_printf(&b, "%s%s", nday++ ? "," : ";BYDAY=", weekday_codes[wd]);
    }
    /* The week's first day matters only to a rule of several days every other week or so,
     * and a week from Sunday groups them as one from Monday unless Sunday is among them. */
    if (r->freq == ICAL_WEEKLY_RECURRENCE && r->interval > 1 && nday > 1 &&
        r->week_start != ICAL_MONDAY_WEEKDAY && !(r->week_start == ICAL_SUNDAY_WEEKDAY && !sunday))
        goto no;
    for (int i = 0; i < ICAL_BY_MONTHDAY_SIZE && r->by_month_day[i] != ICAL_RECURRENCE_ARRAY_MAX;
         i++)
        sb_printf(&b, "%s%d", i ? "," : ";BYMONTHDAY=", r->by_month_day[i]);
    if (r->count > 0)
        sb_printf(&b, ";COUNT=%d", r->count);
    if (!icaltime_is_null_time(r->until)) {
        int32_t uday =
            days_from_civil(r->until.year, (unsigned)r->until.month, (unsigned)r->until.day);
        if (!r->until.is_date && icaltime_is_utc(r->until) && start->zone.iana != NULL) {
            /* the last wall-clock day whose occurrence starts at or before UNTIL */
            int64_t until =
                (int64_t)icaltime_as_timet_with_zone(r->until, icaltimezone_get_utc_timezone());
            int64_t wall = until + tz_offset_at(start->zone.iana, until);
            uday = (int32_t)(wall / 86400);
            if ((int)((wall - (int64_t)uday * 86400) / 60) < start->wall_minute)
                uday--;
        } else if (!r->until.is_date && r->until.hour * 60 + r->until.minute < start->wall_minute) {
            uday--;
        }
        char d[11];
        date_format(uday, d);
        sb_printf(&b, ";UNTIL=%.4s%.2s%.2s", d, d + 5, d + 8);
    }
    bool ok = b.len < len && rrule_parse(b.p, &parsed, err, sizeof(err));
    if (ok)
        snprintf(out, len, "%s", b.p);
    free(b.p);
    return ok;
no:
    free(b.p);
    return false;
}

/* The site's local day and minute of an instant. */
static void
site_local(const struct reader *rd, int64_t utc, int32_t *day, int *minute)
{
    int64_t local = utc + tz_offset_at(rd->site, utc);
    *day = (int32_t)(local >= 0 ? local / 86400 : (local - 86399) / 86400);
    *minute = (int)((local - (int64_t)*day * 86400) / 60);
}

static bool
add_schedule(struct ics_event *e, int32_t day, const char *rule, int start, int end)
{
    if (e->nschedules == ICS_MAX_SCHEDULES)
        return false;
    struct ics_schedule *s = &e->schedules[e->nschedules++];
    *s = (struct ics_schedule){
        .dtstart = day, .until = DAY_NONE, .start_min = start, .end_min = end};
    snprintf(s->rrule, sizeof(s->rrule), "%s", rule ? rule : "");
    return true;
}

static void
add_exception(struct ics_event *e, int32_t day, bool cancelled, int start, int end)
{
    for (int i = 0; i < e->nexceptions; i++)
        if (e->exceptions[i].day == day) { /* an override says more than an EXDATE */
            e->exceptions[i] = (struct ics_exception){day, cancelled, start, end};
            return;
        }
    struct ics_exception *x = realloc(e->exceptions, (size_t)(e->nexceptions + 1) * sizeof(*x));
    if (x == NULL)
        abort();
    e->exceptions = x;
    x[e->nexceptions++] = (struct ics_exception){day, cancelled, start, end};
}

/* An occurrence's local times: all day (00:00 to 23:59), else from its start, for minutes,
 * within its day. */
static void
local_span(const struct when *w, int minutes, int *start, int *end)
{
    *start = w->date ? 0 : w->minute;
    *end = w->date ? DAY_MINUTES - 1 : w->minute + (minutes > 0 ? minutes : 60);
    if (*end > DAY_MINUTES - 1)
        *end = DAY_MINUTES - 1;
}

/* Whether every occurrence of the rule in the coming year starts at the same local time as
 * the first: the event's zone and the site's agree then (the same zone, or the same offsets). */
static bool
stable(const struct reader *rd, const struct when *w, const char *rule)
{
    struct rrule r;
    char err[160];
    int32_t days[YEAR_AHEAD + 31];
    bool more;

    if (w->date)
        return true;
    if (w->day != w->wall_day || !rrule_parse(rule, &r, err, sizeof(err)))
        return false;
    int n = rrule_expand(&r, w->wall_day, DAY_NONE, rd->today - 1, rd->today + YEAR_AHEAD, days,
                         (int)(sizeof(days) / sizeof(days[0])), &more);
    for (int i = 0; i < n; i++) {
        int32_t day;
        int minute;
        site_local(rd, zone_instant(&w->zone, days[i], w->wall_minute), &day, &minute);
        if (day != days[i] || minute != w->minute)
            return false;
    }
    return true;
}

/* The occurrences of a rule stek cannot express, from today to a year on, as single dates. */
static void
single_dates(struct reader *rd, icalcomponent *ev, const struct when *w, int minutes,
             struct ics_event *e)
{
    icalproperty *rp = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
    icalproperty *dp = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    icalrecur_iterator *it =
        icalrecur_iterator_new(icalproperty_get_rrule(rp), icalproperty_get_dtstart(dp));
    bool full = false;

    for (struct icaltimetype t = it ? icalrecur_iterator_next(it) : icaltime_null_time();
         it != NULL && !icaltime_is_null_time(t); t = icalrecur_iterator_next(it)) {
        struct when o = *w;
        o.wall_day = days_from_civil(t.year, (unsigned)t.month, (unsigned)t.day);
        if (o.date)
            o.day = o.wall_day;
        else
            site_local(rd, zone_instant(&w->zone, o.wall_day, w->wall_minute), &o.day, &o.minute);
        if (o.day > rd->today + YEAR_AHEAD)
            break;
        if (o.day < rd->today)
            continue;
        int start, end;
        local_span(&o, minutes, &start, &end);
        if (!add_schedule(e, o.day, NULL, start, end)) {
            full = true;
            break;
        }
    }
    if (it != NULL)
        icalrecur_iterator_free(it);
    if (full)
        refuse(rd, e->uid, "schedules",
               "more than 20 occurrences in the coming year follow a rule stek cannot express: "
               "the first 20 are kept");
}

/* A text property (as libical unescapes it), trimmed; NULL when absent or empty. New. */
static char *
text_of(icalcomponent *ev, icalproperty_kind kind)
{
    icalproperty *p = icalcomponent_get_first_property(ev, kind);
    const char *v = p != NULL ? icalvalue_get_text(icalproperty_get_value(p)) : NULL;
    if (v == NULL)
        return NULL;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n' || v[n - 1] == '\r'))
        n--;
    if (n == 0)
        return NULL;
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    memcpy(s, v, n);
    s[n] = '\0';
    return s;
}

/* The event's texts, read by the privacy guard; false when the event cannot be taken. */
static bool
read_texts(struct reader *rd, icalcomponent *ev, struct ics_event *e)
{
    e->title = text_of(ev, ICAL_SUMMARY_PROPERTY);
    e->description = text_of(ev, ICAL_DESCRIPTION_PROPERTY);
    if (e->title == NULL) {
        refuse(rd, e->uid, "title", "the event has no SUMMARY");
        return false;
    }
    if (utf8_chars(e->title) > 200 || privacy_scan(e->title) != 0) {
        refuse(rd, e->uid, "title",
               privacy_scan(e->title) != 0 ? "holds personal data: the event is not imported"
                                           : "is longer than 200 characters");
        return false;
    }
    if (e->description != NULL && privacy_scan(e->description) != 0) {
        char why[160];
        snprintf(why, sizeof(why), "holds personal data (%s): imported without it",
                 privacy_kind_name(privacy_scan(e->description)));
        refuse(rd, e->uid, "description", why);
        free(e->description);
        e->description = NULL;
    } else if (e->description != NULL && utf8_chars(e->description) > 4000) {
        refuse(rd, e->uid, "description", "is longer than 4,000 characters: imported without it");
        free(e->description);
        e->description = NULL;
    }
    return true;
}

/* EXDATE: cancelled dates of the rule. */
static void
read_exdates(struct reader *rd, icalcomponent *ev, struct ics_event *e)
{
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p != NULL;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
        struct when x;
        if (when_of(rd, p, icalproperty_get_exdate(p), &x))
            add_exception(e, x.day, true, 0, 0);
    }
}

/* An override (RECURRENCE-ID) of one occurrence: cancelled, at other hours, or on another day
 * (the original cancelled, the new day a single date). */
static void
read_override(struct reader *rd, icalcomponent *ov, struct ics_event *e)
{
    icalproperty *rid = icalcomponent_get_first_property(ov, ICAL_RECURRENCEID_PROPERTY);
    icalproperty *dp = icalcomponent_get_first_property(ov, ICAL_DTSTART_PROPERTY);
    struct when orig, now;
    int start, end;

    if (rid == NULL || !when_of(rd, rid, icalproperty_get_recurrenceid(rid), &orig))
        return;
    if (icalcomponent_get_status(ov) == ICAL_STATUS_CANCELLED || dp == NULL ||
        !when_of(rd, dp, icalproperty_get_dtstart(dp), &now)) {
        add_exception(e, orig.day, true, 0, 0);
        return;
    }
    local_span(&now, duration_minutes(rd, ov, &now), &start, &end);
    if (now.day == orig.day) {
        add_exception(e, orig.day, false, start, end);
        return;
    }
    add_exception(e, orig.day, true, 0, 0);
    if (!add_schedule(e, now.day, NULL, start, end))
        refuse(rd, e->uid, "schedules", "an occurrence moved to another day does not fit");
}

/* The event's schedules from DTSTART, RRULE and RDATE; false when it has no usable start. */
static bool
read_schedules(struct reader *rd, icalcomponent *ev, struct ics_event *e)
{
    icalproperty *dp = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    icalproperty *rp = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
    struct when w;
    char rule[ICS_RULE_MAX];
    int start, end;

    if (dp == NULL || !when_of(rd, dp, icalproperty_get_dtstart(dp), &w)) {
        refuse(rd, e->uid, "dtstart", "has no start stek can read (or a time zone none defines)");
        return false;
    }
    int minutes = duration_minutes(rd, ev, &w);
    local_span(&w, minutes, &start, &end);
    if (end <= start) {
        refuse(rd, e->uid, "dtstart", "starts at the last minute of the day");
        return false;
    }
    if (rp != NULL) {
        struct icalrecurrencetype r = icalproperty_get_rrule(rp);
        /* (libical's property iterator is the component's: counted, never walked here) */
        if (icalcomponent_count_properties(ev, ICAL_RRULE_PROPERTY) == 1 &&
            stek_rule(&r, &w, rule, sizeof(rule)) && stable(rd, &w, rule))
            add_schedule(e, w.day, rule, start, end);
        else
            single_dates(rd, ev, &w, minutes, e);
    } else if (w.date && minutes > DAY_MINUTES) { /* several whole days: each of them */
        snprintf(rule, sizeof(rule), "FREQ=DAILY;COUNT=%d", minutes / DAY_MINUTES);
        add_schedule(e, w.day, rule, start, end);
    } else {
        add_schedule(e, w.day, NULL, start, end);
    }
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p != NULL;
         p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY)) {
        struct when x;
        struct icaldatetimeperiodtype v = icalproperty_get_rdate(p);
        if (when_of(rd, p, v.time, &x) && x.day >= rd->today && x.day <= rd->today + YEAR_AHEAD) {
            local_span(&x, minutes, &start, &end);
            if (!add_schedule(e, x.day, NULL, start, end))
                refuse(rd, e->uid, "schedules", "more than 20 dates: the first 20 are kept");
        }
    }
    read_exdates(rd, ev, e);
    return e->nschedules > 0;
}

static int
by_exception_day(const void *a, const void *b)
{
    int32_t x = ((const struct ics_exception *)a)->day, y = ((const struct ics_exception *)b)->day;
    return (x > y) - (x < y);
}

static int
by_schedule(const void *a, const void *b)
{
    const struct ics_schedule *x = a, *y = b;
    if (x->rrule[0] != y->rrule[0]) /* rules first */
        return x->rrule[0] ? -1 : 1;
    if (x->dtstart != y->dtstart)
        return (x->dtstart > y->dtstart) - (x->dtstart < y->dtstart);
    return x->start_min - y->start_min;
}

/* A fingerprint of what the event makes of the offer, in an order of its own (calendars
 * reorder components and set DTSTAMP to now on every fetch). */
static void
fingerprint(struct ics_event *e)
{
    struct strbuf b = {0};

    if (e->nschedules > 1)
        qsort(e->schedules, (size_t)e->nschedules, sizeof(*e->schedules), by_schedule);
    if (e->nexceptions > 1)
        qsort(e->exceptions, (size_t)e->nexceptions, sizeof(*e->exceptions), by_exception_day);
    sb_printf(&b, "%s\x1f%s\x1f", e->title, e->description ? e->description : "");
    for (int i = 0; i < e->nschedules; i++) {
        const struct ics_schedule *s = &e->schedules[i];
        sb_printf(&b, "%d,%s,%d,%d;", s->dtstart, s->rrule, s->start_min, s->end_min);
    }
    for (int i = 0; i < e->nexceptions; i++) {
        const struct ics_exception *x = &e->exceptions[i];
        sb_printf(&b, "%d,%d,%d,%d;", x->day, x->cancelled, x->start_min, x->end_min);
    }
    stek_sha256_hex(b.p, b.len, e->hash);
    free(b.p);
}

static void
event_clear(struct ics_event *e)
{
    free(e->uid);
    free(e->title);
    free(e->description);
    free(e->exceptions);
    memset(e, 0, sizeof(*e));
}

void
ics_calendar_clear(struct ics_calendar *c)
{
    for (size_t i = 0; i < c->n; i++)
        event_clear(&c->events[i]);
    free(c->events);
    free(c->refused);
    memset(c, 0, sizeof(*c));
}

/* The event read whole, fingerprinted, into the calendar (which takes what it owns). */
static void
keep(struct reader *rd, struct ics_event *e)
{
    struct ics_calendar *c = rd->out;
    struct ics_event *grown = realloc(c->events, (c->n + 1) * sizeof(*grown));

    fingerprint(e);
    if (grown == NULL)
        abort();
    c->events = grown;
    c->events[c->n++] = *e;
}

static const char *
uid_of(icalcomponent *ev)
{
    const char *u = icalcomponent_get_uid(ev);
    return u != NULL && *u != '\0' ? u : NULL;
}

/* One event (the master of its UID) with its overrides among the calendar's events. */
static void
read_event(struct reader *rd, icalcomponent *master, icalcomponent **all, size_t n)
{
    struct ics_event e = {0};
    const char *uid = uid_of(master);

    if (icalcomponent_get_status(master) == ICAL_STATUS_CANCELLED)
        return; /* as if it had left the calendar */
    if ((e.uid = strdup(uid)) == NULL)
        abort();
    if (strlen(uid) > 255) {
        refuse(rd, uid, "uid", "is longer than 255 bytes");
        event_clear(&e);
        return;
    }
    if (!read_texts(rd, master, &e) || !read_schedules(rd, master, &e)) {
        event_clear(&e);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (all[i] != master && uid_of(all[i]) != NULL && strcmp(uid_of(all[i]), uid) == 0 &&
            icalcomponent_get_first_property(all[i], ICAL_RECURRENCEID_PROPERTY) != NULL)
            read_override(rd, all[i], &e);
    keep(rd, &e);
}

/* Whether all[i] is the first instance of a series sent without its master (Outlook shares
 * and some exports pre-expand a series into instances, each with a RECURRENCE-ID). */
static bool
first_instance(icalcomponent **all, size_t n, size_t i)
{
    const char *uid = uid_of(all[i]);
    for (size_t j = 0; j < n; j++) {
        bool same = uid_of(all[j]) != NULL && strcmp(uid_of(all[j]), uid) == 0;
        if (same && icalcomponent_get_first_property(all[j], ICAL_RECURRENCEID_PROPERTY) == NULL)
            return false; /* its master is here: an override */
        if (same && j < i)
            return false;
    }
    return true;
}

/* A series of instances without a master: one offer, each instance within a year of today a
 * single date (a cancelled one is left out). */
static void
read_instances(struct reader *rd, icalcomponent **all, size_t n, size_t first)
{
    struct ics_event e = {0};
    const char *uid = uid_of(all[first]);
    bool full = false;

    if ((e.uid = strdup(uid)) == NULL)
        abort();
    if (!read_texts(rd, all[first], &e)) {
        event_clear(&e);
        return;
    }
    for (size_t i = first; i < n && !full; i++) {
        icalproperty *dp = icalcomponent_get_first_property(all[i], ICAL_DTSTART_PROPERTY);
        struct when w;
        int start, end;
        if (uid_of(all[i]) == NULL || strcmp(uid_of(all[i]), uid) != 0 || dp == NULL ||
            icalcomponent_get_status(all[i]) == ICAL_STATUS_CANCELLED ||
            !when_of(rd, dp, icalproperty_get_dtstart(dp), &w) || w.day < rd->today - YEAR_AHEAD ||
            w.day > rd->today + YEAR_AHEAD)
            continue;
        local_span(&w, duration_minutes(rd, all[i], &w), &start, &end);
        full = !add_schedule(&e, w.day, NULL, start, end);
    }
    if (full)
        refuse(rd, uid, "schedules", "more than 20 instances in the coming year: the first 20");
    if (e.nschedules == 0) {
        event_clear(&e);
        return;
    }
    keep(rd, &e);
}

static int
by_uid(const void *a, const void *b)
{
    return strcmp(((const struct ics_event *)a)->uid, ((const struct ics_event *)b)->uid);
}

/* X-WR-TIMEZONE, the zone Google says a calendar's floating times are in; NULL if none. */
static const char *
calendar_zone(icalcomponent *cal)
{
    for (icalproperty *p = icalcomponent_get_first_property(cal, ICAL_X_PROPERTY); p != NULL;
         p = icalcomponent_get_next_property(cal, ICAL_X_PROPERTY))
        if (strcasecmp(icalproperty_get_x_name(p), "X-WR-TIMEZONE") == 0)
            return icalproperty_get_x(p);
    return NULL;
}

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
static void
quiet_errors(void)
{
    icalerror_set_errors_are_fatal(0); /* a malformed property is skipped, never an abort */
}

bool
ics_read(const char *text, const char *site_tz, int32_t today, struct ics_calendar *out, char *err,
         size_t errlen)
{
    struct reader rd = {.today = today, .out = out};
    icalcomponent *root, *cal, **all = NULL;
    size_t n = 0, cap = 0;

    memset(out, 0, sizeof(*out));
    pthread_once(&quiet_once, quiet_errors);
    if ((rd.site = tz_cached(site_tz)) == NULL) {
        snprintf(err, errlen, "the site's time zone %s is unknown", site_tz);
        return false;
    }
    root = icalparser_parse_string(text);
    cal = root != NULL && icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT ? root
          : root != NULL ? icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT)
                         : NULL;
    if (cal == NULL) {
        snprintf(err, errlen, "the answer is not iCalendar data (no VCALENDAR)");
        if (root != NULL)
            icalcomponent_free(root);
        return false;
    }
    rd.cal = cal;
    const char *wr = calendar_zone(cal);
    rd.wr = wr != NULL && zone_named(&rd, wr, &rd.floating);
    if (!rd.wr)
        rd.floating = (struct zone){.iana = rd.site};
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
         ev != NULL; ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        if (n == cap && (all = realloc(all, (cap = cap ? 2 * cap : 64) * sizeof(*all))) == NULL)
            abort();
        all[n++] = ev;
    }
    for (size_t i = 0; i < n; i++) {
        if (uid_of(all[i]) == NULL)
            refuse(&rd, "", "uid", "an event without UID is not imported");
        else if (icalcomponent_get_first_property(all[i], ICAL_RECURRENCEID_PROPERTY) == NULL)
            read_event(&rd, all[i], all, n);
        else if (first_instance(all, n, i))
            read_instances(&rd, all, n, i);
    }
    free(all);
    icalcomponent_free(root);
    if (out->n > 1)
        qsort(out->events, out->n, sizeof(*out->events), by_uid);
    size_t kept = 0;
    for (size_t i = 0; i < out->n; i++) {
        if (kept > 0 && strcmp(out->events[kept - 1].uid, out->events[i].uid) == 0) {
            refuse(&rd, out->events[i].uid, "uid", "two events with this UID: one is kept");
            event_clear(&out->events[i]);
            continue;
        }
        out->events[kept++] = out->events[i];
    }
    out->n = kept;
    return true;
}
