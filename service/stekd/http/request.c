#include "stek/http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
req_query(const struct request *r, const char *key)
{
    for (int i = 0; i < r->nquery; i++)
        if (strcmp(r->query[i].key, key) == 0)
            return r->query[i].value ? r->query[i].value : "";
    return NULL;
}

/* Echo only a short, printable form of a name the client made up. */
static void
printable_name(char *out, size_t len, const char *key)
{
    size_t j = 0;
    for (const char *k = key; *k && j + 1 < len; k++)
        out[j++] = isprint((unsigned char)*k) ? *k : '?';
    out[j] = '\0';
}

bool
req_query_allow(struct request *r, const char *const *allowed)
{
    if (r->query_problem != NULL) {
        const char *msg = r->query_problem_msg ? r->query_problem_msg : "is given more than once";
        char name[64];
        printable_name(name, sizeof(name), r->query_problem);
        json_t *errs = json_pack("[{s:s, s:s}]", "field", name, "message", msg);
        reply_problem(r, ERR_BAD_QUERY, errs, "query parameter '%s' %s", name, msg);
        return false;
    }
    for (int i = 0; i < r->nquery; i++) {
        bool ok = false;
        for (const char *const *a = allowed; *a != NULL && !ok; a++)
            ok = strcmp(*a, r->query[i].key) == 0;
        if (!ok) {
            char name[64];
            printable_name(name, sizeof(name), r->query[i].key);
            json_t *errs =
                json_pack("[{s:s, s:s}]", "field", name, "message", "is not a known parameter");
            reply_problem(r, ERR_BAD_QUERY, errs, "unknown query parameter '%s'", name);
            return false;
        }
    }
    return true;
}

static void
bad_param(struct request *r, const char *name, const char *message)
{
    json_t *errs = json_pack("[{s:s, s:s}]", "field", name, "message", message);
    reply_problem(r, ERR_BAD_QUERY, errs, "%s %s", name, message);
}

bool
req_page(struct request *r, int *limit, const char **cursor)
{
    const char *l = req_query(r, "limit");

    *limit = 50;
    *cursor = req_query(r, "cursor");
    if (l != NULL) {
        char *end;
        long v = strtol(l, &end, 10);
        if (*l == '\0' || *end != '\0' || !isdigit((unsigned char)*l) || v < 1 || v > 500) {
            bad_param(r, "limit", "must be an integer from 1 to 500");
            return false;
        }
        *limit = (int)v;
    }
    if (*cursor != NULL && (**cursor == '\0' || strlen(*cursor) > 200)) {
        bad_param(r, "cursor", "is not a cursor returned by this list");
        return false;
    }
    return true;
}

/* Compares a media type (ignoring parameters and case) with want. */
static bool
media_is(const char *ctype, const char *want)
{
    size_t n = strlen(want);
    if (strncasecmp(ctype, want, n) != 0)
        return false;
    ctype += n;
    while (*ctype == ' ' || *ctype == '\t')
        ctype++;
    return *ctype == '\0' || *ctype == ';';
}

bool
req_json_body(struct request *r, bool merge_patch)
{
    json_error_t jerr;
    const char *ct = r->h_content_type;

    if (ct == NULL || !(media_is(ct, "application/json") ||
                        (merge_patch && media_is(ct, "application/merge-patch+json")))) {
        reply_problem(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, "send the body as %s",
                      merge_patch ? "application/merge-patch+json or application/json"
                                  : "application/json");
        reply_header(r, "Accept-Patch", "application/merge-patch+json");
        return false;
    }
    /* Never JSON_DISABLE_EOF_CHECK: trailing garbage is malformed input. */
    r->json = json_loadb(r->body ? r->body : "", r->body_len,
                         JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (r->json == NULL) {
        reply_problem(r, ERR_BAD_JSON, NULL, "%s at line %d, column %d", jerr.text, jerr.line,
                      jerr.column);
        return false;
    }
    if (!json_is_object(r->json)) {
        json_t *errs =
            json_pack("[{s:s, s:s}]", "field", "", "message", "the body must be a JSON object");
        reply_problem(r, ERR_VALIDATION, errs, "the body must be a JSON object");
        return false;
    }
    return true;
}

bool
is_uuid(const char *s)
{
    for (int i = 0; i < UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return s[UUID_LEN] == '\0';
}

void
make_etag(char *out, size_t len, const char *id, long version)
{
    snprintf(out, len, "\"%.36s.%ld\"", id, version);
}

/* True if the comma-separated list of entity tags contains etag (weak prefixes ignored). */
static bool
etag_listed(const char *list, const char *etag)
{
    size_t n = strlen(etag);
    const char *p = list;

    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

bool
req_if_match(struct request *r, const char *etag)
{
    if (r->h_if_match == NULL || etag_listed(r->h_if_match, etag))
        return true;
    reply_problem(r, ERR_PRECONDITION_FAILED, NULL,
                  "If-Match does not match the current ETag %s; read it again", etag);
    reply_header(r, "ETag", etag);
    return false;
}

bool
req_if_none_match(const struct request *r, const char *etag)
{
    return r->h_if_none_match != NULL && etag_listed(r->h_if_none_match, etag);
}

/* True when Accept-Encoding lists gzip (or *) without q=0. */
bool
req_accepts_gzip(const struct request *r)
{
    const char *ae = r->h_accept_encoding;
    char buf[256], *save = NULL;

    if (ae == NULL || strlen(ae) >= sizeof(buf))
        return false;
    strcpy(buf, ae);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        char *semi = strchr(tok, ';');
        bool refused = false;
        if (semi != NULL) {
            const char *q = strstr(semi, "q=");
            refused = q != NULL && strtod(q + 2, NULL) <= 0.0;
            *semi = '\0';
        }
        for (char *e = tok + strlen(tok); e > tok && e[-1] == ' '; e--)
            e[-1] = '\0';
        if ((strcasecmp(tok, "gzip") == 0 || strcmp(tok, "*") == 0) && !refused)
            return true;
    }
    return false;
}
