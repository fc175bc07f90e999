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

#endif
