#include "stek/crypto.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <openssl/hmac.h>

#include <string.h>
#include <openssl/rand.h>

/* SHA-256 fetched from the provider once: with EVP_sha256(), EVP_Digest looks the
 * implementation up again on every call, and the feed hashes a short text per occurrence. */
static EVP_MD *sha256_fetched;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
    sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256_md(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_fetched != NULL ? sha256_fetched : EVP_sha256();
}

void
stek_sha256_hex(const void *data, size_t len, char out[STEK_SHA256_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    EVP_Digest(data, len, md, &mdlen, sha256_md(), NULL);
    for (unsigned int i = 0; i < mdlen && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[STEK_SHA256_HEX_LEN] = '\0';
}

bool
stek_random_bytes(void *buf, size_t len)
{
    return RAND_bytes(buf, (int)len) == 1;
}

bool
stek_random_hex(char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[64];

    if (len > sizeof(b) || !stek_random_bytes(b, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * len] = '\0';
    return true;
}

void
stek_hmac_sha256_hex(const char *key, const void *msg, size_t len,
                     char out[STEK_SHA256_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    HMAC(EVP_sha256(), key, (int)strlen(key), msg, len, md, &mdlen);
    for (unsigned int i = 0; i < mdlen && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[STEK_SHA256_HEX_LEN] = '\0';
}
