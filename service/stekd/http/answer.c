/*
 * Answers of records (service/stekd/http/answer.c): a document or a page of them, put into the
 * reader's language on the way out (i18n.h), with Content-Language and Vary. The one place
 * where the HTTP layer both reads the request (its languages) and sets the reply: reply.c
 * only sets replies, request.c only reads requests.
 */
#include "stek/answer.h"
#include "stek/cursor.h"
#include "stek/i18n.h"
#include "stek/router.h"
#include "stek/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ?missing_languages=true: each record says which of its texts each language lacks. */
static bool
wants_missing(struct request *r)
{
    const char *v = req_query(r, "missing_languages");
    return v != NULL && strcmp(v, "true") == 0;
}

/* Localizes one record (with missing, adding what each language lacks, read before); notes
 * its language in set; returns what i18n_localize did. */
static const char *
localize_one(json_t *doc, const char *want, bool missing, char *set, size_t len)
{
    const char *main = json_string_value(json_object_get(doc, "main_language"));
    char main_copy[8];
    snprintf(main_copy, sizeof(main_copy), "%s", main ? main : "");
    json_t *lacking = missing ? i18n_missing(doc) : NULL;
    const char *got = i18n_localize(doc, want);
    if (got != NULL)
        note_language(set, len, strcmp(got, "all") == 0 ? main_copy : got);
    if (lacking != NULL)
        json_object_set_new(doc, "missing_languages", lacking);
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
    const char *got =
        localize_one(doc, answer_language(r, doc), wants_missing(r), set, sizeof(set));
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
    bool missing = wants_missing(r);

    if (json_object_get(body, "translatable") != NULL)
        localize_one(body, want, missing, set, sizeof(set));
    json_array_foreach(items, i, item)
    {
        if (json_object_get(item, "translatable") != NULL)
            localize_one(item, want, missing, set, sizeof(set));
    }
    language_headers(r, set);
}

void
reply_json_steal(struct request *r, unsigned status, json_t *body)
{
    localize(r, body);
    reply_json_plain_steal(r, status, body);
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
    bool missing = wants_missing(r);

    sb_puts(&b, "{\"items\":[");
    for (int i = 0; i < page->n; i++) {
        const char *text = db_page_doc(page, i);
        if (i > 0)
            sb_puts(&b, ",");
        if (!missing && i18n_plain_json(text, want, &b, main)) {
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
            localize_one(doc, want, missing, set, sizeof(set));
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
