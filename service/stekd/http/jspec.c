#include "stek/jspec.h"
#include "stek/i18n.h"
#include "stek/ids.h"
#include "stek/date.h"
#include "stek/metrics.h"
#include "stek/privacy.h"
#include "stek/rrule.h"
#include "stek/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
has_control(const char *s, bool multiline)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (multiline && (c == '\n' || c == '\t' || c == '\r'))
            continue;
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

static bool
valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    const char *dot;

    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strpbrk(s, " \t") != NULL)
        return false;
    dot = strrchr(at + 1, '.');
    return dot != NULL && dot > at + 1 && dot[1] != '\0';
}

static bool
valid_url(const char *s)
{
    const char *rest;

    if (strncmp(s, "https://", 8) == 0)
        rest = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        rest = s + 7;
    else
        return false;
    if (*rest == '\0' || *rest == '/' || strpbrk(s, " \t") != NULL)
        return false;
    return true;
}

static bool
valid_phone(const char *s)
{
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!(strchr(" ./()-", *p) != NULL || (*p == '+' && p == s)))
            return false;
    }
    return digits >= 6;
}

static bool check_value(const json_t *v, const struct jspec *f, const char *field, json_t *errors);

/* A slug: lower-case ascii letters, digits, '_' and '-', 1 to 40 characters. */
static bool
valid_slug(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 40 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool
check_strings(const json_t *v, const struct jspec *f, const char *field, json_t *errors)
{
    char msg[160];
    size_t i, j;
    json_t *item;

    if (!json_is_array(v) || json_array_size(v) < (size_t)f->min ||
        json_array_size(v) > (size_t)f->max) {
        snprintf(msg, sizeof(msg), "must be a list of %lld to %lld values", f->min, f->max);
        field_error(errors, field, msg);
        return false;
    }
    json_array_foreach(v, i, item)
    {
        const char *s = json_string_value(item);
        bool ok = s != NULL && strlen(s) == json_string_length(item);
        if (ok && f->choices != NULL) {
            ok = false;
            for (const char *const *c = f->choices; *c != NULL && !ok; c++)
                ok = strcmp(*c, s) == 0;
        } else if (ok) {
            ok = valid_slug(s);
        }
        if (!ok) {
            char ifield[200];
            snprintf(ifield, sizeof(ifield), "%s[%zu]", field, i);
            if (f->choices == NULL)
                snprintf(msg, sizeof(msg), "must be lower-case letters, digits, _ or -");
            else
                choices_message(msg, sizeof(msg), f->choices);
            field_error(errors, ifield, msg);
            return false;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(json_string_value(json_array_get(v, j)), s) == 0) {
                field_error(errors, field, "must not list a value twice");
                return false;
            }
        }
    }
    if (f->out)
        *(const json_t **)f->out = v;
    return true;
}

/* What is wrong with s as the format of f's kind (a UUID, an e-mail address, a date, one of
 * its choices: into msg), or NULL. */
static const char *
format_problem(const struct jspec *f, const char *s, char *msg, size_t msglen)
{
    int32_t day;
    int minutes;

    switch (f->kind) {
    case JS_UUID:
        return is_uuid(s) ? NULL : "must be a UUID";
    case JS_EMAIL:
        return valid_email(s) ? NULL : "must be an e-mail address such as info@example.org";
    case JS_URL:
        return valid_url(s) ? NULL : "must be an http:// or https:// address";
    case JS_PHONE:
        return valid_phone(s) ? NULL
                              : "must be a phone number: digits, spaces, . / ( ) - and a leading +";
    case JS_DATE:
        return date_parse(s, &day) ? NULL : "must be a date YYYY-MM-DD";
    case JS_TIME:
        return time_parse(s, &minutes) ? NULL : "must be a time of day HH:MM";
    case JS_ENUM:
        for (const char *const *c = f->choices; *c != NULL; c++)
            if (strcmp(*c, s) == 0)
                return NULL;
        choices_message(msg, msglen, f->choices);
        return msg;
    default:
        return NULL;
    }
}

static bool
check_string(const json_t *v, const struct jspec *f, const char *field, json_t *errors)
{
    const char *s, *problem = NULL;
    size_t len;
    char msg[128];

    if (!json_is_string(v)) {
        field_error(errors, field, "must be a string");
        return false;
    }
    s = json_string_value(v);
    len = utf8_chars(s);
    if (strlen(s) != json_string_length(v))
        problem = "must not contain NUL characters";
    else if (has_control(s, f->kind == JS_TEXT))
        problem = f->kind == JS_TEXT ? "must not contain control characters"
                                     : "must be one line without control characters";
    else if (f->max > 0 && ((long long)len < f->min || (long long)len > f->max)) {
        if (f->min > 0 && len == 0)
            snprintf(msg, sizeof(msg), "must not be empty");
        else
            snprintf(msg, sizeof(msg), "must be %lld to %lld characters long", f->min, f->max);
        problem = msg;
    } else if (f->kind == JS_STRING && len > 0 && (s[0] == ' ' || s[strlen(s) - 1] == ' '))
        problem = "must not start or end with a space";
    else
        problem = format_problem(f, s, msg, sizeof(msg));
    if (problem != NULL) {
        field_error(errors, field, problem);
        return false;
    }
    return true;
}

