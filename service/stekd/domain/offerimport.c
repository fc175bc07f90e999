/* Uploads of many offers: see offerimport.h. */
#include "stek/offerimport.h"
#include "stek/feedmodel.h" /* feed_fold */
#include "stek/rrule.h"
#include "stek/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const columns[] = {
    "title", "description", "site",       "partner",  "functions",     "categories",   "dtstart",
    "until", "rrule",       "start_time", "end_time", "free",          "registration", "email",
    "phone", "audience",    "price_note", "kind",     "main_language", NULL,
};

static void
row_error(json_t *errors, size_t row, const char *column, const char *message)
{
    char field[96];
    snprintf(field, sizeof(field), "row %zu: %s", row, column);
    json_array_append_new(errors, json_pack("{s:s, s:I, s:s, s:s}", "field", field, "row",
                                            (json_int_t)row, "column", column, "message", message));
}

/* A spreadsheet's dtstart says from when: the schedule starts at the rule's first occurrence
 * on or after it (the API wants that first occurrence itself). */
static void
first_occurrence(json_t *sched)
{
    const char *rule = json_string_value(json_object_get(sched, "rrule"));
    const char *from = json_string_value(json_object_get(sched, "dtstart"));
    struct rrule r;
    char err[160], day[11];
    int32_t start, first;
    bool more;

    if (rule == NULL || from == NULL || !date_parse(from, &start) ||
        !rrule_parse(rule, &r, err, sizeof(err)))
        return; /* the offer check names what is wrong */
    /* every day from the start, the first that is an occurrence of the rule from that day */
    for (int32_t d = start; d < start + 400; d++) {
        if (rrule_expand(&r, d, DAY_NONE, d, d, &first, 1, &more) == 1) {
            date_format(first, day);
            json_object_set_new(sched, "dtstart", json_string(day));
            return;
        }
    }
}

/* ---- rules in words ---- */

static const struct {
    const char *word;
    const char *code;
} weekdays[] = {
    {"maandag", "MO"},    {"dinsdag", "TU"},   {"woensdag", "WE"},  {"donderdag", "TH"},
    {"vrijdag", "FR"},    {"zaterdag", "SA"},  {"zondag", "SU"},    {"monday", "MO"},
    {"tuesday", "TU"},    {"wednesday", "WE"}, {"thursday", "TH"},  {"friday", "FR"},
    {"saturday", "SA"},   {"sunday", "SU"},    {"lundi", "MO"},     {"mardi", "TU"},
    {"mercredi", "WE"},   {"jeudi", "TH"},     {"vendredi", "FR"},  {"samedi", "SA"},
    {"dimanche", "SU"},   {"montag", "MO"},    {"dienstag", "TU"},  {"mittwoch", "WE"},
    {"donnerstag", "TH"}, {"freitag", "FR"},   {"samstag", "SA"},   {"sonntag", "SU"},
    {"maandags", "MO"},   {"dinsdags", "TU"},  {"woensdags", "WE"}, {"donderdags", "TH"},
    {"vrijdags", "FR"},   {"zaterdags", "SA"}, {"zondags", "SU"},
};

static const struct {
    const char *word;
    int ord;
} ordinals[] = {
    {"first", 1},     {"eerste", 1},    {"premier", 1},   {"premiere", 1}, {"erster", 1},
    {"erste", 1},     {"ersten", 1},    {"1e", 1},        {"1st", 1},      {"1er", 1},
    {"1ste", 1},      {"second", 2},    {"tweede", 2},    {"deuxieme", 2}, {"zweiter", 2},
    {"zweite", 2},    {"zweiten", 2},   {"2e", 2},        {"2nd", 2},      {"2de", 2},
    {"third", 3},     {"derde", 3},     {"troisieme", 3}, {"dritter", 3},  {"dritte", 3},
    {"dritten", 3},   {"3e", 3},        {"3rd", 3},       {"3de", 3},      {"fourth", 4},
    {"vierde", 4},    {"quatrieme", 4}, {"vierter", 4},   {"vierte", 4},   {"4e", 4},
    {"4th", 4},       {"4de", 4},       {"last", -1},     {"laatste", -1}, {"dernier", -1},
    {"derniere", -1}, {"letzter", -1},  {"letzte", -1},   {"letzten", -1},
};

static bool
any_of(const char *w, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(w, *list) == 0)
            return true;
    return false;
}

static const char *const once_words[] = {"once",     "eenmalig", "eenmaal", "une",
                                         "einmalig", "single",   NULL};
