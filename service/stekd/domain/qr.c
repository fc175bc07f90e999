#include "stek/qr.h"
#include "stek/strbuf.h"

#include <qrencode.h>

char *
qr_svg(const char *text, const char *label)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    struct strbuf b = {0};
    int w, quiet = 4;

    if (qr == NULL)
        return NULL;
    w = qr->width;
    sb_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\"",
              w + 2 * quiet, w + 2 * quiet);
    sb_puts(&b, " aria-label=\"");
    sb_puts(&b, label); /* the caller passes escaped text */
    sb_puts(&b, "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\""
                " fill=\"#fff\"/><path fill=\"#000\" d=\"");
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (qr->data[y * w + x] & 1)
                sb_printf(&b, "M%d %dh1v1h-1z", x + quiet, y + quiet);
    sb_puts(&b, "\"/></svg>");
    QRcode_free(qr);
    return sb_steal(&b, NULL);
}
