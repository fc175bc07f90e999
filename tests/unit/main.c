/*
 * Unit tests of the pure parts of stekd: no database, no sockets.
 * Prints one line per failed check and "unit: N passed, N failed".
 */
#include "stek/embedded.h"
#include "stek/cursor.h"
#include "stek/mergepatch.h"
#include "stek/token.h"
#include "stek/jspec.h"
#include "stek/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"

int passed, failed;

/* Handlers are linked in but never called here. */

static void
test_cursor(void)
{
    char out[CURSOR_MAX], a[32], b[48];

    cursor_encode(out, "1795302696604255", "8f0e6a4c-0001-4a00-8000-000000000002");
    CHECK(strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          strlen(out));
    CHECK(cursor_decode(out, a, b));
    CHECK(strcmp(a, "1795302696604255") == 0);
    CHECK(strcmp(b, "8f0e6a4c-0001-4a00-8000-000000000002") == 0);
    cursor_encode(out, "42", "");
    CHECK(cursor_decode(out, a, b) && strcmp(a, "42") == 0 && b[0] == '\0');
    CHECK(!cursor_decode("", a, b));
    CHECK(!cursor_decode("not a cursor!", a, b));
    CHECK(!cursor_decode("AAAA", a, b));
    /* "1:x:y" with a non-numeric first part and a non-UUID second part. */
    cursor_encode(out, "abc", "");
    CHECK(!cursor_decode(out, a, b));
    cursor_encode(out, "12", "not-a-uuid");
    CHECK(!cursor_decode(out, a, b));
}

static void
check_patch(const char *target, const char *patch, const char *expect)
{
    json_t *t = json_loads(target, JSON_DECODE_ANY, NULL);
    json_t *p = json_loads(patch, JSON_DECODE_ANY, NULL);
    json_t *e = json_loads(expect, JSON_DECODE_ANY, NULL);
    json_t *res = merge_patch_steal(t, p);
    bool ok = json_equal(res, e);

    if (!ok)
        printf("merge patch %s + %s\n", target, patch);
    CHECK(ok);
    json_decref(res);
    json_decref(p);
    json_decref(e);
}

