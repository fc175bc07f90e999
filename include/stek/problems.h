/*
 * The items of a problem's "errors" list (service/stekd/domain/problems.c):
 * every validator (bodies, queries, domain rules) adds {field, message} with
 * field_error, so that each error reads the same.
 */
#ifndef STEK_PROBLEMS_H
#define STEK_PROBLEMS_H

#include <jansson.h>
#include <stddef.h>

/* Adds {field, message} to errors. */
void field_error(json_t *errors, const char *field, const char *message);

/* Writes "must be one of: a, b, c" for a NULL-ended list of choices. */
void choices_message(char *out, size_t len, const char *const *choices);

#endif
