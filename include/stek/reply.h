/* Setting a request's reply (service/stekd/http/reply.c). */
#ifndef STEK_REPLY_H
#define STEK_REPLY_H

#include "stek/db.h"
#include "stek/http.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sets a JSON reply as it is (answer.h localizes records first); takes body (json_decref'd). */
void reply_json_plain_steal(struct request *r, unsigned status, json_t *body);

/* Sets a reply with an already-rendered body; takes ownership of body (free()). */
void reply_raw_steal(struct request *r, unsigned status, char *body, size_t len, const char *ctype);

/* Sets a reply whose body is static and never freed. */
void reply_static(struct request *r, unsigned status, const char *body, size_t len,
                  const char *ctype);

/*
 * Sets a reply whose body is shared with others (a cached feed): no copy is
 * made; release(cls) is called when the body is no longer needed.
 */
void reply_shared(struct request *r, unsigned status, const char *body, size_t len,
                  const char *ctype, void (*release)(void *cls), void *cls);

/* Sets an empty reply (204, 304). */
void reply_empty(struct request *r, unsigned status);

/*
 * Sets a problem+json reply from the error table. detail may be NULL;
 * errors (an array of {field, message}) is stolen and may be NULL.
 */
void reply_problem(struct request *r, enum stek_err err, json_t *errors, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds a header to the reply being built; value is copied. */
void reply_header(struct request *r, const char *name, const char *value);

/* Formats an instant as an HTTP date: "Mon, 30 Nov 2026 13:00:00 GMT" (40 bytes). */
void http_date(int64_t t, char out[40]);

/* Frees what the reply owns and clears it. */
void reply_clear(struct reply *rep);

/* The HTTP status of an error in the table. */
unsigned stek_err_status(enum stek_err err);

/* Replies 503 when the database connection was lost, else 500. */
void reply_db_error(struct request *r);

/* "Get or 404": true when a read of one record found it (qs > 0); otherwise replies (a
 * database failure, or 404 "no <what> with this id") and returns false. */
bool reply_found(struct request *r, enum db_qs qs, const char *what);

/* How a constraint the database refused is told to the client. */
struct constraint_reply {
    const char *constraint; /* its name in the migrations; NULL ends a table */
    enum stek_err err;      /* ERR_VALIDATION (422) or ERR_CONFLICT (409) */
    const char *field;
    const char *message;
};

/*
 * After a failed write: replies for the constraint of the last statement when
 * table names it (the field prefixed with prefix, such as "signals[2]."), and
 * with a 422 without a field for any other CHECK or data error. False for any
 * other failure, which the caller turns into 503/500.
 */
bool reply_constraint(struct request *r, const struct constraint_reply *table, const char *prefix);

#endif
