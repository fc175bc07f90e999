/* Private to service/stekd/db/: the only place that includes libpq. */
#ifndef STEK_DB_INTERNAL_H
#define STEK_DB_INTERNAL_H

#include "stek/db.h"

#include <libpq-fe.h>

#define UUID_LEN_TEXT 37

enum db_stmt {
#define S(name, nparams, sql) STMT_##name,
#include "statements.def"
#undef S
    STMT_COUNT
};

/* The SQL text of s, for the listener's own connection (which prepares nothing). */
const char *db_stmt_sql(enum db_stmt s);

/*
 * Runs a prepared statement with text parameters (NULL = SQL NULL).
 * Returns the result (owned by the caller) and *qs = rows returned or
 * affected; or NULL with *qs set to DB_SOFT_ERROR / DB_HARD_ERROR.
 */
PGresult *db_exec(struct db_conn *c, enum db_stmt s, const char *const *params, enum db_qs *qs);

/* Runs a statement and discards its result. */
enum db_qs db_exec_command(struct db_conn *c, enum db_stmt s, const char *const *params);

/*
 * Reads a page from a result whose columns are (doc, sort key a, sort key b),
 * fetched with limit + 1 rows to learn whether more follow.
 */
enum db_qs db_page_from(PGresult *res, int limit, struct db_page *page);

/* Reads (doc, version, id) from row 0. */
enum db_qs db_doc_from(PGresult *res, struct db_doc *out);

/* Runs s and reads one (doc, version, id) row into out: 1, DB_NO_ROWS or an error. */
enum db_qs db_query_doc(struct db_conn *c, enum db_stmt s, const char *const *params,
                        struct db_doc *out);

/*
 * Runs a list statement whose last parameter is the row limit: writes
 * limit + 1 into limit_param (the caller's slot in params) and reads a page.
 */
enum db_qs db_query_page(struct db_conn *c, enum db_stmt s, const char **params, int limit_param,
                         int limit, struct db_page *page);

#endif
