/*
 * "Did you mean" for a municipality that names no active site
 * (service/stekd/handlers/hint.c): the printable month answers 404 with the closest
 * known municipalities; the feed and the lists stay 200 (an empty answer) and say the
 * same in a Stek-Hint header.
 */
#ifndef STEK_HINT_H
#define STEK_HINT_H

#include "stek/cache.h"
#include "stek/http.h"

#include <jansson.h>
#include <stdbool.h>

#define HINT_MAX CACHE_HINT_MAX
#define HINT_SUGGESTIONS 3

/*
 * True when municipality (NULL: none asked for) names no active site: *suggestions is set to
 * the closest known municipalities (a new array, best first, maybe empty) and hint, when not
 * NULL, to the Stek-Hint text: `unknown municipality "Kalmhout"; closest: "Kalmthout"`, ASCII,
 * other bytes and `"` `%` percent-encoded. False when it names one, or when the database
 * cannot say (a hint is never worth failing an answer).
 */
bool municipality_unknown(struct request *r, const char *municipality, json_t **suggestions,
                          char hint[HINT_MAX]);

/* After an empty list's reply: Stek-Hint when municipality names no active site. */
void reply_hint_municipality(struct request *r, const char *municipality);

#endif
