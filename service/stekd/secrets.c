/* The key ring and the stored form of secrets: see secrets.h. */
#include "stek/secrets.h"
#include "stek/crypto.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define RING_MAX 8
#define PREFIX "sealed:1:"

static struct {
    size_t n;
    struct {
        uint8_t key[STEK_AEAD_KEY_LEN];
        char id[SECRET_KEY_ID_LEN + 1];
    } k[RING_MAX];
} ring;

static int
hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* n bytes from 2n lower-case hex digits; false when one is not. */
static bool
from_hex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
        if (lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static void
to_hex(const uint8_t *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* One line of the key file into the ring; false with the reason in err. */
static bool
add_key(const char *line, unsigned lineno, char *err, size_t errlen)
{
    char digest[STEK_SHA256_HEX_LEN + 1], salted[96];

    if (strlen(line) != 2 * STEK_AEAD_KEY_LEN ||
        !from_hex(line, ring.k[ring.n].key, STEK_AEAD_KEY_LEN)) {
        snprintf(err, errlen,
                 "STEK_SECRET_KEY_FILE line %u is not a key (64 lower-case hex digits; "
                 "stekd new-secret-key prints one)",
                 lineno);
        return false;
    }
    if (ring.n == RING_MAX) {
        snprintf(err, errlen, "STEK_SECRET_KEY_FILE holds more than %d keys", RING_MAX);
        return false;
    }
    /* The id says which key sealed a value without saying anything about the key. */
    snprintf(salted, sizeof(salted), "stek secret key %.64s", line);
    stek_sha256_hex(salted, strlen(salted), digest);
    snprintf(ring.k[ring.n].id, sizeof(ring.k[ring.n].id), "%.*s", SECRET_KEY_ID_LEN, digest);
    ring.n++;
    return true;
}

bool
secrets_load(const char *path, char *err, size_t errlen)
{
    struct stat st;
    char line[256];
    unsigned lineno = 0;
    bool ok = true;
    FILE *f;

    secrets_clear();
    if (path == NULL || *path == '\0')
        return true;
    if ((f = fopen(path, "r")) == NULL || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "STEK_SECRET_KEY_FILE %s cannot be read: %s", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return false;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        snprintf(err, errlen,
                 "STEK_SECRET_KEY_FILE %s must be a file only its owner can read (chmod 600)",
                 path);
        fclose(f);
        return false;
    }
    while (ok && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '\0' && line[0] != '#')
            ok = add_key(line, lineno, err, errlen);
    }
    fclose(f);
    if (ok && ring.n == 0) {
        snprintf(err, errlen, "STEK_SECRET_KEY_FILE %s holds no key", path);
        ok = false;
    }
    if (!ok)
        secrets_clear();
    return ok;
}

bool
secrets_configured(void)
{
    return ring.n > 0;
}

const char *
secrets_current_id(void)
{
    return ring.n > 0 ? ring.k[0].id : "";
}

static int
ring_index(const char *key_id)
{
    for (size_t i = 0; i < ring.n; i++)
        if (strcmp(ring.k[i].id, key_id) == 0)
            return (int)i;
    return -1;
}

bool
secrets_have(const char *key_id)
{
    return ring_index(key_id) >= 0;
}

void
secrets_clear(void)
{
    /* The keys leave no copy in memory that outlives their use. */
    volatile uint8_t *p = (volatile uint8_t *)&ring;
    for (size_t i = 0; i < sizeof(ring); i++)
        p[i] = 0;
}

bool
secret_is_sealed(const char *stored, char *key_id)
{
    size_t pl = strlen(PREFIX);
    if (strncmp(stored, PREFIX, pl) != 0 || strlen(stored) < pl + SECRET_KEY_ID_LEN + 1 ||
        stored[pl + SECRET_KEY_ID_LEN] != ':')
        return false;
    if (key_id != NULL)
        snprintf(key_id, SECRET_KEY_ID_LEN + 1, "%.*s", SECRET_KEY_ID_LEN, stored + pl);
    return true;
}

bool
secret_seal(const char *plain, const char *context, char out[SECRET_STORED_MAX])
{
    size_t len = strlen(plain);
    uint8_t box[STEK_AEAD_OVERHEAD + SECRET_PLAIN_MAX];

    if (len > SECRET_PLAIN_MAX)
        return false;
    if (ring.n == 0) {
        snprintf(out, SECRET_STORED_MAX, "%s", plain);
        return true;
    }
    if (!stek_aead_seal(ring.k[0].key, context, strlen(context), plain, len, box))
        return false;
    int n = snprintf(out, SECRET_STORED_MAX, "%s%s:", PREFIX, ring.k[0].id);
    to_hex(box, len + STEK_AEAD_OVERHEAD, out + n);
    return true;
}

bool
secret_open(const char *stored, const char *context, char *out, size_t outlen)
{
    char id[SECRET_KEY_ID_LEN + 1];
    uint8_t box[STEK_AEAD_OVERHEAD + SECRET_PLAIN_MAX], plain[SECRET_PLAIN_MAX + 1];
    int k;

    if (!secret_is_sealed(stored, id)) {
        if (strlen(stored) >= outlen)
            return false;
        snprintf(out, outlen, "%s", stored);
        return true;
    }
    const char *hex = stored + strlen(PREFIX) + SECRET_KEY_ID_LEN + 1;
    size_t n = strlen(hex) / 2;
    if ((k = ring_index(id)) < 0 || strlen(hex) % 2 != 0 || n < STEK_AEAD_OVERHEAD ||
        n > sizeof(box) || !from_hex(hex, box, n) || n - STEK_AEAD_OVERHEAD >= outlen ||
        !stek_aead_open(ring.k[k].key, context, strlen(context), box, n, plain))
        return false;
    memcpy(out, plain, n - STEK_AEAD_OVERHEAD);
    out[n - STEK_AEAD_OVERHEAD] = '\0';
    return true;
}