static const char *const daily_words[] = {"daily", "dagelijks", "quotidien", "taglich",
                                          "tous",  "dag",       "day",       "jour",
                                          "tag",   "jours",     NULL};
static const char *const month_words[] = {"month",     "maand",   "mois",        "monat",
                                          "monats",    "monthly", "maandelijks", "mensuel",
                                          "monatlich", NULL};
static const char *const biweekly_words[] = {"biweekly", "tweewekelijks", "fortnightly",
                                             "other",    "andere",        NULL};
static const char *const week_words[] = {"weeks", "weken", "semaines", "wochen", NULL};

bool
import_rule(const char *words, char *out, size_t len)
{
    char *folded, *save = NULL;
    char days[64] = "";
    int ord = 0, interval = 1, ndays = 0;
    bool once = false, daily = false, monthly = false, number_next = false;

    while (*words == ' ')
        words++;
    if (*words == '\0') {
        snprintf(out, len, "%s", "");
        return true;
    }
    if (strncasecmp(words, "FREQ=", 5) == 0 || strncasecmp(words, "RRULE:", 6) == 0) {
        snprintf(out, len, "%s", words + (words[0] == 'R' || words[0] == 'r' ? 6 : 0));
        return true;
    }
    size_t fl = strlen(words) * 2 + 1;
    if ((folded = malloc(fl)) == NULL)
        abort();
    if (!feed_fold(words, folded, fl)) { /* letters beyond the accented Latin ones: as given */
        for (size_t i = 0; words[i] != '\0' && i + 1 < fl; i++)
            folded[i] = (char)tolower((unsigned char)words[i]);
        folded[strlen(words) < fl ? strlen(words) : fl - 1] = '\0';
    }
    for (char *w = strtok_r(folded, " ,;/.-", &save); w != NULL;
         w = strtok_r(NULL, " ,;/.-", &save)) {
        char *end;
        long n = strtol(w, &end, 10);
        if (*end == '\0' && n >= 2 && n <= 9 && number_next) {
            interval = (int)n;
            continue;
        }
        number_next = strcmp(w, "om") == 0 || strcmp(w, "every") == 0 || strcmp(w, "toutes") == 0 ||
                      strcmp(w, "alle") == 0 || strcmp(w, "de") == 0 || strcmp(w, "les") == 0;
        if (*end == '\0' && n >= 2 && n <= 9) {
            interval = (int)n;
            continue;
        }
        if ((strcmp(w, "twee") == 0 || strcmp(w, "two") == 0 || strcmp(w, "deux") == 0 ||
             strcmp(w, "zwei") == 0))
            interval = 2;
        once |= any_of(w, once_words) && strcmp(w, "une") != 0;
        daily |= any_of(w, daily_words);
        monthly |= any_of(w, month_words);
        if (any_of(w, biweekly_words))
            interval = 2;
        (void)week_words;
        for (size_t i = 0; i < sizeof(ordinals) / sizeof(ordinals[0]); i++)
            if (strcmp(w, ordinals[i].word) == 0)
                ord = ordinals[i].ord;
        for (size_t i = 0; i < sizeof(weekdays) / sizeof(weekdays[0]); i++)
            if (strcmp(w, weekdays[i].word) == 0 && strstr(days, weekdays[i].code) == NULL &&
                ndays < 7) {
                snprintf(days + strlen(days), sizeof(days) - strlen(days), "%s%s",
                         ndays++ ? "," : "", weekdays[i].code);
            }
    }
    free(folded);
    if (once && ndays == 0) {
        snprintf(out, len, "%s", "");
        return true;
    }
    if (ndays == 0 && daily && !monthly) {
        snprintf(out, len, "FREQ=DAILY%s", "");
        return true;
    }
    if (ndays == 0)
        return false;
    if (ord != 0 && ndays == 1)
        snprintf(out, len, "FREQ=MONTHLY;BYDAY=%d%s", ord, days);
    else if (interval > 1)
        snprintf(out, len, "FREQ=WEEKLY;INTERVAL=%d;BYDAY=%s", interval, days);
    else
        snprintf(out, len, "FREQ=WEEKLY;BYDAY=%s", days);
    struct rrule r;
    char err[160];
    return rrule_parse(out, &r, err, sizeof(err));
}

/* ---- columns into an offer document ---- */

const char *
import_column(const char *field)
{
    if (strncmp(field, "schedules[0].", 13) == 0)
        return field + 13;
    if (strcmp(field, "site_id") == 0)
        return "site";
    if (strcmp(field, "partner_id") == 0)
        return "partner";
    if (strncmp(field, "functions", 9) == 0)
        return "functions";
    if (strncmp(field, "categories", 10) == 0)
        return "categories";
    return field;
}

