/*
 * Answers of records (service/stekd/http/answer.c): documents and pages put into the reader's
 * language (i18n.h) on the way out, with Content-Language and Vary. Every JSON answer goes
 * through reply_json_steal; a document without translatable texts is sent as it is.
 */
#ifndef STEK_ANSWER_H
#define STEK_ANSWER_H

#include "stek/db.h"
#include "stek/http.h"

#include <jansson.h>

/*
 * Puts a record with translatable texts into the reader's language and sets Content-Language
 * and Vary; returns the language used ("all" for every one), or NULL for a document without
 * translatable texts. A write that gave a text as an object of languages is answered with
 * every language ("all"), one in plain strings in plain strings; ?lang= chooses otherwise.
 */
const char *reply_localize(struct request *r, json_t *doc);

/* Sets a JSON reply, its records localized as reply_localize does; takes body. */
void reply_json_steal(struct request *r, unsigned status, json_t *body);

/* Replies 200 {"items": [...], "next_cursor": ...}, each record localized; takes page. */
void reply_page(struct request *r, struct db_page *page);

#endif
