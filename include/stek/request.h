/* Reading a request: query, body, conditional headers (service/stekd/http/request.c). */
#ifndef STEK_REQUEST_H
#define STEK_REQUEST_H

#include "stek/http.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The decoded value of a query parameter, or NULL when absent. */
const char *req_query(const struct request *r, const char *key);

/*
 * Parses the body as a JSON object into r->json (checks the content type
 * against JSON, or also merge-patch+json when merge_patch is true). Replies
 * 415/400/422 and returns false on failure.
 */
bool req_json_body(struct request *r, bool merge_patch);

/* Whether the request's Content-Type is type (parameters such as charset aside). */
bool req_media_is(const struct request *r, const char *type);

/*
 * If-Match handling: true when the request may proceed given the current
 * ETag (no If-Match, "*", or a match). Otherwise replies 412 and returns false.
 */
bool req_if_match(struct request *r, const char *etag);

/* True if If-None-Match lists etag (the caller then replies 304). */
bool req_if_none_match(const struct request *r, const char *etag);

/* True when If-Modified-Since is at or after last_modified (seconds since 1970). */
bool req_not_modified_since(const struct request *r, int64_t last_modified);

/* True when Accept-Encoding lists gzip (or *) without q=0. */
bool req_accepts_gzip(const struct request *r);

/*
 * The languages the reader asked for (?lang=, else Accept-Language), best
 * first: "fr" or "fr,nl", "all", or NULL for none supported (each record's
 * main language). See i18n_negotiate. Worked out once per request.
 */
const char *req_language(struct request *r);

/* The first of req_language's languages (nl, fr, en, de), or NULL (also for "all"). */
const char *req_first_language(struct request *r);

/*
 * Formats the strong ETag of a versioned entity: "<id>.<version>" in quotes, and
 * "<id>.<version>.<lang>" for a representation in a language the reader chose
 * (lang NULL: none). If-Match accepts every language's ETag of one version.
 */
void make_etag(char *out, size_t len, const char *id, long version, const char *lang);

/* This service's public address without a trailing slash (STEK_PUBLIC_URL, else http:// and a
 * sane Host, else http://localhost), for links in pages and documents. */
void req_public_base(const struct request *r, char *out, size_t len);

#endif
