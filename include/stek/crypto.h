/*
 * Hashing and randomness shared by stekd and stek-migrate.
 *
 * libcrypto (OpenSSL) provides both: libpq already links it on Debian, so it
 * adds no new dependency, and we do not hand-roll SHA-256.
 */
#ifndef STEK_CRYPTO_H
#define STEK_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STEK_SHA256_HEX_LEN 64

/* Writes the lower-case hex SHA-256 of data[0..len) and a NUL into out (65 bytes). */
void stek_sha256_hex(const void *data, size_t len, char out[STEK_SHA256_HEX_LEN + 1]);

/* The lower-case hex HMAC-SHA256 of msg under key (65 bytes with the NUL). */
void stek_hmac_sha256_hex(const char *key, const void *msg, size_t len,
                          char out[STEK_SHA256_HEX_LEN + 1]);

/* FNV-1a of a NUL-terminated text from h (STEK_FNV_BASIS to start): for hash tables in memory
 * (the response cache, the rate limits, parsed rules), never for anything an attacker must
 * not forge. */
#define STEK_FNV_BASIS 2166136261u
static inline uint32_t
stek_fnv1a(uint32_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* Fills buf with cryptographically strong random bytes; false on failure. */
bool stek_random_bytes(void *buf, size_t len);

/* Writes 2*len hex characters of random data and a NUL into out; false on failure. */
bool stek_random_hex(char *out, size_t len);

#endif
