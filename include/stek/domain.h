/* Pure logic without I/O, unit-tested on its own (service/stekd/domain/). */
#ifndef STEK_DOMAIN_H
#define STEK_DOMAIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- cursor.c: opaque list cursors ---- */

#define CURSOR_MAX 160

/*
 * Encodes the sort key of the last item of a page (two text parts, each
 * without ':') as an opaque base64url cursor into out (CURSOR_MAX bytes).
 */
void cursor_encode(char out[CURSOR_MAX], const char *a, const char *b);

/*
 * Decodes a cursor made by cursor_encode into a (a decimal integer, at most
 * 31 bytes) and b (empty or a UUID, at most 47 bytes). False when the cursor
 * was not made by us.
 */
bool cursor_decode(const char *cursor, char a[32], char b[48]);

/* ---- mergepatch.c: RFC 7396 JSON merge patch ---- */

/* Applies patch to target in place and returns target (or a new value; the old is released). */
json_t *merge_patch_steal(json_t *target, const json_t *patch);

/* ---- token.c: API key tokens ---- */

#define TOKEN_LEN 53        /* "stek_" + 48 hex digits */
#define TOKEN_PREFIX_LEN 13 /* "stek_" + 8 hex digits, shown in listings */

/* Creates a new random token (TOKEN_LEN + 1 bytes); false if randomness failed. */
bool token_new(char out[TOKEN_LEN + 1]);

/* True when s has the shape of a token; checked before any database work. */
bool token_well_formed(const char *s);

#endif
