/*
 * libFuzzer: the query-string handling of the handlers (allowed names,
 * paging, cursors, near/radius, booleans, choices) on "a=b&c=d" input.
 */
#include "stek/domain.h"
#include "stek/hutil.h"
#include "stek/rrule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allowed[] = {"limit", "cursor",   "near", "radius_km",
                                      "free",  "function", "from", NULL};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[2048], *save = NULL;
    struct request r;
    int limit;
    const char *cursor, *v;
    char a[32], b[48], lat[32], lon[32], radius[32];
    int32_t day;

    if (size >= sizeof(buf))
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    memset(&r, 0, sizeof(r));
    strcpy(r.request_id, "fuzz");
    for (char *kv = strtok_r(buf, "&", &save); kv && r.nquery < REQ_MAX_QUERY;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq != NULL)
            *eq = '\0';
        r.query[r.nquery].key = kv;
        r.query[r.nquery].value = eq ? eq + 1 : NULL;
        r.nquery++;
    }
    if (req_query_allow(&r, allowed) && req_page(&r, &limit, &cursor) &&
        req_cursor(&r, cursor, a, b) && req_near(&r, lat, lon, radius) &&
        req_bool(&r, "free", &v) && req_choice(&r, "function", stek_functions, &v)) {
        const char *from = req_query(&r, "from");
        if (from != NULL)
            (void)date_parse(from, &day);
    }
    reply_clear(&r.reply);
    return 0;
}
