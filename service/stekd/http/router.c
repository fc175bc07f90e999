/*
 * Route matching (the table itself is the application's: handlers/routes.c). The HTTP layer
 * reads the table; it never includes the handlers.
 */
#include "stek/router.h"

#include <string.h>

static const char *const method_names[] = {
    [M_GET] = "GET",       [M_HEAD] = "HEAD", [M_POST] = "POST",       [M_PATCH] = "PATCH",
    [M_DELETE] = "DELETE", [M_PUT] = "PUT",   [M_OPTIONS] = "OPTIONS", [M_OTHER] = "OTHER",
};

const char *
method_name(enum http_method m)
{
    return method_names[m];
}

enum http_method
method_parse(const char *s)
{
    for (int m = M_GET; m < M_OTHER; m++)
        if (strcmp(s, method_names[m]) == 0)
            return (enum http_method)m;
    return M_OTHER;
}

/* Matches path segments against pattern; fills params on success. */
static bool
match(const char *pattern, char *const *segs, int nsegs, const char **params, int *nparams)
{
    const char *p = pattern;
    int i = 0, np = 0;

    while (*p == '/') {
        const char *end = strchr(p + 1, '/');
        size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
        if (i >= nsegs)
            return false;
        if (p[1] == '{') {
            if (segs[i][0] == '\0' || np >= REQ_MAX_PARAMS)
                return false;
            params[np++] = segs[i];
        } else if (strlen(segs[i]) != len || strncmp(segs[i], p + 1, len) != 0) {
            return false;
        }
        i++;
        p += len + 1;
    }
    if (i != nsegs)
        return false;
    *nparams = np;
    return true;
}

/* The number of literal (not "{name}") segments of a pattern. */
static int
literals(const char *pattern)
{
    int n = 0;
    for (const char *p = pattern; (p = strchr(p, '/')) != NULL; p++)
        n += p[1] != '{';
    return n;
}

enum route_match
router_find(enum http_method method, char *path_copy, const struct route **out, const char **params,
            int *nparams, char *allow, size_t allow_len)
{
    char *segs[16];
    int nsegs = 0;
    bool path_known = false;
    enum http_method want = method == M_HEAD ? M_GET : method;

    if (path_copy[0] != '/')
        return ROUTE_NO_PATH;
    for (char *s = path_copy; s != NULL && *s == '/';) {
        char *next = strchr(s + 1, '/');
        if (nsegs == 16)
            return ROUTE_NO_PATH;
        segs[nsegs++] = s + 1;
        *s = '\0';
        s = next;
    }
    allow[0] = '\0';
    /*
     * A literal segment beats a parameter: /v1/signals/batch is its own resource, not
     * /v1/signals/{id} with id "batch". Only the routes with the most literal segments
     * among those that match make up the path (its methods, its Allow).
     */
    int best = -1;
    for (const struct route *rt = stek_routes; rt->pattern != NULL; rt++) {
        const char *tmp[REQ_MAX_PARAMS];
        int ntmp = 0;
        if (match(rt->pattern, segs, nsegs, tmp, &ntmp) && literals(rt->pattern) > best)
            best = literals(rt->pattern);
    }
    for (const struct route *rt = stek_routes; rt->pattern != NULL; rt++) {
        const char *tmp[REQ_MAX_PARAMS];
        int ntmp = 0;
        if (literals(rt->pattern) != best || !match(rt->pattern, segs, nsegs, tmp, &ntmp))
            continue;
        if (rt->method == want) {
            *out = rt;
            memcpy(params, tmp, sizeof(tmp[0]) * (size_t)ntmp);
            *nparams = ntmp;
            return ROUTE_FOUND;
        }
        path_known = true;
        if (allow[0] != '\0')
            strncat(allow, ", ", allow_len - strlen(allow) - 1);
        strncat(allow, method_names[rt->method], allow_len - strlen(allow) - 1);
        if (rt->method == M_GET)
            strncat(allow, ", HEAD", allow_len - strlen(allow) - 1);
    }
    if (path_known)
        strncat(allow, ", OPTIONS", allow_len - strlen(allow) - 1);
    return path_known ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}
