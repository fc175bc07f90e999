/*
 * "Did you mean": the known names closest to a misspelled one
 * (service/stekd/domain/suggest.c). Pure code.
 */
#ifndef STEK_SUGGEST_H
#define STEK_SUGGEST_H

#include <stddef.h>

/*
 * Puts into out (at most max, best first) the names closest to query, compared as the feed
 * compares municipalities (folded: case and accents aside): by edit distance, at most a third
 * of the query's length (at least 2), or names the query begins. Names that fold alike count
 * once. Returns how many; out borrows from names.
 */
size_t suggest_closest(const char *query, const char *const *names, size_t n, const char **out,
                       size_t max);

#endif
