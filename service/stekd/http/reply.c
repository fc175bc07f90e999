#include "stek/http.h"
#include "stek/cursor.h"
#include "stek/db.h"
#include "stek/i18n.h"
#include "stek/log.h"
#include "stek/router.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    unsigned status;
    const char *slug;
    const char *title;
} errors[ERR_COUNT] = {
#define X(name, status, slug, title) [ERR_##name] = {status, slug, title},
#include "stek/errors.def"
#undef X
};

unsigned
stek_err_status(enum stek_err err)
{
    return errors[err].status;
}

/* Drops what the current body holds, before it is replaced or the reply is cleared. */
static void
drop_body(struct reply *rep)
{
    if (!rep->body_static)
        free(rep->body);
    if (rep->release != NULL)
        rep->release(rep->release_cls);
    rep->body = NULL;
    rep->release = NULL;
    rep->release_cls = NULL;
}

void
reply_clear(struct reply *rep)
{
    drop_body(rep);
    for (int i = 0; i < rep->nheaders; i++)
        free(rep->headers[i].value);
    memset(rep, 0, sizeof(*rep));
}

void
reply_raw_steal(struct request *r, unsigned status, char *body, size_t len, const char *ctype)
{
    drop_body(&r->reply);
    r->reply.status = status;
    r->reply.body = body;
    r->reply.len = len;
    r->reply.body_static = false;
    r->reply.ctype = ctype;
}

void
reply_static(struct request *r, unsigned status, const char *body, size_t len, const char *ctype)
{
    drop_body(&r->reply);
    r->reply.status = status;
    /* body_static marks it as not ours; the cast only satisfies the field type. */
    r->reply.body = (char *)(uintptr_t)body;
    r->reply.len = len;
    r->reply.body_static = true;
    r->reply.ctype = ctype;
}

void
reply_shared(struct request *r, unsigned status, const char *body, size_t len, const char *ctype,
             void (*release)(void *cls), void *cls)
{
    reply_static(r, status, body, len, ctype);
    r->reply.release = release;
    r->reply.release_cls = cls;
}

void
reply_empty(struct request *r, unsigned status)
{
    reply_static(r, status, "", 0, NULL);
}

/* Notes a record's language for Content-Language (distinct, in order of first use). */
static void
note_language(char *set, size_t len, const char *lang)
{
    size_t n = strlen(lang), used = strlen(set);
    for (const char *p = set; (p = strstr(p, lang)) != NULL; p += n)
        if ((p == set || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return;
    snprintf(set + used, len - used, "%s%s", used ? ", " : "", lang);
}

/* Localizes one record; notes its language in set; returns what i18n_localize did. */
static const char *
localize_one(json_t *doc, const char *want, char *set, size_t len)
{
    const char *main = json_string_value(json_object_get(doc, "main_language"));
    char main_copy[8];
    snprintf(main_copy, sizeof(main_copy), "%s", main ? main : "");
    const char *got = i18n_localize(doc, want);
    if (got != NULL)
        note_language(set, len, strcmp(got, "all") == 0 ? main_copy : got);
    return got;
}

static void
language_headers(struct request *r, const char *set)
{
    if (set[0] == '\0' && r->route != NULL && (r->route->flags & ROUTE_LANGUAGES)) {
        const char *first = req_first_language(r);
        set = first != NULL ? first : "nl";
    }
    if (set[0] == '\0')
        return;
    reply_header(r, "Vary", "Accept-Language");
    reply_header(r, "Content-Language", set);
}

/*
 * The languages an answer shows doc in: the reader's (req_language), except that a write that
 * gave a translatable text as an object of languages is answered the same way, with every
 * language the record holds ("all"): the writer sees what was stored. A write in plain strings
 * is answered in plain strings, as before; ?lang= chooses otherwise.
 */
static const char *
answer_language(struct request *r, const json_t *doc)
{
    const json_t *fields = json_object_get(doc, "translatable"), *f;
    size_t i;

    if (r->method == M_GET || r->method == M_HEAD || req_query(r, "lang") != NULL ||
        !json_is_object(r->json))
        return req_language(r);
    json_array_foreach(fields, i, f)
    {
        if (json_is_object(json_object_get(r->json, json_string_value(f))))
            return "all";
    }
    return req_language(r);
}

const char *
reply_localize(struct request *r, json_t *doc)
{
    char set[64] = "";
    const char *got = localize_one(doc, answer_language(r, doc), set, sizeof(set));
    language_headers(r, set);
    return got;
}

/*
 * Records with translatable texts (a document, or the items of a page) are
 * given in the reader's language (i18n.h); the reply then says which
 * (Content-Language) and that it depends on Accept-Language.
 */
static void
localize(struct request *r, json_t *body)
{
    const char *want = answer_language(r, body);
    char set[64] = "";
    json_t *items = json_object_get(body, "items"), *item;
    size_t i;

    if (json_object_get(body, "translatable") != NULL)
        localize_one(body, want, set, sizeof(set));
    json_array_foreach(items, i, item)
    {
        if (json_object_get(item, "translatable") != NULL)
            localize_one(item, want, set, sizeof(set));
    }
    language_headers(r, set);
}

void
reply_json_steal(struct request *r, unsigned status, json_t *body)
{
    localize(r, body);
    /* 15 significant digits: coordinates read back as 51.3869, not 51.386899999999997. */
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));

    json_decref(body);
    if (text == NULL)
        abort(); /* only on allocation failure; request sizes are bounded */
    reply_raw_steal(r, status, text, strlen(text), "application/json");
}

