/*
 * The privacy guard. The text is first normalised (privacy_normalize), so that
 * the matchers see one spelling of what people write in many: full-width and
 * mathematical digits, no-break and thin spaces, dashes, invisible characters
 * and line breaks. Then each matcher reads the whole text, whatever its length.
 */
#include "stek/privacy.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* An ASCII letter or digit, or any byte of a non-ASCII character (é in a domain). */
static bool
is_wordc(char c)
{
    return isalnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

/* ---- normalisation ---- */

/* Decodes one UTF-8 sequence at s (valid or not); *len gets its length. */
static uint32_t
utf8_next(const unsigned char *s, size_t *len)
{
    unsigned char c = s[0];
    int n = c < 0x80             ? 1
            : (c & 0xE0) == 0xC0 ? 2
            : (c & 0xF0) == 0xE0 ? 3
            : (c & 0xF8) == 0xF0 ? 4
                                 : 1;
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;

    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *len = (size_t)n;
    return cp;
}

/* What a code point becomes: an ASCII character, 0 to drop it, or -1 to keep it as it is. */
static int
fold(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7F)
        return ' '; /* a line break or tab in the middle of a number */
    if (cp < 0x80)
        return (int)cp;
    if (cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000 || cp == 0x1680)
        return ' ';
    if ((cp >= 0x200B && cp <= 0x200D) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF ||
        cp == 0x00AD || cp == 0x180E || cp == 0x034F)
        return 0; /* invisible: zero-width spaces and joiners, soft hyphens, word joiners */
    if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE58 || cp == 0xFE63)
        return '-';
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return (int)(cp - 0xFF01 + 0x21); /* full-width ASCII */
    if (cp == 0xFE6B)
        return '@';
    if (cp == 0x2024 || cp == 0x3002 || cp == 0xFE52)
        return '.';
    if (cp == 0x2044 || cp == 0x2215)
        return '/';
    if (cp >= 0x1D7CE && cp <= 0x1D7FF)
        return '0' + (int)((cp - 0x1D7CE) % 10); /* mathematical digits */
    if (cp >= 0x2080 && cp <= 0x2089)
        return '0' + (int)(cp - 0x2080);
    if (cp == 0x2070)
        return '0';
    if (cp == 0x00B9)
        return '1';
    if (cp == 0x00B2 || cp == 0x00B3)
        return '0' + (int)(cp - 0x00B0);
    if (cp >= 0x2074 && cp <= 0x2079)
        return '0' + (int)(cp - 0x2070);
    if (cp >= 0x2460 && cp <= 0x2468)
        return '1' + (int)(cp - 0x2460); /* circled digits */
    if (cp == 0x24EA)
        return '0';
    return -1;
}

char *
privacy_normalize(const char *text)
{
    size_t n = strlen(text), o = 0, len;
    char *out = malloc(n + 1);

    if (out == NULL)
        abort();
    for (size_t i = 0; i < n; i += len) {
        int f = fold(utf8_next((const unsigned char *)text + i, &len));
        if (f > 0)
            out[o++] = (char)f;
        else if (f < 0)
            for (size_t j = 0; j < len; j++)
                out[o++] = text[i + j];
    }
    out[o] = '\0';
    return out;
}

/* ---- e-mail ---- */

static bool
email_local(char c)
{
    return is_wordc(c) || strchr("._%+-'", c) != NULL;
}

/* The word at s (letters only, case-insensitive) equals w, and ends there. */
static bool
word_is(const char *s, const char *w)
{
    size_t n = strlen(w);
    return strncasecmp(s, w, n) == 0 && !is_wordc(s[n]);
}

/* Top-level domains that make "x at y dot be" an address even without a literal @. */
static bool
common_tld(const char *s, size_t n)
{
    static const char *const tlds[] = {"com",  "org",  "net",   "info",   "eu",       "edu",
                                       "gov",  "mail", "email", "online", "brussels", "vlaanderen",
                                       "gent", "io",   "app",   NULL};
    if (n == 2)
        return true; /* every country */
    for (const char *const *t = tlds; *t; t++)
        if (strlen(*t) == n && strncasecmp(*t, s, n) == 0)
            return true;
    return false;
}

static size_t
skip_spaces(const char *s, size_t i, size_t max)
{
    size_t n = 0;
    while (s[i + n] == ' ' && n < max)
        n++;
    return n;
}

