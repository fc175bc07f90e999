/* Outbound URLs: see outbound.h. */
#include "stek/outbound.h"

#include "stek/version.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static _Thread_local char why_http[96];

/* Loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT, unspecified,
 * multicast and reserved addresses: never reached unless allow-listed. */
static bool
not_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr);
        return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 || (a >> 16) == 0xA9FE ||
               (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8 || (a >> 22) == (100u << 2 | 1) ||
               (a >> 28) >= 0xE;
    }
    if (sa->sa_family == AF_INET6) {
        const unsigned char *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        static const unsigned char zero[16];
        if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
            return true; /* :: and ::1 */
        if ((b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) || b[0] == 0xFF)
            return true; /* unique local, link-local, multicast */
        if (memcmp(b, zero, 10) == 0 && b[10] == 0xFF && b[11] == 0xFF) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, b + 12, 4);
            return not_public((const struct sockaddr *)&v4); /* IPv4-mapped */
        }
        return false;
    }
    return true;
}

const char *
outbound_check_url(const char *allow, const char *setting, const char *url, char *pin,
                   size_t pinlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    const char *why = NULL;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;

    if (u == NULL)
        return "cannot be read";
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        why = "must be an http(s) URL with a host";
        goto out;
    }
    /* curl keeps [brackets] around an IPv6 host; getaddrinfo wants none. */
    /* A DNS name has at most 253 characters: a longer host is refused, never checked cut
     * (curl would use the whole one). */
    char bare[256];
    if (strlen(host) >= sizeof(bare)) {
        why = "names a host that is too long";
        goto out;
    }
    snprintf(bare, sizeof(bare), "%s", host);
    if (bare[0] == '[') {
        memmove(bare, bare + 1, strlen(bare));
        bare[strcspn(bare, "]")] = '\0';
    }
    bool listed = config_host_allowed(allow, bare, NULL);
    if (strcasecmp(scheme, "https") != 0 && !(strcasecmp(scheme, "http") == 0 && listed)) {
        snprintf(why_http, sizeof(why_http), "must be https (http only for a host in %s)", setting);
        why = why_http;
        goto out;
    }
    if (getaddrinfo(bare, port, &hints, &res) != 0 || res == NULL) {
        why = "names a host that does not resolve";
        goto out;
    }
    char first[INET6_ADDRSTRLEN] = "";
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
        char addr[INET6_ADDRSTRLEN];
        const void *in =
            a->ai_family == AF_INET
                ? (const void *)&((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr
                : (const void *)&((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr;
        inet_ntop(a->ai_family, in, addr, sizeof(addr));
        if (not_public(a->ai_addr) && !listed && !config_host_allowed(allow, bare, addr)) {
            why = "reaches a loopback, private, link-local or metadata address";
            goto out;
        }
        if (first[0] == '\0')
            snprintf(first, sizeof(first), a->ai_family == AF_INET6 ? "[%s]" : "%s", addr);
    }
    snprintf(pin, pinlen, "%s:%s:%s", bare, port, first);
out:
    if (res != NULL)
        freeaddrinfo(res);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return why;
}

struct fetch {
    struct outbound_answer *out;
    size_t max;
    bool too_large;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    struct fetch *f = arg;
    size_t len = size * n;
    if (f->out->len + len > f->max) {
        f->too_large = true;
        return 0; /* stops the transfer */
    }
    char *grown = realloc(f->out->body, f->out->len + len + 1);
    if (grown == NULL)
        abort();
    memcpy(grown + f->out->len, p, len);
    f->out->len += len;
    grown[f->out->len] = '\0';
    f->out->body = grown;
    return len;
}

/* ETag and Last-Modified, for the next request's conditions. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
    struct fetch *f = arg;
    size_t len = size * n;
    char line[320];
    if (len >= sizeof(line))
        return len;
    memcpy(line, p, len);
    line[len] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    if (strncasecmp(line, "ETag:", 5) == 0)
        snprintf(f->out->etag, sizeof(f->out->etag), "%s", line + 5 + strspn(line + 5, " "));
    else if (strncasecmp(line, "Last-Modified:", 14) == 0)
        snprintf(f->out->last_modified, sizeof(f->out->last_modified), "%s",
                 line + 14 + strspn(line + 14, " "));
    return len;
}

bool
outbound_fetch(const char *allow, const char *setting, const char *ca_file, const char *url,
               const char *etag, const char *last_modified, size_t max_bytes, long timeout_s,
               struct outbound_answer *out)
{
    char pin[600], cond[400];
    const char *why;
    struct fetch f = {.out = out, .max = max_bytes};
    struct curl_slist *resolve = NULL, *hdrs = NULL;
    CURL *c;

    memset(out, 0, sizeof(*out));
    if ((why = outbound_check_url(allow, setting, url, pin, sizeof(pin))) != NULL) {
        snprintf(out->error, sizeof(out->error), "the address %s", why);
        return false;
    }
    if ((c = curl_easy_init()) == NULL) {
        snprintf(out->error, sizeof(out->error), "cannot start a request");
        return false;
    }
    resolve = curl_slist_append(resolve, pin);
    if (etag != NULL && *etag != '\0' && strlen(etag) < 300) {
        snprintf(cond, sizeof(cond), "If-None-Match: %s", etag);
        hdrs = curl_slist_append(hdrs, cond);
    }
    if (last_modified != NULL && *last_modified != '\0' && strlen(last_modified) < 100) {
        snprintf(cond, sizeof(cond), "If-Modified-Since: %s", last_modified);
        hdrs = curl_slist_append(hdrs, cond);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "stek-calendars/" STEK_VERSION);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* each address is checked: none followed */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (ca_file != NULL && *ca_file != '\0') /* besides the system's (a private CA) */
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &f);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    if (f.too_large)
        snprintf(out->error, sizeof(out->error), "the calendar is larger than %zu bytes",
                 max_bytes);
    else if (rc != CURLE_OK)
        snprintf(out->error, sizeof(out->error), "%s", curl_easy_strerror(rc));
    curl_slist_free_all(resolve);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (out->error[0] != '\0') {
        free(out->body);
        out->body = NULL;
        out->len = 0;
        return false;
    }
    return true;
}