static void
test_merge_patch(void)
{
    /* The examples of RFC 7396, appendix A. */
    check_patch("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check_patch("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    check_patch("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    check_patch("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    check_patch("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check_patch("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    check_patch("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
                "{\"a\":{\"b\":\"d\"}}");
    check_patch("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    check_patch("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    check_patch("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    check_patch("{\"a\":\"foo\"}", "null", "null");
    check_patch("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
    check_patch("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    check_patch("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    check_patch("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

static bool
has_error(const json_t *errs, const char *field, const char *msg_part)
{
    size_t i;
    json_t *e;
    json_array_foreach(errs, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0 &&
            strstr(json_string_value(json_object_get(e, "message")), msg_part) != NULL)
            return true;
    }
    return false;
}

static void
test_jspec(void)
{
    static const char *const roles[] = {"admin", "partner", NULL};
    const char *name = NULL, *email = NULL, *web = NULL, *phone = NULL, *role = NULL, *desc = "x",
               *id = NULL;
    bool active = true;
    long long n = 0;
    struct jspec spec[] = {
        JS_STR("name", &name, JF_REQUIRED, 1, 5),
        JS_TXT("description", &desc, JF_NULLABLE, 10),
        JS_EMAILF("email", &email, JF_NULLABLE),
        JS_URLF("website", &web, 0),
        JS_PHONEF("phone", &phone, 0),
        JS_ENUMF("role", &role, 0, roles),
        JS_BOOLEAN("active", &active, 0),
        JS_INTEGER("n", &n, 0, 1, 10),
        JS_UUIDF("partner_id", &id, 0),
        JS_RO("created_at"),
        JS_SPEC_END,
    };
    json_t *errs = json_array();
    json_t *good = json_loads("{\"name\":\"Ééééé\",\"description\":null,\"email\":\"a@b.be\","
                              "\"website\":\"https://x.be/a\",\"phone\":\"+32 3 123 45 67\","
                              "\"role\":\"partner\",\"active\":false,\"n\":10,"
                              "\"partner_id\":\"8f0e6a4c-0001-4a00-8000-000000000002\"}",
                              0, NULL);
    CHECK(jspec_check(good, spec, "", errs));
    CHECK(json_array_size(errs) == 0);
    if (json_array_size(errs) != 0)
        json_dumpf(errs, stdout, 0);
    CHECK(strcmp(name, "Ééééé") == 0); /* five characters, ten bytes */
    CHECK(desc == NULL);
    CHECK(!active && n == 10 && strcmp(role, "partner") == 0);
    json_decref(good);

    /* Every problem is reported, not just the first. */
    json_t *bad = json_loads("{\"description\":\"line\\nline\\u0001\",\"email\":\"nope\","
                             "\"website\":\"ftp://x\",\"phone\":\"call me\",\"role\":\"root\","
                             "\"active\":\"yes\",\"n\":11,\"partner_id\":\"123\","
                             "\"created_at\":\"now\",\"colour\":\"red\"}",
                             0, NULL);
    CHECK(!jspec_check(bad, spec, "", errs));
    CHECK(has_error(errs, "name", "is required"));
    CHECK(has_error(errs, "description", "control"));
    CHECK(has_error(errs, "email", "e-mail"));
    CHECK(has_error(errs, "website", "http"));
    CHECK(has_error(errs, "phone", "phone"));
    CHECK(has_error(errs, "role", "admin, partner"));
    CHECK(has_error(errs, "active", "true or false"));
    CHECK(has_error(errs, "n", "1 to 10"));
    CHECK(has_error(errs, "partner_id", "UUID"));
    CHECK(has_error(errs, "created_at", "read-only"));
    CHECK(has_error(errs, "colour", "not a known field"));
    CHECK(json_array_size(errs) == 11);
    json_decref(bad);
    json_array_clear(errs);

    bad = json_loads("{\"name\":\"toolong\",\"website\":null}", 0, NULL);
    CHECK(!jspec_check(bad, spec, "", errs));
    CHECK(has_error(errs, "name", "1 to 5 characters"));
    CHECK(has_error(errs, "website", "cannot be null"));
    json_decref(bad);
    json_array_clear(errs);

    bad = json_loads("{\"name\":\" pad\"}", 0, NULL);
    CHECK(!jspec_check(bad, spec, "", errs));
    CHECK(has_error(errs, "name", "space"));
    json_decref(bad);
    json_array_clear(errs);

    bad = json_loads("{\"name\":\"a\\u0000b\"}", JSON_ALLOW_NUL, NULL);
    CHECK(!jspec_check(bad, spec, "", errs));
    CHECK(has_error(errs, "name", "NUL"));
    json_decref(bad);

    /* Nested objects name their fields with a dotted path. */
    const char *street = NULL;
    const json_t *addr = NULL;
    struct jspec sub[] = {JS_STR("street", &street, JF_REQUIRED, 1, 10), JS_SPEC_END};
    struct jspec outer[] = {
        {"address", JS_OBJECT, JF_REQUIRED, 0, 0, NULL, sub, &addr, NULL},
        JS_SPEC_END,
    };
    json_array_clear(errs);
    bad = json_loads("{\"address\":{\"zip\":1}}", 0, NULL);
    CHECK(!jspec_check(bad, outer, "", errs));
    CHECK(has_error(errs, "address.street", "is required"));
    CHECK(has_error(errs, "address.zip", "not a known field"));
    json_decref(bad);
    json_decref(errs);
}

static void
test_router(void)
{
    const struct route *rt = NULL;
    const char *params[REQ_MAX_PARAMS];
    int np = 0;
    char allow[128];
    char p1[] = "/v1/partners/abc";
    char p2[] = "/v1/partners";
    char p3[] = "/v1/nothing";
    char p4[] = "/v1/partners/";
    char p5[] = "/healthz";

    CHECK(router_find(M_GET, p1, &rt, params, &np, allow, sizeof(allow)) == ROUTE_FOUND);
    CHECK(rt->handler != NULL && np == 1 && strcmp(params[0], "abc") == 0);
    CHECK(router_find(M_PUT, p2, &rt, params, &np, allow, sizeof(allow)) == ROUTE_NO_METHOD);
    CHECK(strcmp(allow, "GET, HEAD, POST, OPTIONS") == 0);
    CHECK(router_find(M_GET, p3, &rt, params, &np, allow, sizeof(allow)) == ROUTE_NO_PATH);
    CHECK(router_find(M_GET, p4, &rt, params, &np, allow, sizeof(allow)) == ROUTE_NO_PATH);
    CHECK(router_find(M_HEAD, p5, &rt, params, &np, allow, sizeof(allow)) == ROUTE_FOUND);
    CHECK(method_parse("PATCH") == M_PATCH && method_parse("BREW") == M_OTHER);
}

/* The roles a route allows are the operation's x-stek-roles (none for a public route), and an
 * operation with a key says so in its security. */
static void
check_roles(const struct route *rt, const json_t *op, const char *method)
{
    const json_t *declared = json_object_get(op, "x-stek-roles");
    unsigned set = 0;
    size_t i;
    const json_t *v;

    json_array_foreach(declared, i, v)
    {
        for (int k = ROLE_ADMIN; k < ROLE_COUNT; k++)
            if (json_string_value(v) != NULL && strcmp(json_string_value(v), role_names[k]) == 0)
                set |= 1u << k;
    }
    bool ok = set == rt->allow && (declared == NULL || json_array_size(declared) > 0) &&
              (rt->allow == R_PUBLIC) == (json_object_get(op, "security") == NULL);
    if (!ok)
        printf("route %s %s: the route table allows roles %#x, openapi.yaml's x-stek-roles %#x\n",
               method, rt->pattern, rt->allow, set);
    CHECK(ok);
}

/* Every route is in openapi.yaml (with the roles it allows), and every operation there has a
 * route. */
static void
test_routes_match_openapi(void)
{
    json_t *spec = json_loadb(stek_openapi_json, stek_openapi_json_len, 0, NULL);
    json_t *paths = json_object_get(spec, "paths");
    const char *path;
    json_t *item;
    static const char *const verbs[] = {"get", "post", "patch", "delete", "put", NULL};

    CHECK(paths != NULL);
    for (const struct route *rt = stek_routes; rt->pattern != NULL; rt++) {
        char lower[16];
        size_t i;
        const char *m = method_name(rt->method);
        for (i = 0; m[i] && i < sizeof(lower) - 1; i++)
            lower[i] = (char)(m[i] | 0x20);
        lower[i] = '\0';
        json_t *op = json_object_get(json_object_get(paths, rt->pattern), lower);
        if (op == NULL)
            printf("route %s %s is missing from openapi.yaml\n", m, rt->pattern);
        CHECK(op != NULL);
        if (op != NULL)
            check_roles(rt, op, m);
    }
    json_object_foreach(paths, path, item)
    {
        for (const char *const *v = verbs; *v != NULL; v++) {
            if (json_object_get(item, *v) == NULL)
                continue;
            bool ok = false;
            for (const struct route *rt = stek_routes; rt->pattern != NULL && !ok; rt++)
                ok = strcmp(rt->pattern, path) == 0 && strcasecmp(method_name(rt->method), *v) == 0;
            if (!ok)
                printf("openapi.yaml has %s %s but no route serves it\n", *v, path);
            CHECK(ok);
        }
    }
    json_decref(spec);
}

static void
test_token(void)
{
    char t1[TOKEN_LEN + 1], t2[TOKEN_LEN + 1];

    CHECK(token_new(t1) && token_new(t2));
    CHECK(strlen(t1) == TOKEN_LEN && strncmp(t1, "stek_", 5) == 0);
    CHECK(strcmp(t1, t2) != 0);
    CHECK(token_well_formed(t1));
    CHECK(!token_well_formed("stek_short"));
    t1[20] = 'G';
    CHECK(!token_well_formed(t1));
}

int
main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    json_object_seed(1);
    test_cursor();
    test_merge_patch();
    test_jspec();
    test_router();
    test_routes_match_openapi();
    test_token();
    test_rrule(argc > 1 ? argv[1] : "tests/unit/rrule_vectors.txt");
    test_tz(argc > 2 ? argv[2] : NULL);
    test_privacy(argc > 3 ? argv[3] : "tests/unit/privacy_corpus.tsv");
    test_stats();
    test_month();
    test_domain();
    test_feedmodel();
    test_template();
    test_secrets();
    test_import();
    test_ics();
    test_search();
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
