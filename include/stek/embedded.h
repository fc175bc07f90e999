/* Data generated at build time from the project's files (see the Makefile). */
#ifndef STEK_EMBEDDED_H
#define STEK_EMBEDDED_H

#include <stddef.h>

/* migrations/ file names this binary was built with, sorted, NULL-terminated. */
extern const char *const stek_migrations[];

/* openapi/openapi.yaml rendered as JSON. */
extern const char stek_openapi_json[];
extern const size_t stek_openapi_json_len;

/* Strong ETag of that JSON (a quoted SHA-256 prefix). */
extern const char stek_openapi_etag[];

/*
 * service/web/ (the public page and the widget), embedded by service/web/embed.py.
 * Each is served at versioned (immutable) and, if not NULL, at stable (revalidated).
 */
struct stek_asset {
    const char *name;
    const char *stable;    /* "/" or "/widget.js", or NULL */
    const char *versioned; /* "/assets/widget.<hash>.js" */
    const char *ctype;
    const unsigned char *body;
    size_t len;
    const unsigned char *gz; /* the same, gzip-compressed */
    size_t gzlen;
    const char *etag; /* unquoted hex; "-gz" is added for the compressed body */
};
extern const struct stek_asset stek_assets[]; /* ends with name == NULL */

/* service/web/templates/ (never served: the pages rendered from them are), by file name. */
struct stek_template {
    const char *name;
    const char *text;
};
extern const struct stek_template stek_templates[]; /* ends with name == NULL */

/* service/web/words.json: every word a page, the calendar and the widget show (words.h). */
extern const char *const stek_words_json;

#endif
