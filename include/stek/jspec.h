/*
 * The one JSON body validator. A handler describes a body as a spec array
 * (built on its stack, with pointers to its locals), and jspec checks the
 * object against it: types, bounds, formats, required fields, read-only and
 * unknown fields. Every problem is collected; none stops the check early.
 *
 * Every stored free text passes the privacy guard here, and only here: each
 * JS_TEXT, and each JS_STRING flagged JF_GUARD. A text with personal data is
 * refused with {field, message, personal_data: "phone"|...}, never echoed;
 * when the object has an email or phone field of its own, the message says
 * that an organisation's address or number belongs there.
 *
 * Ownership: strings written to the out pointers borrow from the JSON object
 * and live as long as it does (for a request body: until the request ends).
 */
#ifndef STEK_JSPEC_H
#define STEK_JSPEC_H

#include "stek/http.h"
#include "stek/problems.h"

#include <jansson.h>
#include <stdbool.h>

enum jspec_kind {
    JS_END = 0,
    JS_STRING, /* one line, no control characters, no surrounding spaces */
    JS_TEXT,   /* multi-line text: newlines and tabs allowed */
    JS_BOOL,
    JS_INT,
    JS_UUID,
    JS_EMAIL,
    JS_URL, /* http:// or https:// */
    JS_PHONE,
    JS_ENUM,
    JS_NUMBER,  /* a JSON number between min and max; out is double * */
    JS_DATE,    /* "YYYY-MM-DD" */
    JS_TIME,    /* "HH:MM" */
    JS_STRINGS, /* array of unique strings (min..max items); choices or slug items; out json_t ** */
    JS_ARRAY,   /* array of objects (at most max); the caller checks each item; out json_t ** */
    JS_OBJECT,  /* nested object described by sub */
    JS_READONLY, /* present in representations, refused in requests */
    JS_IGNORED,  /* accepted and ignored (a server-set value a client may send back) */
};

enum jspec_flags {
    JF_REQUIRED = 1, /* absent is an error */
    JF_NULLABLE = 2, /* null is accepted (the out pointer becomes NULL) */
    JF_GUARD = 4,    /* a JS_STRING (or each item of JS_STRINGS) people read: checked by the
                      * privacy guard like JS_TEXT */
};

struct jspec {
    const char *name;
    enum jspec_kind kind;
    unsigned flags;
    long long min, max;         /* characters for strings, value for integers */
    const char *const *choices; /* JS_ENUM: NULL-terminated */
    const struct jspec *sub;    /* JS_OBJECT */
    void *out;                  /* const char **, bool *, long long *; may be NULL */
    bool *present;              /* set true when the key is in the object; may be NULL */
};

/* clang-format off */
#define JS_STR(n, o, f, lo, hi) {(n), JS_STRING, (f), (lo), (hi), NULL, NULL, (o), NULL}
#define JS_TXT(n, o, f, hi)     {(n), JS_TEXT, (f), 0, (hi), NULL, NULL, (o), NULL}
#define JS_BOOLEAN(n, o, f)     {(n), JS_BOOL, (f), 0, 0, NULL, NULL, (o), NULL}
#define JS_INTEGER(n, o, f, lo, hi) {(n), JS_INT, (f), (lo), (hi), NULL, NULL, (o), NULL}
#define JS_UUIDF(n, o, f)       {(n), JS_UUID, (f), 0, 0, NULL, NULL, (o), NULL}
#define JS_EMAILF(n, o, f)      {(n), JS_EMAIL, (f), 3, 254, NULL, NULL, (o), NULL}
#define JS_URLF(n, o, f)        {(n), JS_URL, (f), 1, 2048, NULL, NULL, (o), NULL}
#define JS_PHONEF(n, o, f)      {(n), JS_PHONE, (f), 6, 32, NULL, NULL, (o), NULL}
#define JS_ENUMF(n, o, f, c)    {(n), JS_ENUM, (f), 0, 0, (c), NULL, (o), NULL}
#define JS_NUM(n, o, f, lo, hi) {(n), JS_NUMBER, (f), (lo), (hi), NULL, NULL, (o), NULL}
#define JS_DATEF(n, o, f)       {(n), JS_DATE, (f), 0, 0, NULL, NULL, (o), NULL}
#define JS_TIMEF(n, o, f)       {(n), JS_TIME, (f), 0, 0, NULL, NULL, (o), NULL}
#define JS_LIST(n, o, f, lo, hi, c) {(n), JS_STRINGS, (f), (lo), (hi), (c), NULL, (o), NULL}
#define JS_ARR(n, o, f, hi)     {(n), JS_ARRAY, (f), 0, (hi), NULL, NULL, (o), NULL}
#define JS_OBJ(n, o, f, s)      {(n), JS_OBJECT, (f), 0, 0, NULL, (s), (o), NULL}
#define JS_IGNORE(n)            {(n), JS_IGNORED, 0, 0, 0, NULL, NULL, NULL, NULL}
#define JS_RO(n)                {(n), JS_READONLY, 0, 0, 0, NULL, NULL, NULL, NULL}
#define JS_SPEC_END             {NULL, JS_END, 0, 0, 0, NULL, NULL, NULL, NULL}
/* clang-format on */

/*
 * Checks obj against spec. Field names in errors are prefixed with prefix
 * ("" at the top, "address." for nested). Appends one {field, message} to
 * errors per problem. Returns true when there was none.
 */
bool jspec_check(const json_t *obj, const struct jspec *spec, const char *prefix, json_t *errors);

/*
 * Checks the other languages of translatable texts ({lang: {field: text}}, see
 * i18n_flatten) with the same rules as their field in spec (bounds, one line,
 * the privacy guard), as "field.lang" in errors. True when all are valid.
 */
bool jspec_check_translations(const json_t *translations, const struct jspec *spec, json_t *errors);

/*
 * jspec_check for a body whose fields (NULL-ended) may each be a plain string
 * or an object of languages (i18n.h): the main-language texts are checked by
 * spec, the other languages by the same rules. Returns the flattened body
 * (owned by the caller, who keeps it while spec's out pointers are used), and
 * sets *main and *translations (owned). dflt: the main language when the body
 * names none.
 */
json_t *jspec_check_i18n(const json_t *obj, const struct jspec *spec, const char *const *fields,
                         const char *dflt, const char **main, json_t **translations,
                         json_t *errors);

/* jspec_check_i18n on a request body; on failure replies 422 and returns NULL. */
json_t *jspec_parse_i18n(struct request *r, const json_t *obj, const struct jspec *spec,
                         const char *const *fields, const char *dflt, const char **main,
                         json_t **translations);

/* Replies 422 "N fields are not valid" with errors (taken). */
void jspec_reply_invalid(struct request *r, json_t *errors);

/* jspec_check on a request body; on failure replies 422 with every error. */
bool jspec_parse(struct request *r, const json_t *obj, const struct jspec *spec);

#endif
