#include "stek/qr.h"

#include <qrencode.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends printf output to *buf (malloc'd, grown as needed). */
static void
add(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? *cap * 2 : 4096;
        char *nb = realloc(*buf, *cap);
        if (nb == NULL)
            abort();
        *buf = nb;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

char *
qr_svg(const char *text, const char *label)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    char *buf = NULL, piece[96];
    size_t len = 0, cap = 0;
    int w, quiet = 4;

    if (qr == NULL)
        return NULL;
    w = qr->width;
    snprintf(piece, sizeof(piece),
             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\"",
             w + 2 * quiet, w + 2 * quiet);
    add(&buf, &len, &cap, piece);
    add(&buf, &len, &cap, " aria-label=\"");
    add(&buf, &len, &cap, label); /* the caller passes escaped text */
    add(&buf, &len, &cap,
        "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\""
        " fill=\"#fff\"/><path fill=\"#000\" d=\"");
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1) {
                snprintf(piece, sizeof(piece), "M%d %dh1v1h-1z", x + quiet, y + quiet);
                add(&buf, &len, &cap, piece);
            }
    add(&buf, &len, &cap, "\"/></svg>");
    QRcode_free(qr);
    return buf;
}