/* A list column: names separated by ; , or |, trimmed. */
static json_t *
list_of(const char *v)
{
    json_t *a = json_array();
    char *copy = strdup(v), *save = NULL;
    if (copy == NULL)
        abort();
    for (char *w = strtok_r(copy, ";,|", &save); w != NULL; w = strtok_r(NULL, ";,|", &save)) {
        while (*w == ' ')
            w++;
        size_t n = strlen(w);
        while (n > 0 && w[n - 1] == ' ')
            w[--n] = '\0';
        if (n > 0)
            json_array_append_new(a, json_string(w));
    }
    free(copy);
    return a;
}

/* yes/no in four languages; -1 when it is neither. */
static int
yes_no(const char *v)
{
    static const char *const yes[] = {"true", "yes", "ja", "oui", "1", "y", "j", NULL};
    static const char *const no[] = {"false", "no", "nee", "non", "nein", "0", "n", NULL};
    for (const char *const *p = yes; *p; p++)
        if (strcasecmp(v, *p) == 0)
            return 1;
    for (const char *const *p = no; *p; p++)
        if (strcasecmp(v, *p) == 0)
            return 0;
    return -1;
}

/* One column's value into the document (a value of the wrong kind is left for the offer check
 * to name, except what only an upload says: yes/no, rules in words). */
static void
put_column(json_t *doc, json_t *sched, const char *col, const char *v, size_t row, json_t *errors)
{
    if (*v == '\0')
        return; /* an empty cell says nothing */
    if (strcmp(col, "functions") == 0 || strcmp(col, "categories") == 0) {
        json_object_set_new(doc, col, list_of(v));
    } else if (strcmp(col, "dtstart") == 0 || strcmp(col, "until") == 0 ||
               strcmp(col, "start_time") == 0 || strcmp(col, "end_time") == 0) {
        json_object_set_new(sched, col, json_string(v));
    } else if (strcmp(col, "rrule") == 0) {
        char rule[200];
        if (!import_rule(v, rule, sizeof(rule)))
            row_error(errors, row, "rrule",
                      "is not understood: write an RRULE, or words such as 'elke dinsdag', "
                      "'first Wednesday of the month', 'toutes les 2 semaines le lundi'");
        else if (rule[0] != '\0')
            json_object_set_new(sched, "rrule", json_string(rule));
    } else if (strcmp(col, "free") == 0) {
        int b = yes_no(v);
        if (b < 0)
            row_error(errors, row, "free", "must be yes or no (ja/nee, oui/non, true/false)");
        else
            json_object_set_new(doc, "free", json_boolean(b));
    } else {
        json_object_set_new(doc, col, json_string(v));
    }
}

/* A row's cells (in the header's order) as {"row", "doc"}. */
static json_t *
row_doc(json_t *header, json_t *cells, size_t row, json_t *errors)
{
    json_t *doc = json_object(), *sched = json_object();
    size_t i;
    json_t *h;

    if (json_array_size(cells) != json_array_size(header)) {
        char m[96];
        snprintf(m, sizeof(m), "has %zu cells where the header names %zu columns",
                 json_array_size(cells), json_array_size(header));
        row_error(errors, row, "", m);
    }
    json_array_foreach(header, i, h)
    {
        const char *v = json_string_value(json_array_get(cells, i));
        if (v != NULL)
            put_column(doc, sched, json_string_value(h), v, row, errors);
    }
    first_occurrence(sched);
    if (json_object_size(sched) > 0)
        json_object_set_new(doc, "schedules", json_pack("[o]", sched));
    else
        json_decref(sched);
    return json_pack("{s:I, s:o}", "row", (json_int_t)row, "doc", doc);
}

/* ---- CSV (RFC 4180, with ; as Excel writes it in Belgium and the Netherlands) ---- */

/* The next record's cells from *p; NULL at the end. */
static json_t *
csv_record(const char **p, const char *end, char sep)
{
    json_t *cells = json_array();
    struct strbuf cell = {0};
    bool quoted = false, any = false;
    const char *s = *p;

    if (s >= end)
        return json_decref(cells), NULL;
    for (; s < end; s++) {
        any = true;
        if (quoted) {
            if (*s == '"' && s + 1 < end && s[1] == '"')
                sb_put(&cell, s++, 1);
            else if (*s == '"')
                quoted = false;
            else
                sb_put(&cell, s, 1);
        } else if (*s == '"' && cell.len == 0) {
            quoted = true;
        } else if (*s == sep) {
            json_array_append_new(cells, json_string(cell.p ? cell.p : ""));
            sb_reset(&cell);
        } else if (*s == '\n' || *s == '\r') {
            if (*s == '\r' && s + 1 < end && s[1] == '\n')
                s++;
            s++;
            break;
        } else {
            sb_put(&cell, s, 1);
        }
    }
    if (any)
        json_array_append_new(cells, json_string(cell.p ? cell.p : ""));
    sb_free(&cell);
    *p = s;
    return cells;
}