/*
 * A "dot" between two domain labels at s: ".", " . ", "(dot)", "[punt]", " dot ",
 * " punt ", " point " (and their spellings in the words below); returns its length or
 * 0. A sentence end ("brood. Daarna") counts only when the next label is a top-level
 * domain (checked by the caller), and so does a comma typed for the dot ("telenet,be"),
 * allowed only after a real at sign or an at word other than the bare "at" (comma).
 */
static size_t
dot_marker(const char *s, bool *loose, bool comma)
{
    /* Dutch, French, English, German, Spanish and Italian, and how people spell them. */
    static const char *const words[] = {"dot",    "d0t",   "punt",  "puntje", "point",
                                        "pointe", "punto", "punkt", "stip",   NULL};
    size_t i = skip_spaces(s, 0, 3);
    bool spaced_before = i > 0;

    *loose = false;
    if (comma && s[i] == ',' && !spaced_before) {
        *loose = true; /* "jan@telenet,be": only before a top-level domain */
        return i + 1 + skip_spaces(s, i + 1, 1);
    }
    if (s[i] == '.') {
        size_t after = skip_spaces(s, i + 1, 3);
        if (spaced_before != (after > 0))
            *loose = true; /* "x. y" or "x .y": only before a top-level domain */
        return i + 1 + after;
    }
    if (s[i] == '(' || s[i] == '[' || s[i] == '{' || s[i] == '<') {
        size_t j = i + 1 + skip_spaces(s, i + 1, 2);
        for (const char *const *w = words; *w; w++) {
            size_t n = strlen(*w);
            if (strncasecmp(s + j, *w, n) == 0) {
                size_t k = j + n + skip_spaces(s, j + n, 2);
                if (s[k] == ')' || s[k] == ']' || s[k] == '}' || s[k] == '>')
                    return k + 1 + skip_spaces(s, k + 1, 3);
            }
        }
        return 0;
    }
    if (!spaced_before)
        return 0;
    for (const char *const *w = words; *w; w++)
        if (word_is(s + i, *w) && s[i + strlen(*w)] == ' ') {
            size_t k = i + strlen(*w);
            return k + skip_spaces(s, k, 3);
        }
    return 0;
}

/* A domain at s: label (dot label)+, the last one letters only; strict: a common TLD. */
static bool
email_domain(const char *s, bool strict)
{
    size_t i = 0, dots = 0;

    for (;;) {
        size_t start = i, letters = 0;
        while (is_wordc(s[i]) || (s[i] == '-' && i > start && is_wordc(s[i + 1]))) {
            letters += !is_digit(s[i]);
            i++;
        }
        size_t n = i - start;
        if (n == 0)
            return false;
        bool loose;
        size_t m = dot_marker(s + i, &loose, !strict);
        if (m > 0) {
            /* Peek at the next label: a loose dot needs a top-level domain behind it. */
            size_t j = i + m, k = j;
            while (is_wordc(s[k]))
                k++;
            if (k > j && (!loose || (common_tld(s + j, k - j) && !is_wordc(s[k])))) {
                dots++;
                i = j;
                continue;
            }
        }
        if (dots == 0 || n < 2 || letters != n)
            return false;
        return !strict || common_tld(s + start, n);
    }
}

/*
 * An "at" at s: "@" (spaces around allowed), "(at)", "[at]", "{at}", "<at>", "(a)",
 * or the words below: at, and the names of the sign in Dutch (apenstaartje and its
 * spellings), French (arobase, arobas, arrobe), German (Klammeraffe), Spanish and
 * Italian (arroba, chiocciola). Returns its length, or 0; *strict is set for the bare
 * word "at", which needs a common TLD.
 */
static size_t
at_marker(const char *s, bool *strict)
{
    static const char *const words[] = {
        "apenstaartje", "apestaartje", "apenstaart",   "apestaart",  "aapstaartje", "aapje",
        "arobase",      "arrobase",    "arobasse",     "arobas",     "arrobas",     "arrobe",
        "arroba",       "klammeraffe", "affenschwanz", "chiocciola", "at",          NULL,
    };

    *strict = false;
    if (*s == '@')
        return 1;
    if (*s == '(' || *s == '[' || *s == '{' || *s == '<') {
        size_t j = 1 + skip_spaces(s, 1, 2);
        size_t w = strncasecmp(s + j, "at", 2) == 0                                       ? 2
                   : s[j] == '@' || ((s[j] == 'a' || s[j] == 'A') && !is_wordc(s[j + 1])) ? 1
                                                                                          : 0;
        if (w > 0) {
            size_t k = j + w;
            k += skip_spaces(s, k, 2);
            if (s[k] == ')' || s[k] == ']' || s[k] == '}' || s[k] == '>')
                return k + 1;
        }
        return 0;
    }
    for (const char *const *w = words; *w; w++)
        if (word_is(s, *w)) {
            *strict = strcmp(*w, "at") == 0;
            return strlen(*w);
        }
    return 0;
}

