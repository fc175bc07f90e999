/* Identifiers the service makes and checks (service/stekd/domain/ids.c). */
#ifndef STEK_IDS_H
#define STEK_IDS_H

#include <stdbool.h>

#define UUID_LEN 36

/* A coordinator key's municipalities as a PostgreSQL array literal ({Kalmthout,Wuustwezel}),
 * with its NUL: at most 20 names of 100 characters, quoted and escaped. */
#define SCOPE_MAX 4200

/* True when s is a canonical lower- or upper-case UUID string. */
bool is_uuid(const char *s);

/* A random version 4 UUID (37 bytes with the NUL); false if randomness failed. */
bool uuid_new(char out[UUID_LEN + 1]);

/*
 * A referral's handoff code: 8 characters without 0/O, 1/I/L, so that a card
 * is read right (~40 bits); false if randomness failed.
 */
bool handoff_code_new(char out[9]);

#endif
