#include "stek/mergepatch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *
merge_patch_steal(json_t *target, const json_t *patch)
{
    const char *key;
    json_t *value;

    if (!json_is_object(patch)) {
        json_decref(target);
        return json_deep_copy(patch);
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
    }
    json_object_foreach((json_t *)patch, key, value)
    {
        if (json_is_null(value)) {
            json_object_del(target, key);
        } else {
            json_t *cur = json_object_get(target, key);
            json_t *merged = merge_patch_steal(cur ? json_incref(cur) : json_null(), value);
            json_object_set_new(target, key, merged);
        }
    }
    return target;
}

static bool
kept_by_server(const char *key)
{
    static const char *const keys[] = {"id",       "created_at",   "updated_at", "version",
                                       "language", "translatable", NULL};
    for (const char *const *k = keys; *k != NULL; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Appends the keys of a whose value differs in b (or is missing there), and those only in b. */
static void
differing(const json_t *a, const json_t *b, const char *prefix, json_t *out, bool top)
{
    const char *key;
    const json_t *v;
    char name[160];

    json_object_foreach((json_t *)a, key, v)
    {
        if (top && kept_by_server(key))
            continue;
        if (top && strcmp(key, "translations") == 0)
            continue;
        if (!json_equal((json_t *)v, json_object_get(b, key))) {
            snprintf(name, sizeof(name), "%s%s", prefix, key);
            json_array_append_new(out, json_string(name));
        }
    }
    json_object_foreach((json_t *)b, key, v)
    {
        if ((top && (kept_by_server(key) || strcmp(key, "translations") == 0)) ||
            json_object_get(a, key) != NULL)
            continue;
        snprintf(name, sizeof(name), "%s%s", prefix, key);
        json_array_append_new(out, json_string(name));
    }
}

json_t *
json_changed_fields(const json_t *before, const json_t *after)
{
    json_t *out = json_array(), *empty = json_object();
    const json_t *tb = json_object_get(before, "translations"),
                 *ta = json_object_get(after, "translations");
    const char *lang;
    const json_t *v;

    differing(before, after, "", out, true);
    /* A translation: {"fr": {"title": ...}} -> "title.fr". */
    json_object_foreach((json_t *)(json_is_object(tb) ? tb : empty), lang, v)
    {
        json_t *fields = json_array();
        const json_t *other = json_object_get(json_is_object(ta) ? ta : empty, lang);
        differing(v, json_is_object(other) ? other : empty, "", fields, false);
        size_t i;
        json_t *f;
        json_array_foreach(fields, i, f)
        {
            char name[160];
            snprintf(name, sizeof(name), "%s.%s", json_string_value(f), lang);
            json_array_append_new(out, json_string(name));
        }
        json_decref(fields);
    }
    json_object_foreach((json_t *)(json_is_object(ta) ? ta : empty), lang, v)
    {
        if (json_is_object(tb) && json_object_get(tb, lang) != NULL)
            continue;
        const char *field;
        const json_t *t;
        json_object_foreach((json_t *)v, field, t)
        {
            char name[160];
            snprintf(name, sizeof(name), "%s.%s", field, lang);
            json_array_append_new(out, json_string(name));
        }
    }
    json_decref(empty);
    /* Sorted, each once. */
    size_t n = json_array_size(out);
    json_t **items = calloc(n + 1, sizeof(*items));
    if (items == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(out, i));
    qsort(items, n, sizeof(*items), by_name);
    json_array_clear(out);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || by_name(&items[i], &items[i - 1]) != 0)
            json_array_append(out, items[i]);
        json_decref(items[i]);
    }
    free(items);
    return out;
}
