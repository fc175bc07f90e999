/* Partners' calendars read as their producers write them (tests/calendars/). */
#include "check.h"
#include "stek/date.h"
#include "stek/icsimport.h"

#include <stdlib.h>
#include <string.h>

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || (buf = calloc(1, (size_t)n + 1)) == NULL ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        if (f != NULL)
            fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

static const struct ics_event *
event(const struct ics_calendar *c, const char *title)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->events[i].title, title) == 0)
            return &c->events[i];
    return NULL;
}

void
test_ics(void)
{
    struct ics_calendar c;
    char err[200], day[11];
    int32_t today;
    char *g = slurp("tests/calendars/google.ics"), *o = slurp("tests/calendars/outlook.ics");

    CHECK(g != NULL && o != NULL && date_parse("2026-12-07", &today));
    if (g == NULL || o == NULL)
        return;
    CHECK(ics_read(g, "Europe/Brussels", today, &c, err, sizeof(err)));
    CHECK(c.n == 3); /* the cancelled series is none */
    const struct ics_event *e = event(&c, "Ontmoetingsnamiddag");
    CHECK(e != NULL && e->nschedules == 1 &&
          strcmp(e->schedules[0].rrule, "FREQ=WEEKLY;BYDAY=TU") == 0 &&
          e->schedules[0].start_min == 14 * 60 && e->schedules[0].end_min == 16 * 60 + 30);
    CHECK(e != NULL && e->nexceptions == 3 && e->exceptions[0].cancelled &&
          !e->exceptions[1].cancelled && e->exceptions[1].start_min == 15 * 60);
    CHECK(e != NULL &&
          strcmp(e->description,
                 "Koffie, thee en een babbel. Iedereen welkom; ook met kinderen.") == 0);
    /* UTC times of a calendar in Europe/Brussels repeat at its wall-clock time */
    e = event(&c, "Repair café");
    CHECK(e != NULL && e->nschedules == 1 && e->schedules[0].start_min == 10 * 60 &&
          strcmp(e->schedules[0].rrule, "FREQ=MONTHLY;BYDAY=2TH") == 0);
    e = event(&c, "Kerstmarkt");
    date_format(e ? e->schedules[0].dtstart : 0, day);
    CHECK(e != NULL && strcmp(day, "2026-12-19") == 0 && e->schedules[0].start_min == 0 &&
          e->schedules[0].end_min == 23 * 60 + 59);
    char hash[65];
    snprintf(hash, sizeof(hash), "%s", c.events[0].hash);
    ics_calendar_clear(&c);
    /* the same calendar fetched again reads the same */
    CHECK(ics_read(g, "Europe/Brussels", today, &c, err, sizeof(err)) && c.n == 3 &&
          strcmp(c.events[0].hash, hash) == 0);
    ics_calendar_clear(&c);

    CHECK(ics_read(o, "Europe/Brussels", today, &c, err, sizeof(err)) && c.n == 2);
    e = event(&c, "Digitaal spreekuur");
    CHECK(e != NULL && e->description == NULL &&
          strcmp(e->schedules[0].rrule, "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20270630") == 0);
    CHECK(c.nrefused == 1 && strcmp(c.refused[0].field, "description") == 0 &&
          strstr(c.refused[0].reason, "example.org") == NULL);
    ics_calendar_clear(&c);
    CHECK(strcmp(ics_windows_zone("Romance Standard Time"), "Europe/Paris") == 0);
    CHECK(!ics_read("not a calendar", "Europe/Brussels", today, &c, err, sizeof(err)));
    CHECK(!ics_read(g, "Mars/Olympus", today, &c, err, sizeof(err)));
    free(g);
    free(o);
}
