/* Uploads: rules in words in four languages, and CSV read as spreadsheets write it. */
#include "check.h"
#include "stek/offerimport.h"

#include <string.h>

static bool
rule_is(const char *words, const char *want)
{
    char out[200];
    bool ok = import_rule(words, out, sizeof(out)) && strcmp(out, want) == 0;
    if (!ok)
        printf("rule '%s' -> '%s', wanted '%s'\n", words, out, want);
    return ok;
}

void
test_import(void)
{
    char out[200];

    CHECK(rule_is("elke dinsdag", "FREQ=WEEKLY;BYDAY=TU"));
    CHECK(rule_is("Every Tuesday and Thursday", "FREQ=WEEKLY;BYDAY=TU,TH"));
    CHECK(rule_is("chaque mardi", "FREQ=WEEKLY;BYDAY=TU"));
    CHECK(rule_is("jeden Freitag", "FREQ=WEEKLY;BYDAY=FR"));
    CHECK(rule_is("om de 2 weken op maandag", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"));
    CHECK(rule_is("every other Monday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"));
    CHECK(rule_is("toutes les 2 semaines le lundi", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"));
    CHECK(rule_is("eerste woensdag van de maand", "FREQ=MONTHLY;BYDAY=1WE"));
    CHECK(rule_is("dernier vendredi du mois", "FREQ=MONTHLY;BYDAY=-1FR"));
    CHECK(rule_is("dritter Mittwoch im Monat", "FREQ=MONTHLY;BYDAY=3WE"));
    CHECK(rule_is("2de donderdag van de maand", "FREQ=MONTHLY;BYDAY=2TH"));
    CHECK(rule_is("dagelijks", "FREQ=DAILY"));
    CHECK(rule_is("eenmalig", ""));
    CHECK(rule_is("", ""));
    CHECK(rule_is("FREQ=WEEKLY;BYDAY=SU", "FREQ=WEEKLY;BYDAY=SU"));
    CHECK(!import_rule("soms eens", out, sizeof(out)));
    CHECK(!import_rule("af en toe", out, sizeof(out)));

    json_t *errors = json_array();
    const char *csv =
        "\xEF\xBB\xBFTitle;Site;partner;functions;dtstart;rrule;start_time;end_time\r\n"
        "\"Koffie; thee\";S;P;meeting|learning;2026-12-01;elke dinsdag;13:00;16:00\r\n"
        "\r\n"
        "\"Met \"\"aanhalingstekens\"\"\";S;P;meeting;2026-12-01;;10:00;11:00\r\n";
    json_t *rows = import_rows(csv, strlen(csv), true, errors);
    CHECK(json_array_size(errors) == 0 && json_array_size(rows) == 2);
    json_t *first = json_object_get(json_array_get(rows, 0), "doc");
    CHECK(strcmp(json_string_value(json_object_get(first, "title")), "Koffie; thee") == 0);
    CHECK(json_array_size(json_object_get(first, "functions")) == 2);
    /* dtstart is "from": the rule's first occurrence on or after it (a Tuesday) */
    json_t *sched = json_array_get(json_object_get(first, "schedules"), 0);
    CHECK(strcmp(json_string_value(json_object_get(sched, "dtstart")), "2026-12-01") == 0);
    json_t *second = json_object_get(json_array_get(rows, 1), "doc");
    CHECK(strcmp(json_string_value(json_object_get(second, "title")), "Met \"aanhalingstekens\"") ==
          0);
    CHECK(json_integer_value(json_object_get(json_array_get(rows, 1), "row")) == 3);
    json_decref(rows);
    json_decref(errors);
    CHECK(strcmp(import_column("schedules[0].rrule"), "rrule") == 0);
    CHECK(strcmp(import_column("site_id"), "site") == 0);
}
