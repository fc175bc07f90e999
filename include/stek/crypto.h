/*
 * Hashing, randomness and authenticated encryption shared by stekd and stek-migrate.
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

/*
 * Authenticated encryption (AES-256-GCM through OpenSSL's EVP interface) of the secrets kept
 * at rest. stek_aead_seal writes a fresh random nonce, the ciphertext of plain[0..len) and the
 * tag (len + STEK_AEAD_OVERHEAD bytes) into out, bound to aad (what the value belongs to, so
 * that a sealed value moved to another record does not open). stek_aead_open reverses it into
 * out (n - STEK_AEAD_OVERHEAD bytes); false when the key or aad differ or a byte changed.
 */
#define STEK_AEAD_KEY_LEN 32
#define STEK_AEAD_NONCE_LEN 12
#define STEK_AEAD_TAG_LEN 16
#define STEK_AEAD_OVERHEAD (STEK_AEAD_NONCE_LEN + STEK_AEAD_TAG_LEN)
bool stek_aead_seal(const uint8_t key[STEK_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                    const void *plain, size_t len, uint8_t *out);
bool stek_aead_open(const uint8_t key[STEK_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                    const uint8_t *in, size_t n, uint8_t *out);

#endif
