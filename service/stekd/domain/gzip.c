/* gzip for feed responses: zlib earns its place, a feed compresses about tenfold. */
#include "stek/feed.h"
#include "stek/gzip.h"

#include <stdlib.h>
#include <zlib.h>

char *
gzip_compress(const char *in, size_t len, size_t *outlen)
{
    z_stream zs = {0};
    uLong bound;
    char *out;

    /* windowBits 15 + 16: a gzip wrapper instead of zlib's. */
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    bound = deflateBound(&zs, (uLong)len) + 32;
    out = malloc(bound);
    if (out == NULL) {
        deflateEnd(&zs);
        return NULL;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)bound;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&zs);
        free(out);
        return NULL;
    }
    *outlen = zs.total_out;
    deflateEnd(&zs);
    return out;
}
