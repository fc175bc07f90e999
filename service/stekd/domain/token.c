#include "stek/crypto.h"
#include "stek/token.h"

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

bool
token_mint(struct token_minted *out)
{
    if (!token_new(out->token))
        return false;
    memcpy(out->prefix, out->token, TOKEN_PREFIX_LEN);
    out->prefix[TOKEN_PREFIX_LEN] = '\0';
    stek_sha256_hex(out->token, TOKEN_LEN, out->hash);
    return true;
}