static bool
has_email(const char *t)
{
    for (size_t i = 0; t[i]; i++) {
        bool strict;
        size_t m;
        /* A marker word must start a word of its own. */
        if (isalpha((unsigned char)t[i]) && i > 0 && is_wordc(t[i - 1]))
            continue;
        if ((m = at_marker(t + i, &strict)) == 0)
            continue;
        bool word = isalpha((unsigned char)t[i]);
        size_t before = 0, after = skip_spaces(t, i + m, 3);
        while (before < i && before < 3 && t[i - before - 1] == ' ')
            before++;
        size_t p = i - before;
        /* A local part right before: at least one character, not ending in a dot. */
        if (p == 0 || !email_local(t[p - 1]) || t[p - 1] == '.')
            continue;
        /* A word marker stands between spaces. */
        if (word && (before == 0 || after == 0))
            continue;
        if (email_domain(t + i + m + after, strict))
            return true;
    }
    return false;
}

/* ---- IBAN and the old Belgian account number ---- */

static bool
iban_valid(const char *s, size_t n)
{
    unsigned rem = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[(i + 4) % n];
        if (is_digit(c))
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else if (c >= 'A' && c <= 'Z')
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
        else
            return false;
    }
    return rem == 1;
}

static bool
is_sep(char c)
{
    return c == ' ' || c == '.' || c == '-' || c == '/';
}

/*
 * An IBAN: two letters, two check digits, then the account, written compact or
 * in groups of four ("BE68 5390 0754 7034", "BE68.5390...", "BE 68 5390 ...");
 * the mod-97 check decides. The grouping rule keeps words and numbers in
 * running text ("op 12 bij het loket") from being read as one long code.
 */
static bool
has_iban(const char *t)
{
    size_t len = strlen(t);

    for (size_t i = 0; i + 4 <= len; i++) {
        if (!isalpha((unsigned char)t[i]) || !isalpha((unsigned char)t[i + 1]) ||
            (i > 0 && is_wordc(t[i - 1])))
            continue;
        char compact[40];
        size_t n = 0, group = 0, groups = 0, first = 0, letters = 0;
        for (size_t j = i; j < len && n < 34; j++) {
            char c = t[j];
            if (isalnum((unsigned char)c)) {
                compact[n++] = (char)toupper((unsigned char)c);
                group++;
                if ((n == 3 || n == 4) && !is_digit(c))
                    break;
                if (n > 4 && !is_digit(c) && ++letters > 6)
                    break;
                if (groups > 0 && group > 4)
                    break;
                /* Every length an IBAN can have (15..34) is tried: no country table needed. */
                if (n >= 15 && !isalnum((unsigned char)t[j + 1]) && iban_valid(compact, n))
                    return true;
            } else if (is_sep(c) && c != '/' && group > 0 && isalnum((unsigned char)t[j + 1])) {
                /* Groups: "BE68" or "BE" "68", then fours. */
                if (groups == 0)
                    first = group;
                bool ok = groups == 0                 ? (group == 2 || group == 4)
                          : groups == 1 && first == 2 ? group == 2
                                                      : group == 4;
                if (!ok)
                    break;
                groups++;
                group = 0;
            } else {
                break;
            }
        }
    }
    return false;
}

/* Old Belgian account number: 3-7-2 digits, the last two = the first ten mod 97 (0 -> 97). */
static bool
old_account_valid(const char *d)
{
    uint64_t base = 0;
    for (int i = 0; i < 10; i++)
        base = base * 10 + (uint64_t)(d[i] - '0');
    unsigned cc = (unsigned)((d[10] - '0') * 10 + (d[11] - '0'));
    unsigned want = (unsigned)(base % 97);
    return base != 0 && cc == (want == 0 ? 97 : want);
}

/* ---- numbers: national register numbers, old account numbers and phones ---- */

/*
 * A separator between two groups of digits at q: one of " ./-" (and "()" for
 * phones) with up to two spaces around ("0470 / 12 34 56", "03 - 123"), or
 * spaces alone. Returns its length when a digit follows, else 0.
 */
static size_t
group_sep(const char *q, bool phone_seps)
{
    size_t i = skip_spaces(q, 0, 2);
    if (q[i] != '\0' && strchr("./-", q[i]) != NULL)
        i++;
    else if (phone_seps && (q[i] == '(' || q[i] == ')'))
        i++;
    i += skip_spaces(q, i, 2);
    return (i > 0 && is_digit(q[i])) ? i : 0;
}

