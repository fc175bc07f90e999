/* "Did you mean" for an unknown municipality: see hint.h. */
#include "stek/hint.h"
#include "stek/db.h"
#include "stek/feedmodel.h"
#include "stek/reply.h"
#include "stek/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends s in quotes, percent-encoding what a header must not carry raw. */
static void
put_quoted(char *out, size_t *n, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    if (*n + 1 < HINT_MAX)
        out[(*n)++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && *n + 5 < HINT_MAX; p++)
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '%') {
            out[(*n)++] = '%';
            out[(*n)++] = hex[*p >> 4];
            out[(*n)++] = hex[*p & 15];
        } else {
            out[(*n)++] = (char)*p;
        }
    if (*n + 1 < HINT_MAX)
        out[(*n)++] = '"';
    out[*n] = '\0';
}

static void
put(char *out, size_t *n, const char *s)
{
    int w = snprintf(out + *n, HINT_MAX - *n, "%s", s);
    *n = w < 0 ? *n : *n + (size_t)w >= HINT_MAX ? HINT_MAX - 1 : *n + (size_t)w;
}

bool
municipality_unknown(struct request *r, const char *municipality, json_t **suggestions,
                     char hint[HINT_MAX])
{
    json_t *known = NULL;
    const char **names, *best[HINT_SUGGESTIONS];
    char want[128], fold[128];
    size_t n = 0, nbest;

    *suggestions = NULL;
    if (municipality == NULL || !feed_fold(municipality, want, sizeof(want)) ||
        db_known_municipalities(r->db, &known) < 0)
        return false;
    if ((names = calloc(json_array_size(known) + 1, sizeof(*names))) == NULL)
        abort();
    for (size_t i = 0; i < json_array_size(known); i++) {
        names[n] = json_string_value(json_array_get(known, i));
        if (feed_fold(names[n], fold, sizeof(fold)) && strcmp(fold, want) == 0) {
            free(names); /* it names a site: nothing to hint */
            json_decref(known);
            return false;
        }
        n++;
    }
    nbest = suggest_closest(municipality, names, n, best, HINT_SUGGESTIONS);
    *suggestions = json_array();
    for (size_t i = 0; i < nbest; i++)
        json_array_append_new(*suggestions, json_string(best[i]));
    if (hint != NULL) {
        size_t len = 0;
        hint[0] = '\0';
        put(hint, &len, "unknown municipality ");
        put_quoted(hint, &len, municipality);
        put(hint, &len, nbest > 0 ? "; closest: " : "; no known municipality is close");
        for (size_t i = 0; i < nbest; i++) {
            if (i > 0)
                put(hint, &len, ", ");
            put_quoted(hint, &len, best[i]);
        }
    }
    free(names);
    json_decref(known);
    return true;
}

void
reply_hint_municipality(struct request *r, const char *municipality)
{
    json_t *suggestions;
    char hint[HINT_MAX];

    if (municipality_unknown(r, municipality, &suggestions, hint))
        reply_header(r, "Stek-Hint", hint);
    json_decref(suggestions);
}
