/* RFC 7396 JSON merge patch (service/stekd/domain/mergepatch.c). */
#ifndef STEK_MERGEPATCH_H
#define STEK_MERGEPATCH_H

#include <jansson.h>

/* Applies patch to target in place and returns target (or a new value; the old is released). */
json_t *merge_patch_steal(json_t *target, const json_t *patch);

/*
 * The names of the fields that differ between two documents of a record (before and after an
 * update), sorted: top-level keys, and "title.fr" for a translation (in "translations").
 * Server-kept keys (id, created_at, updated_at, version, language, translatable) are left out.
 * Names only, never values. A new array.
 */
json_t *json_changed_fields(const json_t *before, const json_t *after);

#endif
