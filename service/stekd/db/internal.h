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

/* Each statement's number of parameters, as statements.def declares it. */
enum db_stmt_nparams {
#define S(name, nparams, sql) NPARAMS_##name = nparams,
#include "statements.def"
#undef S
};

/*
 * The statement name, checked at compile time against its parameter array:
 * STMT(insert_offer, params) does not compile unless params has exactly as
 * many elements as the statement declares. STMT0 for statements without any.
 */
#define STMT(name, params)                                                                         \
    ((void)sizeof(struct {                                                                         \
         _Static_assert(sizeof(params) / sizeof((params)[0]) == NPARAMS_##name,                    \
                        "statement " #name " takes a different number of parameters");             \
         int checked;                                                                              \
     }),                                                                                           \
     STMT_##name)
#define STMT0(name)                                                                                \
    ((void)sizeof(struct {                                                                         \
         _Static_assert(NPARAMS_##name == 0, "statement " #name " takes parameters");              \
         int checked;                                                                              \
     }),                                                                                           \
     STMT_##name)

/* The SQL text of s, for the listener's own connection (which prepares nothing). */
const char *db_stmt_sql(enum db_stmt s);

/*
 * Runs a prepared statement with text parameters (NULL = SQL NULL).
 * Returns the result (owned by the caller) and *qs = rows returned or
 * affected; or NULL with *qs set to DB_SOFT_ERROR / DB_HARD_ERROR.
 */
PGresult *db_exec(struct db_conn *c, enum db_stmt s, const char *const *params, enum db_qs *qs);

/*
 * True when res has exactly the columns names lists (NULL-ended), in that order: the decoder
 * of a statement reads them by these names' positions. Otherwise logs the first that differs
 * (the statement, "what", and its decoder drifted apart) and returns false.
 */
bool db_columns_ok(const PGresult *res, const char *const *names, const char *what);

/*
 * Runs n statements in one read-only REPEATABLE READ transaction (one snapshot) and in one
 * round trip (libpq's pipeline mode): BEGIN, the statements, ROLLBACK, sent together. On
 * success out[i] holds statement i's result (owned by the caller); false when one failed
 * (out all NULL; a lost connection is noticed as by db_exec).
 */
bool db_exec_snapshot(struct db_conn *c, size_t n, const enum db_stmt *s,
                      const char *const *const *params, PGresult **out);

/* Runs a statement and discards its result. */
enum db_qs db_exec_command(struct db_conn *c, enum db_stmt s, const char *const *params);

/*
 * Reads a page from a result whose columns are (doc, sort key a, sort key b),
 * fetched with limit + 1 rows to learn whether more follow; the page keeps res.
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

/*
 * Writes a list of strings (a JSON array) as a PostgreSQL array literal, each
 * element quoted: {"meeting","learning"}. NULL list: NULL. Aborts if out is too small
 * (the validators bound every list far below it).
 */
const char *db_text_array(const json_t *list, char *out, size_t len);

/*
 * A record's main language and translations as the statements take them:
 * out[0] the language, out[1] the translations as JSON text (buf, freed by
 * db_languages_free).
 */
void db_languages_params(const struct db_languages *l, const char *out[2], char **buf);
void db_languages_free(char *buf);

/* ---- the key store's side for the listener thread (keystore.c) ---- */

/* Loads every key as of generation; false when the connection failed. */
bool keystore_load(PGconn *pg, uint64_t generation);
/* Reads search's stop words and synonyms (search.c); false when it could not. */
bool search_config_load(PGconn *pg);
/* A key_auth from columns col.. of row (the columns of KEY_AUTH_COLUMNS in statements.def). */
void db_key_auth_row(const PGresult *res, int row, int col, struct key_auth *out);
/* The generation of the loaded snapshot (0: none). */
uint64_t keystore_generation(void);
/* The listener says whether it is connected: the copy is trusted only while it is. */
void keystore_listener_connected(bool up);
/* Takes the callers of keys_sync waiting now; true if there are any. */
bool keystore_take_waiting(void);
/* Calls them back (after a sync, or when the copy can no longer be trusted). */
void keystore_answer_waiting(void);
/* The pipe end that wakes the listener for keys_sync; opened and closed with the listener. */
int keystore_wake_fd(void);
void keystore_open(void);
void keystore_close(void);

#endif
