/*
 * An offer as an UiTdatabank Entry API v3 event (publiq's cultuurnet/apidocs,
 * projects/uitdatabank/models/event.json), for GET /v1/offers/{id}/uitdatabank
 * (service/stekd/domain/uitdatabank.c). Pure: the handler reads the records.
 *
 * The event type comes from the first of the offer's categories in the mapping table
 * (uit_event_types), else from the function learning (a course with open sessions); an offer
 * with neither, or one of kind opening_hours (a place's hours, not an event), is outside
 * UiTdatabank's scope and not exported.
 */
#ifndef STEK_UITDATABANK_H
#define STEK_UITDATABANK_H

#include "stek/feed.h"

#include <jansson.h>
#include <stddef.h>

struct uit_event_type {
    const char *category; /* ours; NULL: the function learning */
    const char *id, *label;
};

/* The mapping, ending with {NULL, NULL, NULL}; docs/standards.md documents it. */
extern const struct uit_event_type uit_event_types[];

struct uit_input {
    const json_t *offer, *site, *partner;  /* their documents with translations (not localized) */
    const struct feed_result *occurrences; /* the offer's coming ones, by start */
    const char *calendar;                  /* NULL (choose), "multiple" or "periodic" */
    const char *uit_base;                  /* STEK_UITDATABANK_URL */
};

/*
 * The event, or NULL when it cannot be exported: then *field names what is missing or does
 * not fit and why says so.
 */
json_t *uit_export(const struct uit_input *in, const char **field, char *why, size_t whylen);

#endif