static bool
check_value(const json_t *v, const struct jspec *f, const char *field, json_t *errors)
{
    char msg[128];

    switch (f->kind) {
    case JS_BOOL:
        if (!json_is_boolean(v)) {
            field_error(errors, field, "must be true or false");
            return false;
        }
        if (f->out)
            *(bool *)f->out = json_is_true(v);
        return true;
    case JS_INT:
        if (!json_is_integer(v) || json_integer_value(v) < f->min ||
            json_integer_value(v) > f->max) {
            snprintf(msg, sizeof(msg), "must be an integer from %lld to %lld", f->min, f->max);
            field_error(errors, field, msg);
            return false;
        }
        if (f->out)
            *(long long *)f->out = json_integer_value(v);
        return true;
    case JS_NUMBER:
        if (!json_is_number(v) || json_number_value(v) < (double)f->min ||
            json_number_value(v) > (double)f->max) {
            snprintf(msg, sizeof(msg), "must be a number from %lld to %lld", f->min, f->max);
            field_error(errors, field, msg);
            return false;
        }
        if (f->out)
            *(double *)f->out = json_number_value(v);
        return true;
    case JS_STRINGS:
        return check_strings(v, f, field, errors);
    case JS_ARRAY: {
        size_t i;
        json_t *item;
        if (!json_is_array(v) || json_array_size(v) > (size_t)f->max) {
            snprintf(msg, sizeof(msg), "must be a list of at most %lld objects", f->max);
            field_error(errors, field, msg);
            return false;
        }
        json_array_foreach(v, i, item)
        {
            if (!json_is_object(item)) {
                char ifield[200];
                snprintf(ifield, sizeof(ifield), "%s[%zu]", field, i);
                field_error(errors, ifield, "must be an object");
                return false;
            }
        }
        if (f->out)
            *(const json_t **)f->out = v;
        return true;
    }
    case JS_OBJECT: {
        char prefix[176];
        if (!json_is_object(v)) {
            field_error(errors, field, "must be an object");
            return false;
        }
        snprintf(prefix, sizeof(prefix), "%s.", field);
        if (f->out)
            *(const json_t **)f->out = v;
        return jspec_check(v, f->sub, prefix, errors);
    }
    default:
        if (!check_string(v, f, field, errors))
            return false;
        if (f->out)
            *(const char **)f->out = json_string_value(v);
        return true;
    }
}

/*
 * The privacy guard on one stored text, for the kinds asked; spec is its object's, for the
 * contact fields it has.
 */
static void
guard(const char *text, const struct jspec *spec, const char *field, json_t *errors, unsigned kinds)
{
    unsigned found = privacy_scan(text) & kinds, contact = 0;

    if (found == PII_NONE)
        return;
    for (const struct jspec *f = spec; f->kind != JS_END; f++)
        contact |= f->kind == JS_EMAIL ? PII_EMAIL : f->kind == JS_PHONE ? PII_PHONE : 0;
    metric_inc(M_TEXTS_REFUSED_PRIVACY);
    json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", field, "message",
                                            privacy_message(found, contact), "personal_data",
                                            privacy_kind_name(found)));
}