/* Trims every cell (spreadsheets keep spaces) and drops the header's case. */
static void
trim_cells(json_t *cells, bool lower)
{
    size_t i;
    json_t *c;
    json_array_foreach(cells, i, c)
    {
        const char *v = json_string_value(c);
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strlen(v);
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        char *t = strndup(v, n);
        if (t == NULL)
            abort();
        for (char *q = t; lower && *q; q++)
            *q = (char)tolower((unsigned char)*q);
        json_array_set_new(cells, i, json_string(t));
        free(t);
    }
}

static json_t *
csv_rows(const char *text, size_t len, json_t *errors)
{
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* Excel's byte order mark */
    size_t first_line = strcspn(p, "\n");
    size_t semis = 0, commas = 0;
    for (size_t i = 0; i < first_line && p + i < end; i++) {
        semis += p[i] == ';';
        commas += p[i] == ',';
    }
    char sep = semis > commas ? ';' : ',';
    json_t *header = csv_record(&p, end, sep), *rows = json_array(), *cells;
    if (header == NULL) {
        row_error(errors, 0, "", "the file is empty: a header row names the columns");
        return rows;
    }
    trim_cells(header, true);
    size_t i;
    json_t *h;
    json_array_foreach(header, i, h) if (!any_of(json_string_value(h), columns))
        row_error(errors, 0, json_string_value(h), "is not a known column");
    for (size_t row = 1; (cells = csv_record(&p, end, sep)) != NULL; row++) {
        trim_cells(cells, false);
        bool blank =
            json_array_size(cells) == 1 && json_string_length(json_array_get(cells, 0)) == 0;
        if (!blank && json_array_size(rows) < IMPORT_MAX_ROWS)
            json_array_append_new(rows, row_doc(header, cells, row, errors));
        else if (!blank)
            row_error(errors, row, "", "more rows than an upload takes (5,000)");
        json_decref(cells);
    }
    json_decref(header);
    return rows;
}

/* ---- JSON lines ---- */

static json_t *
jsonl_rows(const char *text, size_t len, json_t *errors)
{
    json_t *rows = json_array(), *header = json_array();
    const char *p = text, *end = text + len;

    for (const char *const *c = columns; *c != NULL; c++)
        json_array_append_new(header, json_string(*c));
    for (size_t row = 1; p < end; row++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_error_t jerr;
        json_t *obj = n > 0 ? json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr) : NULL;
        p += n + (nl != NULL);
        if (n == 0 || (n == 1 && *(p - 2) == '\r'))
            continue;
        if (!json_is_object(obj)) {
            row_error(errors, row, "", "is not a JSON object");
            json_decref(obj);
            continue;
        }
        json_t *cells = json_array(), *v;
        const char *key;
        json_object_foreach(obj, key, v) if (!any_of(key, columns))
            row_error(errors, row, key, "is not a known column");
        for (const char *const *c = columns; *c != NULL; c++) {
            v = json_object_get(obj, *c);
            char *text_v = json_is_string(v) ? strdup(json_string_value(v))
                           : json_is_array(v)
                               ? NULL
                               : (v && !json_is_null(v) ? json_dumps(v, JSON_ENCODE_ANY) : NULL);
            if (json_is_array(v)) { /* a list of names: as a list column */
                struct strbuf b = {0};
                size_t i;
                json_t *x;
                json_array_foreach(v, i, x) sb_printf(
                    &b, "%s%s", i ? ";" : "", json_string_value(x) ? json_string_value(x) : "");
                text_v = b.p ? b.p : strdup("");
            }
            json_array_append_new(cells, json_string(text_v ? text_v : ""));
            free(text_v);
        }
        if (json_array_size(rows) < IMPORT_MAX_ROWS)
            json_array_append_new(rows, row_doc(header, cells, row, errors));
        else
            row_error(errors, row, "", "more rows than an upload takes (5,000)");
        json_decref(cells);
        json_decref(obj);
    }
    json_decref(header);
    return rows;
}

json_t *
import_rows(const char *text, size_t len, bool csv, json_t *errors)
{
    return csv ? csv_rows(text, len, errors) : jsonl_rows(text, len, errors);
}
