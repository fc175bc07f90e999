#include "stek/cursor.h"
#include "stek/ids.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
cursor_encode(char out[CURSOR_MAX], const char *a, const char *b)
{
    char raw[96];
    size_t n = (size_t)snprintf(raw, sizeof(raw), "1:%s:%s", a, b);
    size_t o = 0;

    if (n >= sizeof(raw))
        n = sizeof(raw) - 1;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)raw[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

static int
b64val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

bool
cursor_decode(const char *cursor, char a[32], char b[48])
{
    char raw[128];
    size_t n = 0, len = strlen(cursor);
    char *colon;

    if (len == 0 || len > CURSOR_MAX || len % 4 == 1)
        return false;
    for (size_t i = 0; i < len; i += 4) {
        int v[4] = {0, 0, 0, 0};
        size_t k = len - i < 4 ? len - i : 4;
        for (size_t j = 0; j < k; j++)
            if ((v[j] = b64val(cursor[i + j])) < 0)
                return false;
        unsigned w =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        if (n + 3 >= sizeof(raw))
            return false;
        raw[n++] = (char)(w >> 16);
        if (k > 2)
            raw[n++] = (char)(w >> 8);
        if (k > 3)
            raw[n++] = (char)w;
    }
    raw[n] = '\0';
    if (strlen(raw) != n || strncmp(raw, "1:", 2) != 0)
        return false;
    colon = strchr(raw + 2, ':');
    if (colon == NULL || colon == raw + 2 || (size_t)(colon - raw - 2) >= 20)
        return false;
    *colon = '\0';
    for (const char *p = raw + 2; *p; p++)
        if (!isdigit((unsigned char)*p) && !(p == raw + 2 && *p == '-'))
            return false;
    if (colon[1] != '\0' && !is_uuid(colon + 1))
        return false;
    if (strlen(colon + 1) > 47)
        return false;
    memcpy(a, raw + 2, strlen(raw + 2) + 1);
    memcpy(b, colon + 1, strlen(colon + 1) + 1);
    return true;
}