bool
jspec_check(const json_t *obj, const struct jspec *spec, const char *prefix, json_t *errors)
{
    size_t before = json_array_size(errors);
    const char *key;
    const json_t *v;
    char field[160];

    for (const struct jspec *f = spec; f->kind != JS_END; f++) {
        snprintf(field, sizeof(field), "%s%s", prefix, f->name);
        v = json_object_get(obj, f->name);
        if (f->present)
            *f->present = v != NULL;
        if (f->kind == JS_IGNORED)
            continue;
        if (f->kind == JS_READONLY) {
            if (v != NULL)
                field_error(errors, field, "is read-only and set by the server");
            continue;
        }
        if (v == NULL) {
            if (f->flags & JF_REQUIRED)
                field_error(errors, field, "is required");
            continue;
        }
        if (json_is_null(v)) {
            if (!(f->flags & JF_NULLABLE))
                field_error(errors, field,
                            (f->flags & JF_REQUIRED) ? "is required and cannot be null"
                                                     : "cannot be null");
            else if (f->out && f->kind != JS_BOOL && f->kind != JS_INT && f->kind != JS_NUMBER)
                *(const void **)f->out = NULL;
            continue;
        }
        if (!check_value(v, f, field, errors))
            continue;
        if (f->kind == JS_STRINGS && (f->flags & JF_GUARD)) { /* each item people read */
            size_t i;
            const json_t *item;
            json_array_foreach(v, i, item)
            {
                char at[200];
                snprintf(at, sizeof(at), "%s[%zu]", field, i);
                guard(json_string_value(item), spec, at, errors, PII_ANY);
            }
            continue;
        }
        if (!json_is_string(v))
            continue;
        if (f->kind == JS_TEXT || (f->kind == JS_STRING && (f->flags & JF_GUARD)))
            guard(json_string_value(v), spec, field, errors, PII_ANY);
        else if (f->kind == JS_STRING || f->kind == JS_PHONE || f->kind == JS_EMAIL ||
                 f->kind == JS_URL)
            /* A national register number is allowed nowhere, not even in a phone field. */
            guard(json_string_value(v), spec, field, errors, PII_NATIONAL_NUMBER);
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        bool known = false;
        for (const struct jspec *f = spec; f->kind != JS_END && !known; f++)
            known = strcmp(f->name, key) == 0;
        if (!known) {
            char shown[64];
            size_t i = 0;
            for (; key[i] && i + 1 < sizeof(shown); i++)
                shown[i] = ((unsigned char)key[i] < 0x20) ? '?' : key[i];
            /* Never cut a UTF-8 sequence in half: the field name goes back as JSON. */
            if (key[i] != '\0')
                while (i > 0 && ((unsigned char)key[i] & 0xC0) == 0x80)
                    i--;
            shown[i] = '\0';
            snprintf(field, sizeof(field), "%s%s", prefix, shown);
            field_error(errors, field, "is not a known field");
        }
    }
    return json_array_size(errors) == before;
}

bool
jspec_check_translations(const json_t *translations, const struct jspec *spec, json_t *errors)
{
    size_t before = json_array_size(errors), n = 0;
    const char *lang, *name;
    const json_t *texts, *v;

    for (const struct jspec *f = spec; f->kind != JS_END; f++)
        n++;
    struct jspec *only = calloc(n + 1, sizeof(*only));
    if (only == NULL)
        abort();
    json_object_foreach((json_t *)translations, lang, texts)
    {
        json_t *errs = json_array(), *e;
        size_t k = 0, i;
        char field[160];

        /* The same checks as the main text (bounds, one line, the guard), field by field. */
        json_object_foreach((json_t *)texts, name, v)
        {
            for (const struct jspec *f = spec; f->kind != JS_END; f++) {
                if (strcmp(f->name, name) == 0) {
                    only[k] = *f;
                    only[k].flags &= ~(unsigned)(JF_REQUIRED | JF_NULLABLE);
                    only[k].out = NULL;
                    only[k].present = NULL;
                    k++;
                }
            }
        }
        only[k] = (struct jspec)JS_SPEC_END;
        jspec_check(texts, only, "", errs);
        json_array_foreach(errs, i, e)
        {
            json_t *copy = json_copy(e);
            snprintf(field, sizeof(field), "%s.%s", json_string_value(json_object_get(e, "field")),
                     lang);
            json_object_set_new(copy, "field", json_string(field));
            json_array_append_new(errors, copy);
        }
        json_decref(errs);
    }
    free(only);
    return json_array_size(errors) == before;
}

void
jspec_reply_invalid(struct request *r, json_t *errors)
{
    size_t n = json_array_size(errors);
    reply_problem(r, ERR_VALIDATION, errors, "%zu field%s not valid; see errors", n,
                  n == 1 ? " is" : "s are");
}

json_t *
jspec_check_i18n(const json_t *obj, const struct jspec *spec, const char *const *fields,
                 const char *dflt, const char **main, json_t **translations, json_t *errors)
{
    json_t *plain = i18n_flatten(obj, fields, dflt, main, translations, errors);
    jspec_check(plain, spec, "", errors);
    jspec_check_translations(*translations, spec, errors);
    return plain;
}

json_t *
jspec_parse_i18n(struct request *r, const json_t *obj, const struct jspec *spec,
                 const char *const *fields, const char *dflt, const char **main,
                 json_t **translations)
{
    json_t *errors = json_array();
    json_t *plain = jspec_check_i18n(obj, spec, fields, dflt, main, translations, errors);

    if (json_array_size(errors) == 0) {
        json_decref(errors);
        return plain;
    }
    json_decref(plain);
    json_decref(*translations);
    *translations = NULL;
    jspec_reply_invalid(r, errors);
    return NULL;
}

bool
jspec_parse(struct request *r, const json_t *obj, const struct jspec *spec)
{
    json_t *errors = json_array();

    if (jspec_check(obj, spec, "", errors)) {
        json_decref(errors);
        return true;
    }
    jspec_reply_invalid(r, errors);
    return false;
}
