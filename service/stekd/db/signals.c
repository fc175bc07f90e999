#include "internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum db_qs
db_list_themes(struct db_conn *c, const char *after, int limit, struct db_page *page)
{
    const char *params[] = {after, NULL};
    return db_query_page(c, STMT(list_themes, params), params, 1, limit, page);
}

enum db_qs
db_insert_theme(struct db_conn *c, const char *code, const struct theme_labels *l,
                struct db_doc *out)
{
    const char *params[] = {code, l->nl, l->en, l->fr, l->de};
    return db_query_doc(c, STMT(insert_theme, params), params, out);
}

enum db_qs
db_create_signal(struct db_conn *c, const char *key, const char *request_hash,
                 const char *signal_id, const char *key_id, const struct signal_fields *f,
                 struct db_doc *out)
{
    const char *params[] = {f->partner_id,
                            key,
                            request_hash,
                            signal_id,
                            f->kind,
                            f->theme,
                            f->site_id,
                            f->occurred_on,
                            f->referred_to_partner_id,
                            f->note,
                            f->handoff_code,
                            f->handoff_expires_on,
                            key_id};
    return db_query_doc(c, STMT(create_signal, params), params, out);
}

enum db_qs
db_replay_signal(struct db_conn *c, const char *partner_id, const char *key, char hash[65],
                 json_t **doc)
{
    const char *params[] = {partner_id, key};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(replay_signal, params), params, &qs);

    *doc = NULL;
    if (res == NULL)
        return qs;
    if (qs > 0) {
        snprintf(hash, 65, "%s", PQgetvalue(res, 0, 0));
        *doc = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
        if (*doc == NULL)
            qs = DB_HARD_ERROR;
    }
    PQclear(res);
    return qs;
}

enum db_qs
db_get_signal(struct db_conn *c, const char *id, const char *visible_to, bool for_update,
              struct db_doc *out)
{
    const char *params[] = {id, visible_to}, *locked[] = {id};
    /* Only an admin's write locks a signal: it sees every one. */
    if (for_update)
        return db_query_doc(c, STMT(get_signal_for_update, locked), locked, out);
    return db_query_doc(c, STMT(get_signal, params), params, out);
}

enum db_qs
db_list_signals(struct db_conn *c, const char *before, const struct signal_filter *f, int limit,
                struct db_page *page)
{
    const char *params[] = {before,  f->partner, f->kind,   f->theme, f->site,
                            f->from, f->to,      f->status, NULL,     f->scope};
    return db_query_page(c, STMT(list_signals, params), params, 8, limit, page);
}

enum db_qs
db_update_signal_status(struct db_conn *c, const char *id, const char *status,
                        const char *raised_with, const char *answer, struct db_doc *out)
{
    const char *params[] = {id, status, raised_with, answer};
    return db_query_doc(c, STMT(update_signal_status, params), params, out);
}

enum db_qs
db_insert_signal_history(struct db_conn *c, const char *id, const char *key_id, const char *from,
                         const char *to, const char *raised_with, const char *answer)
{
    const char *params[] = {id, key_id, from, to, raised_with, answer};
    return db_exec_command(c, STMT(insert_signal_history, params), params);
}

enum db_qs
db_get_handoff(struct db_conn *c, const char *code, const char *partner_id, const char *today,
               bool arrive, struct db_doc *out)
{
    const char *params[] = {code, partner_id, today};
    return db_query_doc(c, arrive ? STMT(mark_arrived, params) : STMT(get_handoff, params), params,
                        out);
}

enum db_qs
db_signal_cells(struct db_conn *c, const char *from, const char *to, const char *municipality,
                const char *site, const char *kind, struct stat_cell **cells, size_t *n)
{
    const char *params[] = {from, to, municipality, site, kind};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(signal_cells, params), params, &qs);

    *cells = NULL;
    *n = 0;
    if (res == NULL)
        return qs;
    *n = (size_t)PQntuples(res);
    *cells = calloc(*n + 1, sizeof(**cells));
    if (*cells == NULL)
        abort();
    for (size_t i = 0; i < *n; i++) {
        struct stat_cell *s = &(*cells)[i];
        int r = (int)i;
        snprintf(s->theme, sizeof(s->theme), "%s", PQgetvalue(res, r, 0));
        snprintf(s->site, sizeof(s->site), "%s", PQgetvalue(res, r, 1));
        snprintf(s->municipality, sizeof(s->municipality), "%s", PQgetvalue(res, r, 2));
        snprintf(s->month, sizeof(s->month), "%s", PQgetvalue(res, r, 3));
        snprintf(s->kind, sizeof(s->kind), "%s", PQgetvalue(res, r, 4));
        snprintf(s->partner, sizeof(s->partner), "%s", PQgetvalue(res, r, 5));
        s->count = strtol(PQgetvalue(res, r, 6), NULL, 10);
        s->arrived = strtol(PQgetvalue(res, r, 7), NULL, 10);
        s->key_all = (uint32_t)strtoul(PQgetvalue(res, r, 8), NULL, 10);
        s->key_arrived = (uint32_t)strtoul(PQgetvalue(res, r, 9), NULL, 10);
        s->key_waiting = (uint32_t)strtoul(PQgetvalue(res, r, 10), NULL, 10);
        snprintf(s->status, sizeof(s->status), "%s", PQgetvalue(res, r, 11));
        if ((s->raised_with = strdup(PQgetvalue(res, r, 12))) == NULL)
            abort();
    }
    PQclear(res);
    return (enum db_qs) * n;
}

void
stat_cells_free(struct stat_cell *cells, size_t n)
{
    for (size_t i = 0; cells != NULL && i < n; i++)
        free(cells[i].raised_with);
    free(cells);
}

enum db_qs
db_erase_old_notes(struct db_conn *c, const char *before)
{
    const char *params[] = {before};
    return db_exec_command(c, STMT(erase_old_notes, params), params);
}

enum db_qs
db_delete_old_idempotency_keys(struct db_conn *c, const char *before)
{
    const char *params[] = {before};
    return db_exec_command(c, STMT(delete_old_idempotency_keys, params), params);
}

enum db_qs
db_update_signal_public(struct db_conn *c, const char *id, bool public_, struct db_doc *out)
{
    const char *params[] = {id, public_ ? "true" : "false"};
    return db_query_doc(c, STMT(update_signal_public, params), params, out);
}

enum db_qs
db_list_public_answers(struct db_conn *c, const struct answer_filter *f, const char *after,
                       int limit, struct db_page *page)
{
    const char *params[] = {f->municipality, f->site, f->from, f->to,
                            f->theme,        after,   NULL,    f->timezone};
    return db_query_page(c, STMT(list_public_answers, params), params, 6, limit, page);
}
