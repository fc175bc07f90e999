/* RFC 7396 JSON merge patch (service/stekd/domain/mergepatch.c). */
#ifndef STEK_MERGEPATCH_H
#define STEK_MERGEPATCH_H

#include <jansson.h>

/* Applies patch to target in place and returns target (or a new value; the old is released). */
json_t *merge_patch_steal(json_t *target, const json_t *patch);

#endif
