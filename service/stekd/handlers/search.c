/*
 * q, the one search (search.h), as every list and the feed take it; and /v1/search/synonyms,
 * the synonym groups an administrator extends.
 */
#include "stek/db.h"
#include "stek/entity.h"
#include "stek/handlers.h"
#include "stek/jspec.h"
#include "stek/qspec.h"
#include "stek/search.h"
#include "stek/tx.h"
#include "stek/answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
qs_search(const char *v, void *out)
{
    struct qsearch *s = out;
    enum search_error e = search_parse(v, search_config_current(), &s->query);

    if (e != SEARCH_OK) {
        search_query_clear(&s->query);
        return search_error_text(e);
    }
    s->text = v;
    return NULL;
}

bool
search_widen(struct request *r, struct qsearch *s, bool model)
{
    if (s->text == NULL)
        return true;
    if (model)
        search_vocab_probe(&s->query);
    else if (db_search_expand(r->db, &s->query) < 0) {
        reply_db_error(r);
        return false;
    }
    search_finish(&s->query);
    return true;
}

const struct search_query *
qsearch_query(const struct qsearch *s)
{
    return s->text != NULL ? &s->query : NULL;
}

void
qsearch_clear(struct qsearch *s)
{
    search_query_clear(&s->query);
    s->text = NULL;
}

/* ---- /v1/search/synonyms ---- */

static const char *const languages[] = {"nl", "fr", "en", "de", NULL};

void
h_synonyms_list(struct request *r)
{
    struct db_page page;
    const struct qspec spec[] = {QS_SPEC_END};

    if (!qspec_parse(r, spec))
        return;
    if (db_list_synonyms(r->db, &page) < 0) {
        reply_db_error(r);
        return;
    }
    page.more = false;
    reply_page(r, &page);
}

struct synonyms_ctx {
    const char *language;
    json_t *terms;
    struct db_doc out;
};

static enum tx_result
synonyms_create_tx(struct request *r, void *cls)
{
    struct synonyms_ctx *c = cls;
    char *terms = json_dumps(c->terms, JSON_COMPACT);
    enum db_qs qs;

    db_doc_clear(&c->out);
    qs = db_insert_synonyms(r->db, c->language, terms, &c->out);
    free(terms);
    if (qs <= 0 || audit(r, "create", "synonyms", c->out.id, NULL) < 0)
        return TX_DB_ERROR;
    return TX_COMMIT;
}

void
h_synonyms_create(struct request *r)
{
    struct synonyms_ctx c = {0};
    struct jspec spec[] = {
        JS_ENUMF("language", &c.language, JF_REQUIRED, languages),
        JS_LIST("terms", &c.terms, JF_REQUIRED | JF_GUARD, 2, 20, NULL),
        JS_RO("id"),
        JS_RO("created_at"),
        JS_SPEC_END,
    };
    json_t *errs;
    size_t i;
    json_t *t;

    if (!req_json_body(r, false))
        return;
    errs = json_array();
    jspec_check(r->json, spec, "", errs);
    json_array_foreach(c.terms, i, t)
    {
        char key[SEARCH_WORD_MAX], field[32];
        const char *v = json_string_value(t);
        snprintf(field, sizeof(field), "terms[%zu]", i);
        if (v == NULL || strlen(v) > 60)
            field_error(errs, field, "must be a word or two of at most 60 characters");
        else if (!search_synonym_key(v, search_config_current(), key))
            field_error(errs, field,
                        "must be one word or two besides words like \"de\" or \"the\" (a "
                        "longer phrase is never found whole)");
    }
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the synonyms are not valid; see errors");
        return;
    }
    json_decref(errs);
    if (run_tx(r, synonyms_create_tx, &c)) {
        /* Searched here at once; the other daemons hear NOTIFY stek_search. */
        if (db_search_reload(r->db) < 0)
            search_changed_here();
        reply_doc(r, 201, &c.out, "/v1/search/synonyms");
    }
    db_doc_clear(&c.out);
}

static enum tx_result
synonyms_delete_tx(struct request *r, void *cls)
{
    const char *id = cls;
    enum db_qs qs = db_delete_synonyms(r->db, id);

    if (qs < 0)
        return TX_DB_ERROR;
    if (qs == 0) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no synonym group has this id");
        return TX_REPLIED;
    }
    return audit(r, "delete", "synonyms", id, NULL) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

void
h_synonyms_delete(struct request *r)
{
    const char *id = req_id(r, "synonym group");

    if (id != NULL && run_tx(r, synonyms_delete_tx, (void *)(uintptr_t)id)) {
        if (db_search_reload(r->db) < 0)
            search_changed_here();
        reply_empty(r, 204);
    }
}