/* Digits of a run of digits and separators; *end gets where it stops. */
static size_t
digit_run(const char *p, char *digits, size_t max, const char **end, bool phone_seps)
{
    size_t n = 0, m;
    const char *q = p;

    while (*q) {
        if (is_digit(*q)) {
            if (n + 1 < max)
                digits[n++] = *q;
            q++;
        } else if ((m = group_sep(q, phone_seps)) > 0) {
            q += m;
        } else {
            break;
        }
    }
    digits[n] = '\0';
    *end = q;
    return n;
}

/* Belgian national register number: YYMMDD SSS CC, CC = 97 - (YYMMDDSSS mod 97), or with a 2 in
 * front for births from 2000. */
static bool
nrn_valid(const char *d)
{
    uint64_t base = 0;
    unsigned cc = (unsigned)((d[9] - '0') * 10 + (d[10] - '0'));
    for (int i = 0; i < 9; i++)
        base = base * 10 + (uint64_t)(d[i] - '0');
    unsigned month = (unsigned)((d[2] - '0') * 10 + (d[3] - '0'));
    /* Bis numbers add 20 or 40 to the month; 0 is an unknown month. */
    if (month % 20 > 12)
        return false;
    return cc == 97 - base % 97 || cc == 97 - (2000000000ULL + base) % 97;
}

/* Dates (12/03/2024, 09.02.2023, 2023-02-09) and times (13:00, 13.00, 13u30, 13h30) are blanked
 * first. */
static void
blank_dates_and_times(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1])))
            continue;
        size_t j = i, groups = 0, lens[3] = {0, 0, 0};
        char sep = 0;
        while (groups < 3) {
            size_t k = j;
            while (k < n && is_digit(s[k]))
                k++;
            lens[groups++] = k - j;
            if (k < n && (s[k] == '/' || s[k] == '.' || s[k] == '-') && (sep == 0 || s[k] == sep) &&
                k + 1 < n && is_digit(s[k + 1]) && groups < 3) {
                sep = s[k];
                j = k + 1;
            } else {
                j = k;
                break;
            }
        }
        bool date =
            groups == 3 && ((lens[0] <= 2 && lens[1] <= 2 && (lens[2] == 2 || lens[2] == 4)) ||
                            (lens[0] == 4 && lens[1] <= 2 && lens[2] <= 2));
        bool time = false;
        size_t k = i;
        while (k < n && is_digit(s[k]))
            k++;
        if (k - i <= 2 && k + 2 < n && strchr(":.uh", s[k]) != NULL && is_digit(s[k + 1]) &&
            is_digit(s[k + 2]) && (k + 3 >= n || !is_digit(s[k + 3]))) {
            time = true;
            j = k + 3;
        }
        /* Part of a longer dotted or dashed number (0470/12.34.56): not a date or a time. */
        bool inside = (i >= 2 && strchr("./-", s[i - 1]) != NULL && is_digit(s[i - 2])) ||
                      (j + 1 < n && strchr("./-", s[j]) != NULL && is_digit(s[j + 1]));
        if ((date || time) && !inside)
            for (size_t x = i; x < j; x++)
                s[x] = '#';
    }
}

static bool
phone_digits(const char *d, size_t n, bool plus)
{
    if (plus) {
        /* +32 8-9, +31 9, +33 9, +44 9-10 digits after the country code; others 8-13. */
        if (strncmp(d, "32", 2) == 0)
            return n - 2 >= 8 && n - 2 <= 9;
        if (strncmp(d, "31", 2) == 0 || strncmp(d, "33", 2) == 0)
            return n - 2 == 9;
        if (strncmp(d, "44", 2) == 0)
            return n - 2 >= 9 && n - 2 <= 10;
        return n >= 9 && n <= 15;
    }
    /* National: a trunk 0, then 8 (BE fixed) to 10 (UK) digits. */
    return d[0] == '0' && d[1] != '0' && n >= 9 && n <= 11;
}

/*
 * A number glued to a short word before it ("GSM0475...", "tel.0475"): the
 * letters are a label, not part of a code, when no digit stands before them.
 */
static bool
label_before(const char *s, const char *p)
{
    const char *q = p;
    while (q > s && isalpha((unsigned char)q[-1]) && p - q <= 8)
        q--;
    return q < p && (q == s || !is_wordc(q[-1])) && p - q <= 8;
}

