/*
 * The word catalogue (service/stekd/domain/words.c): every word a page, the calendar and the
 * widget show, in each language of the service, from service/web/words.json (embedded at
 * build time; the widget's words are written into widget.js from the same file). One list of
 * languages: the catalogue's, which the unit tests hold equal to i18n_languages.
 */
#ifndef STEK_WORDS_H
#define STEK_WORDS_H

#include <jansson.h>

/* The word key in lang (nl, fr, en, de; others and NULL: Dutch). A key the catalogue lacks
 * is returned as it is (the unit tests check every key the code uses). Static: never freed. */
const char *word(const char *key, const char *lang);

/* Every word in lang as an object {key: word}, for a template's view (a new reference). */
json_t *words_view(const char *lang);

/* The catalogue's languages, in order (a borrowed array of strings). */
const json_t *words_languages(void);

#endif
