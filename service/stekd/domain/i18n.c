#include "stek/i18n.h"
#include "stek/problems.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const i18n_languages[] = {"nl", "fr", "en", "de", NULL};

bool
i18n_supported(const char *lang)
{
    for (const char *const *l = i18n_languages; lang != NULL && *l != NULL; l++)
        if (strcmp(*l, lang) == 0)
            return true;
    return false;
}

/* The supported language a tag names ("fr-BE" -> "fr"), or NULL. */
static const char *
primary(const char *tag, size_t n)
{
    char lang[4];
    size_t p = 0;
    while (p < n && tag[p] != '-' && tag[p] != '_')
        p++;
    if (p != 2)
        return NULL;
    lang[0] = (char)tolower((unsigned char)tag[0]);
    lang[1] = (char)tolower((unsigned char)tag[1]);
    lang[2] = '\0';
    for (const char *const *l = i18n_languages; *l != NULL; l++)
        if (strcmp(*l, lang) == 0)
            return *l;
    return NULL;
}

const char *
i18n_negotiate(const char *lang_param, const char *accept, char out[I18N_PREFS_MAX])
{
    struct {
        const char *lang;
        double q;
    } seen[4];
    int n = 0;

    out[0] = '\0';
    if (lang_param != NULL) {
        const char *l = primary(lang_param, strlen(lang_param));
        if (strcmp(lang_param, "all") == 0)
            return "all";
        if (l == NULL)
            return NULL;
        snprintf(out, I18N_PREFS_MAX, "%s", l);
        return out;
    }
    for (const char *p = accept; p != NULL && *p != '\0';) {
        size_t len = strcspn(p, ",");
        const char *semi = memchr(p, ';', len);
        size_t tn = semi ? (size_t)(semi - p) : len;
        const char *tag = p;
        double q = 1.0;
        while (tn > 0 && (*tag == ' ' || *tag == '\t'))
            tag++, tn--;
        while (tn > 0 && (tag[tn - 1] == ' ' || tag[tn - 1] == '\t'))
            tn--;
        if (semi != NULL) {
            const char *qs = strstr(semi, "q=");
            if (qs != NULL && qs < p + len)
                q = strtod(qs + 2, NULL);
        }
        const char *l = primary(tag, tn);
        int k = 0;
        while (k < n && seen[k].lang != l)
            k++;
        if (l != NULL && q > 0 && k == n && n < 4) {
            seen[n].lang = l;
            seen[n++].q = q;
        } else if (l != NULL && k < n && q > seen[k].q) {
            seen[k].q = q;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    /* Highest q first; equal q keep the reader's order. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && seen[j].q > seen[j - 1].q; j--) {
            const char *tl = seen[j].lang;
            double tq = seen[j].q;
            seen[j] = seen[j - 1];
            seen[j - 1].lang = tl;
            seen[j - 1].q = tq;
        }
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), I18N_PREFS_MAX - strlen(out), "%s%s", i ? "," : "",
                 seen[i].lang);
    return n > 0 ? out : NULL;
}

/* The languages of prefs in order, each a pointer into i18n_languages (at most 4); the count. */
static int
pref_list(const char *prefs, const char *list[4])
{
    int n = 0;
    for (const char *p = prefs; p != NULL && *p != '\0' && n < 4;) {
        size_t len = strcspn(p, ",");
        const char *l = primary(p, len);
        if (l != NULL)
            list[n++] = l;
        p += len;
        if (*p == ',')
            p++;
    }
    return n;
}

/* The text of field in the translations of lang, or NULL. */
static const char *
translated(const json_t *translations, const char *lang, const char *field)
{
    return json_string_value(json_object_get(json_object_get(translations, lang), field));
}

const char *
i18n_record_language(const json_t *translations, const char *main, const char *prefs,
                     const char *const *fields, const char *const *main_texts)
{
    const char *list[4];
    int n = prefs != NULL && strcmp(prefs, "all") != 0 ? pref_list(prefs, list) : 0;

    for (int k = 0; k < n; k++) {
        bool complete = true;
        if (strcmp(list[k], main) == 0)
            return main;
        for (size_t i = 0; fields[i] != NULL && complete; i++)
            complete =
                main_texts[i] == NULL || translated(translations, list[k], fields[i]) != NULL;
        if (complete)
            return list[k];
    }
    return main;
}

const char *
i18n_text(const json_t *translations, const char *record_lang, const char *main, const char *field,
          const char *main_text)
{
    const char *t;
    if (strcmp(record_lang, main) == 0 ||
        (t = translated(translations, record_lang, field)) == NULL)
        return main_text;
    return t;
}

json_t *
i18n_missing(const json_t *doc)
{
    const json_t *fields = json_object_get(doc, "translatable");
    const json_t *translations = json_object_get(doc, "translations");
    const char *main = json_string_value(json_object_get(doc, "main_language"));
    json_t *out, *f;
    size_t i;

    if (!json_is_array(fields) || main == NULL)
        return NULL;
    out = json_object();
    for (const char *const *l = i18n_languages; *l != NULL; l++) {
        if (strcmp(*l, main) == 0)
            continue;
        json_t *lacking = json_array();
        json_array_foreach(fields, i, f)
        {
            const char *name = json_string_value(f);
            if (json_is_string(json_object_get(doc, name)) &&
                translated(translations, *l, name) == NULL)
                json_array_append_new(lacking, json_string(name));
        }
        if (json_array_size(lacking) > 0)
            json_object_set_new(out, *l, lacking);
        else
            json_decref(lacking);
    }
    return out;
}

const char *
i18n_localize(json_t *doc, const char *lang)
{
    json_t *fields = json_object_get(doc, "translatable");
    json_t *translations = json_object_get(doc, "translations");
    const char *main = json_string_value(json_object_get(doc, "main_language"));
    const char *use;
    size_t i;
    json_t *f;

    if (!json_is_array(fields) || main == NULL)
        return NULL;
    main = i18n_supported(main) ? main : "nl";
    if (lang != NULL && strcmp(lang, "all") == 0) {
        json_array_foreach(fields, i, f)
        {
            const char *name = json_string_value(f);
            json_t *v = json_object_get(doc, name);
            if (!json_is_string(v))
                continue;
            json_t *o = json_object();
            json_object_set(o, main, v);
            for (const char *const *l = i18n_languages; *l != NULL; l++) {
                const char *t = strcmp(*l, main) != 0 ? translated(translations, *l, name) : NULL;
                if (t != NULL)
                    json_object_set_new(o, *l, json_string(t));
            }
            json_object_set_new(doc, name, o);
        }
        use = "all";
    } else {
        const char *names[8], *texts[8];
        size_t n = 0;
        json_array_foreach(fields, i, f)
        {
            if (n < 7) {
                names[n] = json_string_value(f);
                texts[n++] = json_string_value(json_object_get(doc, json_string_value(f)));
            }
        }
        names[n] = NULL;
        /* One record, one language: the reader's first that has every text, else the main. */
        use = i18n_record_language(translations, main, lang, names, texts);
        if (strcmp(use, main) != 0) {
            json_array_foreach(fields, i, f)
            {
                const char *name = json_string_value(f);
                const char *t = translated(translations, use, name);
                if (t != NULL)
                    json_object_set_new(doc, name, json_string(t));
            }
        }
        /* use points into i18n_languages or the document: copy before the document changes */
        for (const char *const *l = i18n_languages; *l != NULL; l++)
            if (strcmp(*l, use) == 0)
                use = *l;
    }
    json_object_set_new(doc, "language", json_string(use));
    json_object_del(doc, "translations");
    json_object_del(doc, "translatable");
    return use;
}

json_t *
i18n_all_texts(const json_t *translations, const char *main, const char *field,
               const char *main_text)
{
    json_t *o;

    if (main_text == NULL)
        return json_null();
    o = json_object();
    json_object_set_new(o, main, json_string(main_text));
    for (const char *const *l = i18n_languages; *l != NULL; l++) {
        const char *t = strcmp(*l, main) != 0 ? translated(translations, *l, field) : NULL;
        if (t != NULL)
            json_object_set_new(o, *l, json_string(t));
    }
    return o;
}

json_t *
i18n_expand_steal(json_t *doc)
{
    i18n_localize(doc, "all");
    json_object_del(doc, "language");
    return doc;
}

json_t *
i18n_flatten(const json_t *body, const char *const *fields, const char *dflt, const char **main,
             json_t **translations, json_t *errs)
{
    json_t *plain = json_copy((json_t *)body), *tr = json_object();
    const char *m = json_string_value(json_object_get(body, "main_language"));
    char field[96], msg[160];

    *main = i18n_supported(m) ? m : dflt;
    for (const char *const *l = i18n_languages; *l != NULL; l++)
        if (strcmp(*l, *main) == 0)
            *main = *l;
    for (size_t i = 0; fields[i] != NULL; i++) {
        json_t *v = json_object_get(body, fields[i]);
        const char *lang;
        json_t *text;

        if (!json_is_object(v))
            continue;
        if (json_object_size(v) == 0) {
            field_error(errs, fields[i], "must name at least one language: nl, fr, en or de");
            continue;
        }
        json_object_foreach(v, lang, text)
        {
            /* The client's key is named only when it is short and plain: never cut, never
             * more than a language tag. */
            bool named =
                strlen(lang) <= 8 && strspn(lang, "abcdefghijklmnopqrstuvwxyz"
                                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ-") == strlen(lang);
            snprintf(field, sizeof(field), "%s%s%s", fields[i], named ? "." : "",
                     named ? lang : "");
            if (!i18n_supported(lang)) {
                field_error(errs, field, "is not a supported language (nl, fr, en, de)");
            } else if (!json_is_string(text)) {
                field_error(errs, field, "must be a string");
            } else if (strcmp(lang, *main) != 0) {
                json_t *per = json_object_get(tr, lang);
                if (per == NULL)
                    json_object_set_new(tr, lang, per = json_object());
                json_object_set(per, fields[i], text);
            }
        }
        json_t *main_text = json_object_get(v, *main);
        if (!json_is_string(main_text)) {
            snprintf(msg, sizeof(msg), "must include the text in the main language (%s)", *main);
            field_error(errs, fields[i], msg);
            json_object_del(plain, fields[i]);
        } else {
            json_object_set(plain, fields[i], main_text);
        }
    }
    *translations = tr;
    return plain;
}

/* ---- a record's text as the reader gets it, without parsing it (lists) ---- */

static const char *
skip_space(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

/* Copies one JSON value at p into out without its insignificant spaces (out NULL: skips it);
 * the end of the value, or NULL when the text is not well-formed. */
static const char *
copy_value(const char *p, struct strbuf *out)
{
    int depth = 0;

    p = skip_space(p);
    for (;;) {
        const char *s = p;
        if (*p == '"') {
            for (p++; *p != '"'; p++) {
                if (*p == '\0' || (*p == '\\' && *++p == '\0'))
                    return NULL;
            }
            p++;
        } else if (*p == '{' || *p == '[') {
            depth++;
            p++;
        } else if (*p == '}' || *p == ']') {
            if (--depth < 0)
                return NULL;
            p++;
        } else if (*p == ',' || *p == ':') {
            if (depth == 0)
                return NULL;
            p++;
        } else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            p++;
            continue;
        } else if (*p == '\0') {
            return NULL;
        } else { /* a number, true, false or null */
            while (*p != '\0' && strchr(",:{}[]\" \n\t\r", *p) == NULL)
                p++;
        }
        if (out != NULL)
            sb_put(out, s, (size_t)(p - s));
        if (depth == 0)
            return p;
    }
}

bool
i18n_plain_json(const char *doc, const char *want, struct strbuf *out, char main[8])
{
    size_t mark = out->len;
    const char *p = skip_space(doc);
    bool translatable = false, untranslated = true, first = true;
    char lang[8] = "";

    main[0] = '\0';
    if (*p != '{')
        return false;
    p = skip_space(p + 1);
    sb_puts(out, "{");
    while (*p != '}') {
        const char *key = p, *value;
        if (*p != '"' || (p = copy_value(p, NULL)) == NULL)
            goto fallback;
        size_t klen = (size_t)(p - key);
        p = skip_space(p);
        if (*p != ':')
            goto fallback;
        value = p = skip_space(p + 1);
        if (klen == 14 && strncmp(key, "\"translations\"", 14) == 0) {
            untranslated = *value == '{' && *skip_space(value + 1) == '}';
            p = copy_value(p, NULL);
        } else if (klen == 14 && strncmp(key, "\"translatable\"", 14) == 0) {
            translatable = *value == '[';
            p = copy_value(p, NULL);
        } else {
            if (!first)
                sb_puts(out, ",");
            first = false;
            sb_put(out, key, klen);
            sb_puts(out, ":");
            p = copy_value(p, out);
            if (p != NULL && klen == 15 && strncmp(key, "\"main_language\"", 15) == 0 &&
                *value == '"' && p - value < (ptrdiff_t)sizeof(lang) + 1)
                snprintf(lang, sizeof(lang), "%.*s", (int)(p - value - 2), value + 1);
        }
        if (p == NULL)
            goto fallback;
        p = skip_space(p);
        if (*p == ',')
            p = skip_space(p + 1);
        else if (*p != '}')
            goto fallback;
    }
    if (translatable) {
        /* The reader's language matters only when the record has other languages (or all). */
        if (lang[0] == '\0' || (want != NULL && (strcmp(want, "all") == 0 || !untranslated)))
            goto fallback;
        snprintf(main, 8, "%s", i18n_supported(lang) ? lang : "nl");
        sb_printf(out, "%s\"language\":\"%s\"", first ? "" : ",", main);
    }
    sb_puts(out, "}");
    return true;
fallback:
    out->len = mark;
    if (out->p != NULL)
        out->p[mark] = '\0';
    return false;
}