void
reply_header(struct request *r, const char *name, const char *value)
{
    char *copy;

    for (int i = 0; i < r->reply.nheaders; i++) {
        if (strcmp(r->reply.headers[i].name, name) == 0) {
            copy = strdup(value);
            if (copy == NULL)
                abort();
            free(r->reply.headers[i].value);
            r->reply.headers[i].value = copy;
            return;
        }
    }
    if (r->reply.nheaders == REPLY_MAX_HEADERS)
        abort(); /* a programming error: the table is sized for our handlers */
    copy = strdup(value);
    if (copy == NULL)
        abort();
    r->reply.headers[r->reply.nheaders].name = name;
    r->reply.headers[r->reply.nheaders].value = copy;
    r->reply.nheaders++;
}

void
reply_problem(struct request *r, enum stek_err err, json_t *errs, const char *fmt, ...)
{
    char type[96];
    json_t *body;

    snprintf(type, sizeof(type), "urn:stek:problem:%s", errors[err].slug);
    body = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", errors[err].title, "status",
                     (int)errors[err].status, "request_id", r->request_id);
    if (body == NULL)
        abort();
    if (fmt != NULL) {
        char detail[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        json_object_set_new(body, "detail", json_string(detail));
    } else {
        json_object_set_new(body, "detail", json_string(errors[err].title));
    }
    if (errs != NULL)
        json_object_set_new(body, "errors", errs);
    /* Drop headers a handler may have prepared for a success reply (ETag, Location). */
    for (int i = 0; i < r->reply.nheaders; i++)
        free(r->reply.headers[i].value);
    r->reply.nheaders = 0;
    reply_json_steal(r, errors[err].status, body);
    r->reply.ctype = "application/problem+json";
    if (err == ERR_DB_UNAVAILABLE || err == ERR_OVERLOADED)
        reply_header(r, "Retry-After", "5");
    if (err == ERR_UNAUTHORIZED)
        reply_header(r, "WWW-Authenticate", "Bearer realm=\"stek\"");
}

void
reply_db_error(struct request *r)
{
    if (r->db == NULL || db_conn_lost(r->db))
        reply_problem(r, ERR_DB_UNAVAILABLE, NULL, "the database cannot be reached; retry later");
    else
        reply_problem(r, ERR_INTERNAL, NULL, "the request could not be completed (request %s)",
                      r->request_id);
}

/*
 * A page is written from the documents' text: a record the reader's language cannot change is
 * copied as it is (i18n_plain_json); only one with other languages the reader may want is
 * parsed and localized.
 */
void
reply_page(struct request *r, struct db_page *page)
{
    const char *want = req_language(r);
    char set[64] = "", main[8];
    struct strbuf b = {0};

    sb_puts(&b, "{\"items\":[");
    for (int i = 0; i < page->n; i++) {
        const char *text = db_page_doc(page, i);
        if (i > 0)
            sb_puts(&b, ",");
        if (i18n_plain_json(text, want, &b, main)) {
            if (main[0] != '\0')
                note_language(set, sizeof(set), main);
            continue;
        }
        json_t *doc = json_loads(text, 0, NULL);
        if (doc == NULL) {
            sb_free(&b);
            db_page_clear(page);
            reply_problem(r, ERR_INTERNAL, NULL, "a record could not be read");
            return;
        }
        if (json_object_get(doc, "translatable") != NULL)
            localize_one(doc, want, set, sizeof(set));
        char *one = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
        json_decref(doc);
        if (one == NULL)
            abort();
        sb_puts(&b, one);
        free(one);
    }
    sb_puts(&b, "],\"next_cursor\":");
    if (page->more) {
        char cursor[CURSOR_MAX];
        cursor_encode(cursor, page->last_a, page->last_b);
        sb_printf(&b, "\"%s\"", cursor);
    } else {
        sb_puts(&b, "null");
    }
    sb_puts(&b, "}");
    db_page_clear(page);
    language_headers(r, set);
    size_t len;
    char *body = sb_steal(&b, &len);
    reply_raw_steal(r, 200, body, len, "application/json");
}

bool
reply_constraint(struct request *r, const struct constraint_reply *table, const char *prefix)
{
    enum db_qs failure = db_last_failure(r->db);
    const char *name = db_constraint(r->db);
    char field[96];

    for (const struct constraint_reply *c = table; c->constraint != NULL; c++) {
        if (strcmp(c->constraint, name) != 0)
            continue;
        snprintf(field, sizeof(field), "%s%s", prefix, c->field);
        reply_problem(r, c->err, json_pack("[{s:s, s:s}]", "field", field, "message", c->message),
                      "%s %s", field, c->message);
        return true;
    }
    if (failure == DB_CHECK || failure == DB_FOREIGN_KEY) {
        reply_problem(r, ERR_VALIDATION, NULL, "a value is outside what the database accepts");
        return true;
    }
    return false;
}

void
http_date(int64_t t, char out[40])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}
