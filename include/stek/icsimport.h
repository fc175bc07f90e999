/*
 * Reading a partner's own calendar (service/stekd/domain/icsimport.c): an iCalendar file as
 * Google, Outlook/Microsoft 365, Nextcloud and Apple write it, parsed by libical (iCalendar in
 * the wild is too irregular to read by hand), each event (by UID) into what an offer holds:
 * its title and description, schedules in the site's local dates and times, and exceptions.
 *
 * - Time zones as calendars send them: TZID with IANA names, Windows names ("Romance Standard
 *   Time"), a VTIMEZONE of the calendar's own, X-WR-TIMEZONE for floating times (else the
 *   site's zone), UTC. Times are converted to the site's zone.
 * - A rule stek can express (FREQ=DAILY|WEEKLY|MONTHLY with INTERVAL, BYDAY, BYMONTHDAY,
 *   COUNT, UNTIL, its local time the same at every occurrence) becomes a schedule; another
 *   keeps its occurrences of the coming year as single dates (at most ICS_MAX_SCHEDULES).
 * - EXDATE: a cancelled date; an override (RECURRENCE-ID): a cancelled occurrence (STATUS:
 *   CANCELLED), one at other hours the same day (moved), or one moved to another day (the
 *   original cancelled, the new day a single date).
 * - All-day events: that day (never shifted by a time zone), 00:00 to 23:59; several days:
 *   each of them.
 * - A cancelled event (STATUS:CANCELLED) is left out, as if it had left the calendar.
 * - Texts are read by the privacy guard: a description with personal data is imported
 *   without it, an event whose title holds any is refused; each such refusal is reported.
 */
#ifndef STEK_ICSIMPORT_H
#define STEK_ICSIMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICS_MAX_SCHEDULES 20
#define ICS_RULE_MAX 160

struct ics_schedule {
    int32_t dtstart, until;   /* local days; until DAY_NONE for none */
    char rrule[ICS_RULE_MAX]; /* stek's rule (rrule.h), "" for a single date */
    int start_min, end_min;   /* local minutes of the day */
};

struct ics_exception {
    int32_t day;    /* the local date of the occurrence */
    bool cancelled; /* else moved to start_min..end_min the same day */
    int start_min, end_min;
};

struct ics_event {
    char *uid, *title, *description; /* owned; description NULL when none or refused */
    struct ics_schedule schedules[ICS_MAX_SCHEDULES];
    int nschedules;
    struct ics_exception *exceptions; /* owned, by day */
    int nexceptions;
    char hash[65]; /* of everything above but the uid: equal when nothing changed */
};

/* An event or a field of it that was not imported: uid, field and why (never the text). */
struct ics_refusal {
    char uid[256], field[32], reason[200];
};

struct ics_calendar {
    struct ics_event *events; /* by uid */
    size_t n;
    struct ics_refusal *refused;
    size_t nrefused;
};

/*
 * Reads text (NUL-terminated) for a site in the IANA zone site_tz, on the site's local day
 * today (single dates are kept from today to a year on). False, with why in err, when the
 * text is no iCalendar data or the zone is unknown; refusals of single events do not fail it.
 */
bool ics_read(const char *text, const char *site_tz, int32_t today, struct ics_calendar *out,
              char *err, size_t errlen);

void ics_calendar_clear(struct ics_calendar *c);

/* The IANA name of a Windows time zone name ("Romance Standard Time" is Europe/Paris), or
 * NULL when it is none the table knows. */
const char *ics_windows_zone(const char *name);

#endif
