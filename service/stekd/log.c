#include "stek/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
stamp(char *out, size_t len)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* One write() per line, so that lines from several threads never interleave. */
static void
emit(json_t *obj)
{
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(obj);
    if (line == NULL)
        return;
    size_t n = strlen(line);
    line[n] = '\n';
    /* json_dumps leaves room for the NUL we overwrite; write exactly n+1 bytes. */
    ssize_t rc = write(STDERR_FILENO, line, n + 1);
    (void)rc;
    free(line);
}

void
log_event(const char *level, const char *msg, ...)
{
    char ts[40];
    json_t *obj;
    va_list ap;

    stamp(ts, sizeof(ts));
    obj = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level, "msg", msg);
    if (obj == NULL)
        return;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            break;
        const char *v = va_arg(ap, const char *);
        json_object_set_new(obj, k, v ? json_string(v) : json_null());
    }
    va_end(ap);
    emit(obj);
}

/* Client-chosen text (path, method) is cut and reduced to printable ASCII. */
static void
printable(char *out, size_t len, const char *in)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < len; i++)
        out[i] = ((unsigned char)in[i] < 0x20 || (unsigned char)in[i] > 0x7e) ? '?' : in[i];
    out[i] = '\0';
}

void
log_access(const char *method_in, const char *path_in, unsigned status, double ms,
           const char *request_id, const char *key_id)
{
    char ts[40], method[16], path[256];
    json_t *obj;

    stamp(ts, sizeof(ts));
    printable(method, sizeof(method), method_in);
    printable(path, sizeof(path), path_in);
    obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:f, s:s}", "ts", ts, "level", "info", "msg",
                    "request", "method", method, "path", path, "status", (int)status, "duration_ms",
                    ms, "request_id", request_id);
    if (obj == NULL)
        return;
    if (key_id != NULL && key_id[0] != '\0')
        json_object_set_new(obj, "key_id", json_string(key_id));
    emit(obj);
}
