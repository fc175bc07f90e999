#include "stek/domain.h"
#include "stek/crypto.h"

#include <ctype.h>
#include <string.h>

bool
token_new(char out[TOKEN_LEN + 1])
{
    memcpy(out, "stek_", 5);
    /* 24 random bytes: 192 bits, far beyond guessing, so a fast hash suffices. */
    return stek_random_hex(out + 5, 24);
}

bool
token_well_formed(const char *s)
{
    if (strncmp(s, "stek_", 5) != 0 || strlen(s) != TOKEN_LEN)
        return false;
    for (const char *p = s + 5; *p; p++)
        if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
            return false;
    return true;
}
