#include "stek/problems.h"

#include <stdio.h>

void
field_error(json_t *errors, const char *field, const char *message)
{
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "message", message));
}

void
choices_message(char *out, size_t len, const char *const *choices)
{
    size_t used = 0;

    out[0] = '\0';
    for (const char *const *c = choices; *c != NULL && used < len; c++)
        used += (size_t)snprintf(out + used, len - used, "%s%s",
                                 c == choices ? "must be one of: " : ", ", *c);
}
