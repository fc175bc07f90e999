/* The word catalogue: see words.h. */
#include "stek/words.h"
#include "stek/embedded.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static json_t *catalogue; /* parsed once; kept for the life of the process */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
    catalogue = json_loads(stek_words_json, 0, NULL);
    if (catalogue == NULL)
        abort(); /* embedded at build time from a file the tests read */
}

static const char *
in_catalogue(const char *lang)
{
    pthread_once(&once, load);
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(catalogue, "languages"), i, l)
    {
        if (lang != NULL && strcmp(json_string_value(l), lang) == 0)
            return lang;
    }
    return "nl";
}

const char *
word(const char *key, const char *lang)
{
    const char *use = in_catalogue(lang);
    const json_t *w = json_object_get(json_object_get(catalogue, "words"), key);
    const char *s = json_string_value(json_object_get(w, use));
    return s != NULL ? s : key;
}

json_t *
words_view(const char *lang)
{
    const char *use = in_catalogue(lang), *key;
    json_t *out = json_object(), *w;
    json_object_foreach(json_object_get(catalogue, "words"), key, w)
        json_object_set(out, key, json_object_get(w, use));
    return out;
}

const json_t *
words_languages(void)
{
    pthread_once(&once, load);
    return json_object_get(catalogue, "languages");
}
