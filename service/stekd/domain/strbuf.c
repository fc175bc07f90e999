#include "stek/strbuf.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
grow(struct strbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *np = realloc(b->p, cap);
    if (np == NULL)
        abort();
    b->p = np;
    b->cap = cap;
}

void
sb_put(struct strbuf *b, const char *s, size_t n)
{
    grow(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void
sb_puts(struct strbuf *b, const char *s)
{
    if (s != NULL)
        sb_put(b, s, strlen(s));
}

void
sb_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        grow(b, (size_t)n);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

const char *
sb_str(const struct strbuf *b)
{
    return b->p != NULL ? b->p : "";
}

char *
sb_steal(struct strbuf *b, size_t *len)
{
    char *p = b->p != NULL ? b->p : calloc(1, 1);
    if (p == NULL)
        abort();
    if (len != NULL)
        *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void
sb_reset(struct strbuf *b)
{
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

void
sb_free(struct strbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

size_t
utf8_chars(const char *s)
{
    size_t n = 0;
    for (; s != NULL && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
bool
utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (size_t j = 1; j < len; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* Text into HTML: & < > " ' escaped. */
void
sb_html(struct strbuf *o, const char *s)
{
    for (; s != NULL && *s; s++) {
        switch (*s) {
        case '&':
            sb_puts(o, "&amp;");
            break;
        case '<':
            sb_puts(o, "&lt;");
            break;
        case '>':
            sb_puts(o, "&gt;");
            break;
        case '"':
            sb_puts(o, "&quot;");
            break;
        case '\'':
            sb_puts(o, "&#39;");
            break;
        default:
            sb_put(o, s, 1);
        }
    }
}

void
fmt_coordinate(double degrees, char out[32])
{
    size_t n = (size_t)snprintf(out, 32, "%.7f", degrees);
    if (n >= 32)
        n = 31;
    while (n > 0 && out[n - 1] == '0')
        n--;
    if (n > 0 && out[n - 1] == '.')
        n--;
    out[n] = '\0';
    if (strcmp(out, "-0") == 0)
        strcpy(out, "0");
}

void
sb_address_line(struct strbuf *b, const json_t *address)
{
    const char *street = json_string_value(json_object_get(address, "street")),
               *postal = json_string_value(json_object_get(address, "postal_code")),
               *town = json_string_value(json_object_get(address, "municipality"));
    sb_printf(b, "%s, %s %s", street ? street : "", postal ? postal : "", town ? town : "");
}
