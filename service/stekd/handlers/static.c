/*
 * The public page (/), the advocacy view (/stats) and the embeddable widget (/widget.js), from
 * memory (service/web/, embedded at build time). Versioned copies under /assets/ are cached for a
 * year; the stable names are revalidated with their ETag.
 */
#include "stek/embedded.h"
#include "stek/handlers.h"
#include "stek/http.h"

#include <stdio.h>
#include <string.h>

/* The page runs only its own scripts and talks only to this service. */
static const char page_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'";

void
h_static(struct request *r)
{
    const struct stek_asset *a = stek_assets;
    bool versioned = false, gz;
    char etag[48];

    for (; a->name != NULL; a++) {
        if (strcmp(r->path, a->versioned) == 0) {
            versioned = true;
            break;
        }
        if (a->stable != NULL && strcmp(r->path, a->stable) == 0)
            break;
    }
    if (a->name == NULL) {
        reply_problem(r, ERR_NOT_FOUND, NULL,
                      "no such file (asset names change with each release)");
        return;
    }
    gz = req_accepts_gzip(r);
    /* Each encoding is its own representation, with its own strong ETag. */
    snprintf(etag, sizeof(etag), "\"%s%s\"", a->etag, gz ? "-gz" : "");
    if (req_if_none_match(r, etag)) {
        reply_empty(r, 304);
    } else {
        reply_static(r, 200, (const char *)(gz ? a->gz : a->body), gz ? a->gzlen : a->len,
                     a->ctype);
        if (gz)
            reply_header(r, "Content-Encoding", "gzip");
    }
    reply_header(r, "ETag", etag);
    reply_header(r, "Vary", "Accept-Encoding");
    reply_header(r, "Cache-Control",
                 versioned ? "public, max-age=31536000, immutable"
                 : strcmp(a->ctype, "text/html; charset=utf-8") == 0 ? "no-cache"
                                                                     : "public, max-age=300");
    reply_header(r, "Referrer-Policy", "no-referrer");
    if (strcmp(a->ctype, "text/html; charset=utf-8") == 0)
        reply_header(r, "Content-Security-Policy", page_csp);
}
