/*
 * Content in the reader's language (service/stekd/domain/i18n.c), after the
 * Belgian federal REST guidelines (belgif, "Internationalization").
 *
 * A record keeps its texts in its main language (main_language) and the other
 * languages in translations: {"fr": {"title": "..."}, ...}; its document also
 * lists which fields are translatable. Reads answer in one language per record:
 * the reader's when every translatable text of the record exists in it, else
 * the record's main language; the record's "language" says which. "all" gives
 * each translatable field as an object of languages.
 *
 * Writes take a plain string (the main language) or an object of languages for
 * each translatable field. A plain string replaces the field's translations
 * (they translated the old text).
 */
#ifndef STEK_I18N_H
#define STEK_I18N_H

#include "stek/strbuf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* nl, fr, en, de (NULL-ended) */
extern const char *const i18n_languages[];

/* True for nl, fr, en, de. */
bool i18n_supported(const char *lang);

#define I18N_PREFS_MAX 16

/*
 * The languages a reader asked for, best first, as "fr,nl" in out: ?lang= (a
 * language tag, or "all", returned as is) if given, else the supported
 * languages of Accept-Language by q-value (fr-BE is fr; q=0 is refused).
 * NULL: no supported preference (each record answers in its main language).
 * Each record is shown in the first of them it has every text in.
 */
const char *i18n_negotiate(const char *lang_param, const char *accept_language,
                           char out[I18N_PREFS_MAX]);

/*
 * Turns a stored document (with main_language, translations, translatable)
 * into what a reader sees with prefs (see i18n_negotiate; NULL: main language;
 * "all": objects).
 * Removes translations and translatable, sets "language". Returns the language
 * of the texts ("all" for objects). Documents without translatable are left as
 * they are (NULL returned).
 */
const char *i18n_localize(json_t *doc, const char *lang);

/*
 * What a stored document (as for i18n_localize, before it) lacks: for each supported language
 * other than its main one, the translatable fields that have a text in the main language but
 * none in that language, {"fr": ["description"], "en": ["title", "description"]}; languages
 * that lack nothing are left out ({} when complete). A new object; NULL for a document
 * without translatable texts.
 */
json_t *i18n_missing(const json_t *doc);

/*
 * The language a record is shown in for the reader's prefs (see
 * i18n_negotiate): the first in which every field that has a main text
 * (main_texts[i] not NULL) is translated, else main. For code that holds a
 * record's fields apart (the feed); i18n_text then gives each field's text.
 */
const char *i18n_record_language(const json_t *translations, const char *main, const char *prefs,
                                 const char *const *fields, const char *const *main_texts);
const char *i18n_text(const json_t *translations, const char *record_lang, const char *main,
                      const char *field, const char *main_text);

/* A field's text in every language as an object {main: main_text, lang: ...}; JSON null
 * when main_text is NULL (a new reference). */
json_t *i18n_all_texts(const json_t *translations, const char *main, const char *field,
                       const char *main_text);

/*
 * For a write: a copy of body with every translatable field given as an object
 * of languages replaced by its main-language text, and those objects' other
 * languages in *translations ({lang: {field: text}}). *main is the body's
 * main_language when it names a supported one, else dflt. Problems (an unknown
 * language, no main-language text, a non-string) go to errs as "field.lang".
 * A field given as a plain string keeps no translations.
 */
json_t *i18n_flatten(const json_t *body, const char *const *fields, const char *dflt,
                     const char **main, json_t **translations, json_t *errs);

/*
 * For a merge patch: a stored document with each translatable field as an
 * object of its languages (the shape "all" reads), without translations,
 * translatable and language; takes doc.
 */
json_t *i18n_expand_steal(json_t *doc);

/*
 * A record's JSON text (as the database made it) as a reader asking for want gets it, without
 * parsing it: compacted, "translations" and "translatable" left out and "language" added, when
 * the reader's language cannot matter (no preference, or a record without other languages; not
 * for "all"). main gets the language shown ("" for a record without translatable texts). False
 * (out unchanged) when the record must be localized the full way (i18n_localize).
 */
bool i18n_plain_json(const char *doc, const char *want, struct strbuf *out, char main[8]);

#endif
