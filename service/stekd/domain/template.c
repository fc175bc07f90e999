/* A small Mustache engine over jansson values: see template.h. */
#include "stek/template.h"
#include "stek/embedded.h"
#include "stek/strbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32 /* nested contexts */
#define MAX_NAME 128

struct ctx {
    const json_t *stack[MAX_DEPTH];
    int depth;
};

/* The value of name (dotted, or "."), innermost context first; NULL when absent. */
static const json_t *
lookup(const struct ctx *c, const char *name)
{
    if (strcmp(name, ".") == 0)
        return c->stack[c->depth - 1];
    char first[MAX_NAME];
    size_t n = strcspn(name, ".");
    snprintf(first, sizeof(first), "%.*s", (int)n, name);
    const json_t *v = NULL;
    for (int i = c->depth - 1; i >= 0 && v == NULL; i--)
        v = json_is_object(c->stack[i]) ? json_object_get(c->stack[i], first) : NULL;
    for (const char *p = name + n; v != NULL && *p == '.';) {
        p++;
        size_t k = strcspn(p, ".");
        snprintf(first, sizeof(first), "%.*s", (int)k, p);
        /* items.0: an array's item by its index */
        v = json_is_array(v) ? json_array_get(v, strtoul(first, NULL, 10))
                             : json_object_get(v, first);
        p += k;
    }
    return v;
}

static bool
truthy(const json_t *v)
{
    return v != NULL && !json_is_null(v) && !json_is_false(v) &&
           !(json_is_array(v) && json_array_size(v) == 0) &&
           !(json_is_string(v) && json_string_length(v) == 0);
}

static void
put_value(struct strbuf *out, const json_t *v, bool raw)
{
    char num[64];
    const char *s = NULL;

    if (json_is_string(v))
        s = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v)), s = num;
    else if (json_is_real(v))
        snprintf(num, sizeof(num), "%.15g", json_real_value(v)), s = num;
    else if (json_is_true(v))
        s = "true";
    if (s == NULL)
        return;
    if (raw)
        sb_puts(out, s);
    else
        sb_html(out, s);
}

/* A tag at s ("{{"): its kind ('#', '^', '/', '!', '&', '{' or 0), name, and its end. */
static const char *
read_tag(const char *s, char *kind, char name[MAX_NAME])
{
    const char *p = s + 2, *end;
    bool triple = *p == '{';

    *kind = (*p == '#' || *p == '^' || *p == '/' || *p == '!' || *p == '&' || triple) ? *p++ : 0;
    end = strstr(p, triple ? "}}}" : "}}");
    if (end == NULL)
        return NULL;
    while (p < end && *p == ' ')
        p++;
    size_t n = (size_t)(end - p);
    while (n > 0 && p[n - 1] == ' ')
        n--;
    if (n >= MAX_NAME)
        return NULL;
    memcpy(name, p, n);
    name[n] = '\0';
    return end + (triple ? 3 : 2);
}

/* Where the section that starts after s ends: the start of its {{/name}}; NULL when none. */
static const char *
section_end(const char *s, const char *name, const char **after)
{
    int level = 1;
    char kind, other[MAX_NAME];

    for (const char *p = strstr(s, "{{"); p != NULL; p = strstr(p, "{{")) {
        const char *next = read_tag(p, &kind, other);
        if (next == NULL)
            return NULL;
        if ((kind == '#' || kind == '^') && strcmp(other, name) == 0)
            level++;
        else if (kind == '/' && strcmp(other, name) == 0 && --level == 0) {
            *after = next;
            return p;
        }
        p = next;
    }
    return NULL;
}

static bool render(const char *s, const char *end, struct ctx *c, struct strbuf *out, char *err,
                   size_t errlen);

static bool
render_section(const char *body, const char *body_end, char kind, const json_t *v, struct ctx *c,
               struct strbuf *out, char *err, size_t errlen)
{
    if (kind == '^')
        return truthy(v) ? true : render(body, body_end, c, out, err, errlen);
    if (!truthy(v))
        return true;
    if (c->depth >= MAX_DEPTH) {
        snprintf(err, errlen, "sections nested deeper than %d", MAX_DEPTH);
        return false;
    }
    if (json_is_array(v)) {
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            c->stack[c->depth++] = item;
            bool ok = render(body, body_end, c, out, err, errlen);
            c->depth--;
            if (!ok)
                return false;
        }
        return true;
    }
    c->stack[c->depth++] = v; /* an object, or the value itself: {{.}} */
    bool ok = render(body, body_end, c, out, err, errlen);
    c->depth--;
    return ok;
}

static bool
render(const char *s, const char *end, struct ctx *c, struct strbuf *out, char *err, size_t errlen)
{
    while (s < end) {
        const char *tag = strstr(s, "{{");
        if (tag == NULL || tag >= end) {
            sb_put(out, s, (size_t)(end - s));
            return true;
        }
        sb_put(out, s, (size_t)(tag - s));
        char kind, name[MAX_NAME];
        const char *next = read_tag(tag, &kind, name);
        if (next == NULL || next > end) {
            snprintf(err, errlen, "an unclosed tag at byte %zu", (size_t)(tag - s));
            return false;
        }
        if (kind == '#' || kind == '^') {
            const char *after, *close = section_end(next, name, &after);
            if (close == NULL || close > end) {
                snprintf(err, errlen, "the section %s is not closed", name);
                return false;
            }
            if (!render_section(next, close, kind, lookup(c, name), c, out, err, errlen))
                return false;
            s = after;
            continue;
        }
        if (kind == '/') {
            snprintf(err, errlen, "{{/%s}} closes no section", name);
            return false;
        }
        if (kind != '!')
            put_value(out, lookup(c, name), kind == '&' || kind == '{');
        s = next;
    }
    return true;
}

char *
template_render(const char *tmpl, const json_t *view, size_t *len, char *err, size_t errlen)
{
    struct ctx c = {.stack = {view}, .depth = 1};
    struct strbuf out = {0};

    if (!render(tmpl, tmpl + strlen(tmpl), &c, &out, err, errlen)) {
        sb_free(&out);
        return NULL;
    }
    return sb_steal(&out, len);
}

const char *
template_named(const char *name)
{
    for (const struct stek_template *t = stek_templates; t->name != NULL; t++)
        if (strcmp(t->name, name) == 0)
            return t->text;
    return NULL;
}

char *
template_page(const char *name, json_t *view, size_t *len)
{
    char err[128];
    const char *t = template_named(name);
    char *html = t != NULL ? template_render(t, view, len, err, sizeof(err)) : NULL;

    json_decref(view);
    if (html == NULL)
        abort();
    return html;
}
