/* Opaque list cursors (service/stekd/domain/cursor.c). */
#ifndef STEK_CURSOR_H
#define STEK_CURSOR_H

#include <stdbool.h>

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

#endif
