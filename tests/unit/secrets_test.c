/* Secrets sealed at rest (secrets.h): what is sealed opens only with its key, for its record,
 * unchanged; a key file that others may read, or that holds no key, is refused. */
#include "check.h"
#include "stek/secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
write_keys(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    fputs(text, f);
    fclose(f);
    return chmod(path, mode) == 0;
}

#define K1 "1111111111111111111111111111111111111111111111111111111111111111"
#define K2 "2222222222222222222222222222222222222222222222222222222222222222"
#define W1 "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
#define W2 "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
#define SECRET "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

void
test_secrets(void)
{
    char path[] = "/tmp/stek-secrets-XXXXXX", err[256], sealed[SECRET_STORED_MAX];
    char again[SECRET_STORED_MAX], out[SECRET_PLAIN_MAX + 1], id1[SECRET_KEY_ID_LEN + 1];
    int fd = mkstemp(path);

    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    /* Without a ring a secret is kept as it is. */
    CHECK(secrets_load(NULL, err, sizeof(err)) && !secrets_configured());
    CHECK(secret_seal(SECRET, W1, sealed) && strcmp(sealed, SECRET) == 0);
    CHECK(secret_open(sealed, W1, out, sizeof(out)) && strcmp(out, SECRET) == 0);

    CHECK(write_keys(path, "# the current key first\n" K1 "\n", 0600));
    CHECK(secrets_load(path, err, sizeof(err)) && secrets_configured());
    snprintf(id1, sizeof(id1), "%s", secrets_current_id());
    CHECK(strlen(id1) == SECRET_KEY_ID_LEN && strstr(K1, id1) == NULL);
    CHECK(secret_seal(SECRET, W1, sealed) && secret_seal(SECRET, W1, again));
    CHECK(strncmp(sealed, "sealed:1:", 9) == 0 && strstr(sealed, "0123456789abcdef") == NULL);
    CHECK(strcmp(sealed, again) != 0); /* a fresh nonce each time */
    CHECK(secret_open(sealed, W1, out, sizeof(out)) && strcmp(out, SECRET) == 0);
    CHECK(!secret_open(sealed, W2, out, sizeof(out))); /* moved to another record */
    size_t last = strlen(sealed) - 1;
    sealed[last] = sealed[last] == '0' ? '1' : '0';
    CHECK(!secret_open(sealed, W1, out, sizeof(out))); /* changed */
    sealed[last] = again[last];
    CHECK(secret_open(again, W1, out, sizeof(out)));

    /* A new key first: what the old one sealed still opens, new values use the new one. */
    CHECK(write_keys(path, K2 "\n" K1 "\n", 0600) && secrets_load(path, err, sizeof(err)));
    CHECK(strcmp(secrets_current_id(), id1) != 0 && secrets_have(id1));
    CHECK(secret_open(again, W1, out, sizeof(out)) && strcmp(out, SECRET) == 0);
    /* The wrong key alone opens nothing. */
    CHECK(write_keys(path, K2 "\n", 0600) && secrets_load(path, err, sizeof(err)));
    CHECK(!secrets_have(id1) && !secret_open(again, W1, out, sizeof(out)));

    CHECK(write_keys(path, K1 "\n", 0644) && !secrets_load(path, err, sizeof(err)));
    CHECK(strstr(err, "chmod 600") != NULL && !secrets_configured());
    CHECK(write_keys(path, "# none\n", 0600) && !secrets_load(path, err, sizeof(err)));
    CHECK(write_keys(path, "not a key\n", 0600) && !secrets_load(path, err, sizeof(err)));
    CHECK(strstr(err, "line 1") != NULL);
    secrets_clear();
    unlink(path);
}
