#define _GNU_SOURCE /* strptime, timegm */
#include "stek/config.h"
#include "stek/http.h"
#include "stek/i18n.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *
req_query(const struct request *r, const char *key)
{
    for (int i = 0; i < r->nquery; i++)
        if (strcmp(r->query[i].key, key) == 0)
            return r->query[i].value ? r->query[i].value : "";
    return NULL;
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
req_media_is(const struct request *r, const char *type)
{
    return r->h_content_type != NULL && media_is(r->h_content_type, type);
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

const char *
req_language(struct request *r)
{
    if (!r->lang_known) {
        r->lang = i18n_negotiate(req_query(r, "lang"), r->h_accept_language, r->lang_prefs);
        r->lang_known = true;
    }
    return r->lang;
}

const char *
req_first_language(struct request *r)
{
    const char *prefs = req_language(r);
    for (const char *const *l = i18n_languages; prefs != NULL && *l != NULL; l++)
        if (strncmp(prefs, *l, 2) == 0)
            return *l;
    return NULL;
}

void
make_etag(char *out, size_t len, const char *id, long version, const char *lang)
{
    if (lang != NULL)
        snprintf(out, len, "\"%.36s.%ld.%.3s\"", id, version, lang);
    else
        snprintf(out, len, "\"%.36s.%ld\"", id, version);
}

/*
 * True if the comma-separated list of entity tags contains etag (weak prefixes
 * ignored); with any_language, also etag's representations in a language
 * ("<id>.<version>.fr" for "<id>.<version>").
 */
static bool
etag_listed(const char *list, const char *etag, bool any_language)
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
        if (any_language && n > 1 && strncmp(p, etag, n - 1) == 0 && p[n - 1] == '.') {
            size_t l = strcspn(p + n, "\"");
            char lang[4];
            if (l >= 2 && l <= 3 && p[n + l] == '"') {
                snprintf(lang, sizeof(lang), "%.*s", (int)l, p + n);
                if (i18n_supported(lang) || strcmp(lang, "all") == 0)
                    return true;
            }
        }
        while (*p && *p != ',')
            p++;
    }
    return false;
}

bool
req_if_match(struct request *r, const char *etag)
{
    if (r->h_if_match == NULL || etag_listed(r->h_if_match, etag, true))
        return true;
    reply_problem(r, ERR_PRECONDITION_FAILED, NULL,
                  "If-Match does not match the current ETag %s; read it again", etag);
    reply_header(r, "ETag", etag);
    return false;
}

bool
req_if_none_match(const struct request *r, const char *etag)
{
    return r->h_if_none_match != NULL && etag_listed(r->h_if_none_match, etag, false);
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

bool
req_not_modified_since(const struct request *r, int64_t last_modified)
{
    struct tm tm = {0};
    const char *ims = r->h_if_modified_since;
    const char *end = ims ? strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    return end != NULL && *end == '\0' && (int64_t)timegm(&tm) >= last_modified;
}

/* The public address of this service: STEK_PUBLIC_URL, else http:// and a sane Host. */
void
req_public_base(const struct request *r, char *out, size_t len)
{
    const char *cfg = stek_config()->public_url;
    const char *host = r->h_host;
    if (cfg != NULL && *cfg != '\0') {
        snprintf(out, len, "%s", cfg);
    } else if (host != NULL && *host != '\0' && strlen(host) < 200 &&
               strspn(host,
                      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
                   strlen(host)) {
        snprintf(out, len, "http://%s", host);
    } else {
        snprintf(out, len, "http://localhost");
    }
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
}
