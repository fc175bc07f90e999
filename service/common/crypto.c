#include "stek/crypto.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <openssl/hmac.h>

#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

/* SHA-256 fetched from the provider once: with EVP_sha256(), EVP_Digest looks the
 * implementation up again on every call, and the feed hashes a short text per occurrence.
 * Each thread also keeps its digest context (EVP_Digest makes and frees one per call, with
 * the provider's state): freed when the thread ends. */
static EVP_MD *sha256_fetched;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static pthread_key_t sha256_ctx_key;

static void
ctx_free(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void
sha256_fetch(void)
{
    sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (pthread_key_create(&sha256_ctx_key, ctx_free) != 0)
        abort();
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
    const EVP_MD *type = sha256_md();
    EVP_MD_CTX *ctx = pthread_getspecific(sha256_ctx_key);

    if (ctx == NULL && (ctx = EVP_MD_CTX_new()) != NULL &&
        pthread_setspecific(sha256_ctx_key, ctx) != 0) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    if (ctx == NULL || EVP_DigestInit_ex2(ctx, type, NULL) != 1 ||
        EVP_DigestUpdate(ctx, data, len) != 1 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
        EVP_Digest(data, len, md, &mdlen, type, NULL);
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

bool
stek_aead_seal(const uint8_t key[STEK_AEAD_KEY_LEN], const void *aad, size_t aadlen,
               const void *plain, size_t len, uint8_t *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    bool ok = ctx != NULL && len <= INT32_MAX && aadlen <= INT32_MAX &&
              stek_random_bytes(out, STEK_AEAD_NONCE_LEN) &&
              EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, STEK_AEAD_NONCE_LEN, NULL) == 1 &&
              EVP_EncryptInit_ex(ctx, NULL, NULL, key, out) == 1 &&
              EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) == 1 &&
              EVP_EncryptUpdate(ctx, out + STEK_AEAD_NONCE_LEN, &n, plain, (int)len) == 1 &&
              EVP_EncryptFinal_ex(ctx, out + STEK_AEAD_NONCE_LEN + n, &m) == 1 &&
              (size_t)(n + m) == len &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, STEK_AEAD_TAG_LEN,
                                  out + STEK_AEAD_NONCE_LEN + len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

bool
stek_aead_open(const uint8_t key[STEK_AEAD_KEY_LEN], const void *aad, size_t aadlen,
               const uint8_t *in, size_t n, uint8_t *out)
{
    if (n < STEK_AEAD_OVERHEAD || n - STEK_AEAD_OVERHEAD > INT32_MAX || aadlen > INT32_MAX)
        return false;
    size_t len = n - STEK_AEAD_OVERHEAD;
    uint8_t tag[STEK_AEAD_TAG_LEN];
    memcpy(tag, in + STEK_AEAD_NONCE_LEN + len, sizeof(tag));
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int k = 0, m = 0;
    bool ok = ctx != NULL && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, STEK_AEAD_NONCE_LEN, NULL) == 1 &&
              EVP_DecryptInit_ex(ctx, NULL, NULL, key, in) == 1 &&
              EVP_DecryptUpdate(ctx, NULL, &k, aad, (int)aadlen) == 1 &&
              EVP_DecryptUpdate(ctx, out, &k, in + STEK_AEAD_NONCE_LEN, (int)len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, STEK_AEAD_TAG_LEN, tag) == 1 &&
              EVP_DecryptFinal_ex(ctx, out + k, &m) == 1; /* 0 when the tag does not match */
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}
