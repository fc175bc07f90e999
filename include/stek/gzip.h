/* gzip compression of response bodies (service/stekd/domain/gzip.c). */
#ifndef STEK_GZIP_H
#define STEK_GZIP_H

#include <stddef.h>

/* Compresses in as a gzip stream; a malloc'd buffer, or NULL. */
char *gzip_compress(const char *in, size_t len, size_t *outlen);

#endif
