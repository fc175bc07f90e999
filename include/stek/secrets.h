/*
 * Secrets sealed at rest: the operator's key ring (STEK_SECRET_KEY_FILE) and the stored form
 * of a secret (a webhook's signing secret). With a key ring, a secret is stored as
 * "sealed:1:<key id>:<hex of nonce, ciphertext, tag>" (AES-256-GCM, bound to the record it
 * belongs to), so that a database dump alone can sign nothing; the key id names the key that
 * sealed it, so that keys can be rotated (stekd reseal-secrets). Without a key ring, secrets
 * are stored as they are, and a daemon refuses to start while sealed values exist.
 *
 * The key file: one key per line, 64 hex digits (32 random bytes; `stekd new-secret-key`
 * prints one), # comments and empty lines ignored; the first key seals, the others only open
 * (what an earlier key sealed, until reseal-secrets moved it on). Owner-only (0600 or 0400),
 * read once at start.
 */
#ifndef STEK_SECRETS_H
#define STEK_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#define SECRET_KEY_ID_LEN 8
/* The longest stored form of a secret of up to SECRET_PLAIN_MAX bytes, with its NUL. */
#define SECRET_PLAIN_MAX 2048
#define SECRET_STORED_MAX (20 + 2 * (28 + SECRET_PLAIN_MAX) + 1)

/* Reads the key ring from path (NULL or "": none); false with the reason in err. */
bool secrets_load(const char *path, char *err, size_t errlen);
/* Whether a key ring is loaded. */
bool secrets_configured(void);
/* The id of the key that seals (the file's first), "" without a key ring. */
const char *secrets_current_id(void);
/* Whether the ring holds the key of this id. */
bool secrets_have(const char *key_id);
/* Forgets the ring (at exit). */
void secrets_clear(void);

/* Whether stored is a sealed value; key_id (SECRET_KEY_ID_LEN + 1 bytes, may be NULL) gets
 * the id of the key that sealed it. */
bool secret_is_sealed(const char *stored, char *key_id);
/*
 * The stored form of plain (at most SECRET_PLAIN_MAX bytes) for the record named by context
 * (e.g. the webhook's id) into out (SECRET_STORED_MAX bytes): sealed under the current key, or
 * plain without a key ring. False on failure.
 */
bool secret_seal(const char *plain, const char *context, char out[SECRET_STORED_MAX]);
/* The plain text of a stored value of the record named by context into out (at least
 * SECRET_PLAIN_MAX + 1 bytes): false when it is sealed under a key the ring lacks, for
 * another record, or was changed. A plain stored value is copied as it is. */
bool secret_open(const char *stored, const char *context, char *out, size_t outlen);

#endif
