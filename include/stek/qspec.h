/*
 * The one query-parameter validator, the counterpart of jspec for bodies. A
 * handler describes its query as a spec array (on its stack, with pointers
 * to its locals): each parameter's name, kind, bounds and destination. The
 * allowed names follow from the spec; every problem (an unknown or repeated
 * name, each bad value, a parameter given without the one it needs) is
 * collected, and the 400 lists them all.
 *
 * Destinations are left untouched when a parameter is absent, so the caller
 * sets its defaults first. Strings borrow from the request and live as long
 * as it does.
 */
#ifndef STEK_QSPEC_H
#define STEK_QSPEC_H

#include "stek/http.h"
#include "stek/problems.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum qspec_kind {
    QS_END = 0,
    QS_TEXT,   /* 1..max characters; out const char ** */
    QS_UUID,   /* a UUID; what names it ("a site id"); out const char ** */
    QS_DATE,   /* YYYY-MM-DD; out int32_t * (days since 1970) */
    QS_MONTH,  /* YYYY-MM; out int32_t * (its first day) */
    QS_BOOL,   /* true/false; out const char ** ("t"/"f", as the statements take them) */
    QS_CHOICE, /* one of choices; out const char ** */
    QS_INT,    /* an integer min..max; out int * */
    QS_CURSOR, /* a cursor this service made; what: "list"/"feed"; out struct qcursor * */
    QS_NEAR,   /* lat,lon; out struct qnear * */
    QS_RADIUS, /* km from 0.1 to max (needs near); out struct qnear * */
    QS_CUSTOM, /* parse(value, out) returns NULL or the message */
};

/* A decoded cursor: the two parts of the last item's sort key. */
struct qcursor {
    bool present;
    char a[32], b[48];
};

/* A position and radius as decimal text, for the statements; lat[0] == '\0' when absent. */
struct qnear {
    char lat[32], lon[32], radius_km[32];
};

typedef const char *(*qspec_parse_fn)(const char *value, void *out);

struct qspec {
    const char *name;
    enum qspec_kind kind;
    long long min, max;
    const char *const *choices; /* QS_CHOICE: NULL-terminated */
    const char *what;           /* QS_UUID: "a site id"; QS_CURSOR: "list" or "feed" */
    qspec_parse_fn parse;       /* QS_CUSTOM */
    void *out;                  /* may be NULL: checked, not kept */
};

/* clang-format off */
#define QS_TXT(n, o, hi)       {(n), QS_TEXT, 1, (hi), NULL, NULL, NULL, (o)}
#define QS_ID(n, o, w)         {(n), QS_UUID, 0, 0, NULL, (w), NULL, (o)}
#define QS_DAY(n, o)           {(n), QS_DATE, 0, 0, NULL, NULL, NULL, (o)}
#define QS_MON(n, o)           {(n), QS_MONTH, 0, 0, NULL, NULL, NULL, (o)}
#define QS_BOOLEAN(n, o)       {(n), QS_BOOL, 0, 0, NULL, NULL, NULL, (o)}
#define QS_ONEOF(n, o, c)      {(n), QS_CHOICE, 0, 0, (c), NULL, NULL, (o)}
#define QS_INTEGER(n, o, lo, hi) {(n), QS_INT, (lo), (hi), NULL, NULL, NULL, (o)}
#define QS_CUR(o, w)           {"cursor", QS_CURSOR, 0, 0, NULL, (w), NULL, (o)}
#define QS_LIMIT(o)            {"limit", QS_INT, 1, 500, NULL, NULL, NULL, (o)}
#define QS_NEARBY(o)           {"near", QS_NEAR, 0, 0, NULL, NULL, NULL, (o)}, \
                               {"radius_km", QS_RADIUS, 0, 500, NULL, NULL, NULL, (o)}
#define QS_FN(n, o, fn)        {(n), QS_CUSTOM, 0, 0, NULL, NULL, (fn), (o)}
/* The same, for a parameter that may be given several times (each value checked in turn into
 * out; the names are listed in http/intake.c, which lets them repeat). */
#define QS_FN_MULTI(n, o, fn)  {(n), QS_CUSTOM, 1, 0, NULL, NULL, (fn), (o)}
/* ?lang= of a read with translatable texts: any tag up to 35 characters (a language the
 * service lacks is no error, i18n.h); req_language reads it. */
#define QS_LANGUAGE            {"lang", QS_TEXT, 0, 35, NULL, NULL, NULL, NULL}
/* ?missing_languages=true|false: answer.c adds what each language of a record lacks */
#define QS_MISSING_LANGUAGES   {"missing_languages", QS_BOOL, 0, 0, NULL, NULL, NULL, NULL}
#define QS_SPEC_END            {NULL, QS_END, 0, 0, NULL, NULL, NULL, NULL}
/* clang-format on */

/* A list's paging: ?limit= (default 50) and ?cursor=. */
struct qpage {
    int limit;
    struct qcursor cursor;
};
#define QS_PAGE(p) QS_LIMIT(&(p)->limit), QS_CUR(&(p)->cursor, "list")
#define QPAGE_INIT                                                                                 \
    {                                                                                              \
        .limit = 50                                                                                \
    }

/* The cursor's parts for the statements: NULL when the request gave no cursor. */
static inline const char *
qcursor_a(const struct qcursor *c)
{
    return c->present ? c->a : NULL;
}
static inline const char *
qcursor_b(const struct qcursor *c)
{
    return c->present ? c->b : NULL;
}

/*
 * Checks the query of r against spec and returns the array of errors
 * ({field, message} each; empty when all is well). The caller may add
 * checks across parameters with field_error, then calls qspec_reply.
 */
json_t *qspec_check(struct request *r, const struct qspec *spec);

/* True (and frees errors) when errors is empty; otherwise replies 400 with all of them. */
bool qspec_reply(struct request *r, json_t *errors);

/* qspec_check then qspec_reply. */
bool qspec_parse(struct request *r, const struct qspec *spec);

#endif
