#include "internal.h"
#include "stek/embedded.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
db_schema_missing(struct db_conn *c, char *missing, size_t len)
{
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT0(schema_versions), NULL, &qs);
    int count = 0;

    missing[0] = '\0';
    if (res == NULL)
        return DB_HARD_ERROR;
    for (const char *const *m = stek_migrations; *m != NULL; m++) {
        long long version = strtoll(*m, NULL, 10);
        bool found = false;
        for (int i = 0; i < PQntuples(res) && !found; i++)
            found = strtoll(PQgetvalue(res, i, 0), NULL, 10) == version;
        if (!found) {
            size_t used = strlen(missing);
            snprintf(missing + used, len - used, "%s%s", count ? ", " : "", *m);
            count++;
        }
    }
    PQclear(res);
    return count;
}
