/*
 * Many offers at once (service/stekd/domain/offerimport.c): the rows of a CSV file (comma or
 * semicolon, quoted as RFC 4180, a header row naming the columns) or of JSON lines (one object
 * a line, the same names), each made into an offer document of the API's shape, so that the
 * one offer check (handlers/offers.c) checks every row. A schedule's rule may be an RRULE or
 * words in Dutch, French, English or German ("elke dinsdag", "first Wednesday of the month",
 * "toutes les 2 semaines le lundi", "jeden Freitag").
 *
 * Columns: title, description, site, partner (an id, or the exact name), functions and
 * categories (separated by ; , or |), dtstart, until, rrule, start_time, end_time (one
 * schedule), free (true/false, ja/nee, oui/non, yes/no; empty: not said), registration (none,
 * required; empty: not said), email, phone, audience, price_note, kind, main_language.
 */
#ifndef STEK_OFFERIMPORT_H
#define STEK_OFFERIMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define IMPORT_MAX_ROWS 5000

/*
 * The rows of text (csv: CSV, else JSON lines) as [{"row": n, "doc": {...}}] (rows counted
 * from 1, the header not counted), "site" and "partner" still as given (the caller resolves
 * them into site_id and partner_id). What cannot be read is appended to errors as
 * {"row", "column", "message"} (row 0: the header). NULL only when nothing could be read.
 */
json_t *import_rows(const char *text, size_t len, bool csv, json_t *errors);

/* An RRULE (passed as it is) or a rule in words into stek's rule syntax; "" for a single date
 * (empty, "once", "eenmalig", ...). False when the words are not understood. */
bool import_rule(const char *words, char *out, size_t len);

/* The upload's column of an offer document's field ("schedules[0].rrule" is "rrule",
 * "site_id" is "site"). */
const char *import_column(const char *field);

#endif
