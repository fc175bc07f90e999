/* Rate limits shared across daemons: this daemon's counts out, the others' in (db.h). */
#include "internal.h"
#include "stek/strbuf.h"

#include <stdio.h>
#include <stdlib.h>

/* Appends s as an element of a PostgreSQL array literal: quoted, " and \ escaped. */
static void
array_text(struct strbuf *b, const char *s)
{
    sb_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_puts(b, "\\");
        sb_put(b, s, 1);
    }
    sb_puts(b, "\"");
}

enum db_qs
db_rate_sync(struct db_conn *c, const char *daemon, long long minute,
             const struct db_rate_count *mine, size_t n, db_rate_fn others, void *arg)
{
    char m[24], old[24];
    enum db_qs qs = 0;

    snprintf(m, sizeof(m), "%lld", minute);
    if (n > 0) {
        struct strbuf kinds = {0}, keys = {0}, counts = {0};
        sb_puts(&kinds, "{");
        sb_puts(&keys, "{");
        sb_puts(&counts, "{");
        for (size_t i = 0; i < n; i++) {
            const char *sep = i > 0 ? "," : "";
            sb_printf(&kinds, "%s%d", sep, mine[i].kind);
            sb_puts(&keys, sep);
            array_text(&keys, mine[i].key);
            sb_printf(&counts, "%s%u", sep, mine[i].count);
        }
        sb_puts(&kinds, "}");
        sb_puts(&keys, "}");
        sb_puts(&counts, "}");
        const char *params[] = {sb_str(&kinds), sb_str(&keys), m, daemon, sb_str(&counts)};
        qs = db_exec_command(c, STMT(rate_push, params), params);
        sb_free(&kinds);
        sb_free(&keys);
        sb_free(&counts);
        if (qs < 0)
            return qs;
    }
    const char *p2[] = {m, daemon};
    PGresult *res = db_exec(c, STMT(rate_others, p2), p2, &qs);
    if (res == NULL)
        return qs;
    for (int i = 0; i < PQntuples(res); i++)
        others(atoi(PQgetvalue(res, i, 0)), PQgetvalue(res, i, 1),
               (unsigned)strtoul(PQgetvalue(res, i, 2), NULL, 10), arg);
    PQclear(res);
    snprintf(old, sizeof(old), "%lld", minute - 2);
    const char *p3[] = {old};
    return db_exec_command(c, STMT(rate_forget, p3), p3);
}
