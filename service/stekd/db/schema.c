#include "internal.h"
#include "stek/embedded.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
db_schema_missing(struct db_conn *c, char *missing, size_t len, char *ahead, size_t ahead_len)
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
    /* Migrations newer than this build: each must say a daemon of the release before keeps
     * working with it (README "Upgrading"); the first that does not is named in ahead. */
    ahead[0] = '\0';
    for (int i = 0; i < PQntuples(res); i++) {
        long long version = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        bool known = false;
        for (const char *const *m = stek_migrations; *m != NULL && !known; m++)
            known = strtoll(*m, NULL, 10) == version;
        if (!known && strcmp(PQgetvalue(res, i, 2), "t") != 0 && ahead[0] == '\0')
            snprintf(ahead, ahead_len, "%s", PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return count;
}
