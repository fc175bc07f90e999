/* Outbound URLs: see outbound.h. */
#include "stek/outbound.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

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
outbound_check_url(const struct stek_config *cfg, const char *url, char *pin, size_t pinlen)
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
    bool listed = config_webhook_allowed(cfg, bare, NULL);
    if (strcasecmp(scheme, "https") != 0 && !(strcasecmp(scheme, "http") == 0 && listed)) {
        why = "must be https (http only for a host in STEK_WEBHOOK_ALLOW)";
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
        if (not_public(a->ai_addr) && !listed && !config_webhook_allowed(cfg, bare, addr)) {
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
