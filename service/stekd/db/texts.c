/* Every stored free text, for the privacy report (stekd scan-texts). */
#include "internal.h"

enum db_qs
db_stored_texts(struct db_conn *c, db_text_cb cb, void *arg)
{
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT0(stored_texts), NULL, &qs);

    if (res == NULL)
        return qs;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++)
        cb(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
           PQgetvalue(res, i, 3), arg);
    PQclear(res);
    return (enum db_qs)n;
}
