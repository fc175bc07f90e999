#include "stek/privacy.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MAXTEXT 4096

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- e-mail ---- */

static bool
email_local(char c)
{
    return isalnum((unsigned char)c) || strchr("._%+-'", c) != NULL;
}

static bool
has_email(const char *t)
{
    for (const char *at = strchr(t, '@'); at != NULL; at = strchr(at + 1, '@')) {
        const char *p = at, *q = at + 1, *dot = NULL;
        while (p > t && email_local(p[-1]))
            p--;
        if (p == at)
            continue;
        while (isalnum((unsigned char)*q) || *q == '-' ||
               (*q == '.' && isalnum((unsigned char)q[1]))) {
            if (*q == '.')
                dot = q;
            q++;
        }
        /* A dot in the domain with at least two letters after it. */
        if (dot != NULL && q - dot > 2 && isalpha((unsigned char)dot[1]) &&
            isalpha((unsigned char)dot[2]))
            return true;
    }
    return false;
}

/* ---- IBAN ---- */

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
has_iban(const char *t)
{
    char up[MAXTEXT];
    size_t len = strlen(t);

    if (len >= sizeof(up))
        len = sizeof(up) - 1;
    for (size_t i = 0; i < len; i++)
        up[i] = (char)toupper((unsigned char)t[i]);
    up[len] = '\0';
    for (size_t i = 0; i + 4 <= len; i++) {
        if (!isupper((unsigned char)up[i]) || !isupper((unsigned char)up[i + 1]) ||
            !is_digit(up[i + 2]) || !is_digit(up[i + 3]))
            continue;
        if (i > 0 && isalnum((unsigned char)up[i - 1]))
            continue;
        /* Collect up to 34 characters, spaces and dashes between groups allowed. */
        char compact[40];
        size_t n = 0;
        for (size_t j = i; j < len && n < 34; j++) {
            if (isalnum((unsigned char)up[j]))
                compact[n++] = up[j];
            else if ((up[j] == ' ' || up[j] == '-') && j + 1 < len &&
                     isalnum((unsigned char)up[j + 1]))
                continue;
            else
                break;
            /* Every length an IBAN can have (15..34) is tried: no country table needed. */
            if (n >= 15 && iban_valid(compact, n))
                return true;
        }
    }
    return false;
}

/* ---- numbers: national register numbers and phones ---- */

/* Digits of a run of digits and separators; *end gets where it stops. */
static size_t
digit_run(const char *p, char *digits, size_t max, const char **end, bool phone_seps)
{
    size_t n = 0;
    const char *q = p;

    while (*q) {
        if (is_digit(*q)) {
            if (n + 1 < max)
                digits[n++] = *q;
            q++;
        } else if ((*q == ' ' || *q == '.' || *q == '-' || *q == '/' ||
                    (phone_seps && (*q == '(' || *q == ')'))) &&
                   (is_digit(q[1]) ||
                    (phone_seps && (q[1] == '(' || q[1] == ' ') && is_digit(q[2])))) {
            q++;
        } else if (phone_seps && *q == ')' && (q[1] == ' ' || q[1] == '-') && is_digit(q[2])) {
            q++;
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

static unsigned
scan_numbers(const char *t)
{
    char s[MAXTEXT], digits[64];
    unsigned found = 0;
    size_t len = strlen(t);

    if (len >= sizeof(s))
        len = sizeof(s) - 1;
    memcpy(s, t, len);
    s[len] = '\0';
    /* National register numbers first: their separators look like a date's. */
    for (const char *p = s; *p;) {
        if (!is_digit(*p) || (p > s && isalnum((unsigned char)p[-1]))) {
            p++;
            continue;
        }
        const char *end;
        size_t n = digit_run(p, digits, sizeof(digits), &end, false);
        if (n == 11 && !isalnum((unsigned char)*end) && nrn_valid(digits))
            found |= PII_NATIONAL_NUMBER;
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
                   (p == s || !isalnum((unsigned char)p[-1]))) {
            plus = true;
            start = p + 2;
        } else if (!is_digit(*p) || (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '#'))) {
            p++;
            continue;
        }
        const char *end;
        size_t n = digit_run(start, digits, sizeof(digits), &end, true);
        /* "+32 (0)3 ...": the trunk 0 in brackets is not dialled. */
        if (plus && n > 3) {
            char *zero = strstr(start, "(0)");
            if (zero != NULL && zero < end) {
                size_t at = (size_t)(strchr(digits, '0') - digits);
                if (at >= 2 && at <= 3)
                    memmove(digits + at, digits + at + 1, n - at), n--;
            }
        }
        if (n > 0 && !isalnum((unsigned char)*end) && *end != '#' && phone_digits(digits, n, plus))
            found |= PII_PHONE;
        p = end > p ? end : p + 1;
    }
    return found;
}

unsigned
privacy_scan(const char *text)
{
    unsigned found = 0;

    if (text == NULL)
        return PII_NONE;
    if (has_email(text))
        found |= PII_EMAIL;
    if (has_iban(text))
        found |= PII_IBAN;
    found |= scan_numbers(text);
    return found;
}

const char *
privacy_message(unsigned kinds)
{
    if (kinds & PII_NATIONAL_NUMBER)
        return "contains a national register number; notes must not hold personal data";
    if (kinds & PII_IBAN)
        return "contains a bank account number (IBAN); notes must not hold personal data";
    if (kinds & PII_EMAIL)
        return "contains an e-mail address; notes must not hold personal data";
    if (kinds & PII_PHONE)
        return "contains a phone number; notes must not hold personal data";
    return "contains no personal data";
}
