/*
 * libFuzzer: the one query validator (http/qspec.c) on "a=b&c=d" input:
 * allowed names, paging, cursors, near/radius, booleans, choices, dates,
 * months, UUIDs and texts, with every error collected into one reply.
 */
#include "stek/date.h"
#include "stek/offer.h"
#include "stek/qspec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[2048], *save = NULL;
    struct request r;
    struct qpage p = QPAGE_INIT;
    struct qnear near = {0};
    const char *free_ = NULL, *function = NULL, *site = NULL, *q = NULL;
    int32_t from = DAY_NONE, month = DAY_NONE;
    const struct qspec spec[] = {
        QS_PAGE(&p),
        QS_NEARBY(&near),
        QS_BOOLEAN("free", &free_),
        QS_ONEOF("function", &function, stek_functions),
        QS_DAY("from", &from),
        QS_MON("month", &month),
        QS_ID("site", &site, "a site id"),
        QS_TXT("q", &q, 100),
        QS_SPEC_END,
    };

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
    /* Accepted values must be what the statements can take. */
    if (qspec_parse(&r, spec) && (p.limit < 1 || p.limit > 500))
        abort();
    reply_clear(&r.reply);
    return 0;
}
