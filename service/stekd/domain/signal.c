#include "stek/signal.h"
#include "stek/crypto.h"

#include <stdlib.h>
#include <string.h>

const char *const signal_kinds[] = {"referral", "barrier", NULL};
const char *const signal_statuses[] = {"new", "in_review", "raised", "answered", "closed", NULL};

bool
idempotency_key_valid(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    if (n < 1 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
            return false;
    return true;
}

void
signal_body_hash(const json_t *body, char out[65])
{
    json_t *copy = json_deep_copy(body);
    json_object_del(copy, "idempotency_key");
    char *canon = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    if (canon == NULL)
        abort();
    stek_sha256_hex(canon, strlen(canon), out);
    free(canon);
}

const char *
signal_occurred_on_problem(int32_t day, int32_t today)
{
    /* A date, not a time: less identifying. */
    if (day > today)
        return "must not be in the future";
    if (day < today - 366)
        return "must be within the last year";
    return NULL;
}

static int
status_rank(const char *s)
{
    for (int i = 0; signal_statuses[i] != NULL; i++)
        if (s != NULL && strcmp(signal_statuses[i], s) == 0)
            return i;
    return -1;
}

const char *
signal_transition_problem(const char *from, const char *to, bool has_raised_with, bool has_answer)
{
    if (from == NULL)
        return "only barrier signals move along the advocacy work";
    if (to == NULL)
        return NULL; /* only answer_public changes */
    if (status_rank(to) <= status_rank(from))
        return "must move forward: new, in_review, raised, answered, closed";
    if (strcmp(to, "raised") == 0 && !has_raised_with)
        return "raised needs raised_with: with whom it was raised";
    if (strcmp(to, "answered") == 0 && !has_answer)
        return "answered needs the answer";
    return NULL;
}
