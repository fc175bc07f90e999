/* API key tokens (service/stekd/domain/token.c). */
#ifndef STEK_TOKEN_H
#define STEK_TOKEN_H

#include <stdbool.h>

#define TOKEN_LEN 53        /* "stek_" + 48 hex digits */
#define TOKEN_PREFIX_LEN 13 /* "stek_" + 8 hex digits, shown in listings */

/* Creates a new random token (TOKEN_LEN + 1 bytes); false if randomness failed. */
bool token_new(char out[TOKEN_LEN + 1]);

/* A new key: the token (shown once), its listed prefix, and the SHA-256 hex that is stored. */
struct token_minted {
    char token[TOKEN_LEN + 1];
    char prefix[TOKEN_PREFIX_LEN + 1];
    char hash[65];
};

/* Mints a new key; false if randomness failed. */
bool token_mint(struct token_minted *out);

/* True when s has the shape of a token; checked before any database work. */
bool token_well_formed(const char *s);

#endif
