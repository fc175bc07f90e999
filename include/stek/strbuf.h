/*
 * A growable string, and counting characters (service/stekd/domain/strbuf.c): the one way the pure
 * renderers (iCalendar, the monthly calendar, QR codes as SVG) build text of
 * any length. Always NUL-terminated; allocation failure aborts (every text
 * built here is bounded by request and row sizes).
 */
#ifndef STEK_STRBUF_H
#define STEK_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
    char *p; /* owned; NULL until something is added */
    size_t len, cap;
};

void sb_put(struct strbuf *b, const char *s, size_t n);
void sb_puts(struct strbuf *b, const char *s); /* NULL adds nothing */
/* Appends text for HTML, & < > " ' escaped (NULL adds nothing). */
void sb_html(struct strbuf *b, const char *s);
void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The text so far ("" when empty); borrowed from b. */
const char *sb_str(const struct strbuf *b);

/* Hands the text to the caller (malloc'd, never NULL) and empties b. */
char *sb_steal(struct strbuf *b, size_t *len);

/* Empties b, keeping its memory for the next text. */
void sb_reset(struct strbuf *b);

void sb_free(struct strbuf *b);

/*
 * A coordinate (degrees) as stored and published: rounded to 7 decimals (about a
 * centimetre), without trailing zeros ("51.3869", never "51.386899999999997").
 */
void fmt_coordinate(double degrees, char out[32]);

/* Appends an address object's line, "street, postal_code municipality" (missing parts empty). */
struct json_t;
void sb_address_line(struct strbuf *b, const struct json_t *address);

/* The number of characters (code points) of UTF-8 text s; NULL counts 0. */
size_t utf8_chars(const char *s);

/* Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) in s[0..n). */
bool utf8_valid(const unsigned char *s, size_t n);

#endif
