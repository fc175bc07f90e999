/* "Did you mean": see suggest.h. */
#include "stek/suggest.h"
#include "stek/feedmodel.h"

#include <stdlib.h>
#include <string.h>

#define SUGGEST_CHARS 128

/* The edit distance of a and b (bytes of folded text), each shorter than SUGGEST_CHARS. */
static size_t
distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[SUGGEST_CHARS + 1];

    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

struct candidate {
    const char *name;
    char fold[SUGGEST_CHARS];
    size_t score;
};

static int
by_score(const void *pa, const void *pb)
{
    const struct candidate *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return strcmp(a->fold, b->fold);
}

size_t
suggest_closest(const char *query, const char *const *names, size_t n, const char **out, size_t max)
{
    char q[SUGGEST_CHARS];
    struct candidate *c;
    size_t nc = 0, nout = 0, ql, limit;

    if (query == NULL || max == 0 || n == 0 || !feed_fold(query, q, sizeof(q)))
        return 0;
    ql = strlen(q);
    limit = ql / 3 > 2 ? ql / 3 : 2;
    if ((c = calloc(n, sizeof(*c))) == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        struct candidate *k = &c[nc];
        if (names[i] == NULL || !feed_fold(names[i], k->fold, sizeof(k->fold)))
            continue;
        k->name = names[i];
        k->score = distance(q, k->fold);
        if (ql >= 3 && strncmp(k->fold, q, ql) == 0 && k->score > 1)
            k->score = 1; /* the query begins the name: "Kalmt" for Kalmthout */
        if (k->score <= limit && k->score > 0)
            nc++;
    }
    qsort(c, nc, sizeof(*c), by_score);
    for (size_t i = 0; i < nc && nout < max; i++)
        if (i == 0 || strcmp(c[i].fold, c[i - 1].fold) != 0)
            out[nout++] = c[i].name;
    free(c);
    return nout;
}