/*
 * A Belgian enterprise number (KBO/BCE, an organisation's, not a person's): written
 * 0xxx.xxx.xxx, ten digits whose last two are 97 - (the first eight mod 97). It looks like
 * a mobile number; the grouping and the checksum tell them apart.
 */
static bool
enterprise_number(const char *start, const char *end, const char *d, size_t n)
{
    uint64_t base = 0;

    if (n != 10 || end - start != 12 || start[4] != '.' || start[8] != '.' ||
        (d[0] != '0' && d[0] != '1'))
        return false;
    for (int i = 0; i < 8; i++)
        base = base * 10 + (uint64_t)(d[i] - '0');
    return (unsigned)((d[8] - '0') * 10 + (d[9] - '0')) == 97 - base % 97;
}

static unsigned
scan_numbers(const char *t)
{
    size_t len = strlen(t);
    char *s = malloc(len + 1), *digits = malloc(len + 1);
    unsigned found = 0;

    if (s == NULL || digits == NULL)
        abort();
    memcpy(s, t, len + 1);
    /* National register and old account numbers first: their separators look like a date's. */
    for (const char *p = s; *p;) {
        if (!is_digit(*p) || (p > s && isalnum((unsigned char)p[-1]))) {
            p++;
            continue;
        }
        const char *end;
        size_t n = digit_run(p, digits, len + 1, &end, false);
        if (!isalnum((unsigned char)*end)) {
            if (n == 11 && nrn_valid(digits))
                found |= PII_NATIONAL_NUMBER;
            if (n == 12 && old_account_valid(digits))
                found |= PII_IBAN;
        }
        p = end > p ? end : p + 1;
    }
    blank_dates_and_times(s);
    for (const char *p = s; *p;) {
        bool plus = false;
        const char *start = p;
        if (*p == '+' && is_digit(p[1])) {
            plus = true;
            start = p + 1;
        } else if (*p == '0' && p[1] == '0' && is_digit(p[2]) &&
                   (p == s || !isalnum((unsigned char)p[-1]) || label_before(s, p))) {
            plus = true;
            start = p + 2;
        } else if (!is_digit(*p) || (p > s && (is_digit(p[-1]) || p[-1] == '#' ||
                                               (isalnum((unsigned char)p[-1]) &&
                                                !(*p == '0' && label_before(s, p)))))) {
            p++;
            continue;
        }
        const char *end;
        size_t n = digit_run(start, digits, len + 1, &end, true);
        /* "+32 (0)3 ...": the trunk 0 in brackets is not dialled. */
        if (plus && n > 3) {
            char *zero = strstr(start, "(0)");
            if (zero != NULL && zero < end) {
                size_t at = (size_t)(strchr(digits, '0') - digits);
                if (at >= 2 && at <= 3)
                    memmove(digits + at, digits + at + 1, n - at), n--;
            }
        }
        if (n > 0 && !isalnum((unsigned char)*end) && *end != '#' &&
            phone_digits(digits, n, plus) && !(!plus && enterprise_number(start, end, digits, n)))
            found |= PII_PHONE;
        p = end > p ? end : p + 1;
    }
    free(digits);
    free(s);
    return found;
}

unsigned
privacy_scan(const char *text)
{
    unsigned found = 0;
    char *t;

    if (text == NULL)
        return PII_NONE;
    t = privacy_normalize(text);
    if (has_email(t))
        found |= PII_EMAIL;
    if (has_iban(t))
        found |= PII_IBAN;
    found |= scan_numbers(t);
    free(t);
    return found;
}

const char *
privacy_message(unsigned kinds, unsigned contact_fields)
{
    if (kinds & PII_NATIONAL_NUMBER)
        return "contains a national register number, which may be stored nowhere";
    if (kinds & PII_IBAN)
        return "contains a bank account number (IBAN); free text must not hold personal data";
    if (kinds & PII_EMAIL)
        return (contact_fields & PII_EMAIL)
                   ? "contains an e-mail address; an organisation's address belongs in the field"
                     " email, a person's nowhere"
                   : "contains an e-mail address; free text must not hold personal data";
    if (kinds & PII_PHONE)
        return (contact_fields & PII_PHONE)
                   ? "contains a phone number; an organisation's number belongs in the field"
                     " phone, a person's nowhere"
                   : "contains a phone number; free text must not hold personal data";
    return "contains no personal data";
}

const char *
privacy_kind_name(unsigned kinds)
{
    if (kinds & PII_NATIONAL_NUMBER)
        return "national_register_number";
    if (kinds & PII_IBAN)
        return "iban";
    if (kinds & PII_EMAIL)
        return "email";
    if (kinds & PII_PHONE)
        return "phone";
    return "none";
}
