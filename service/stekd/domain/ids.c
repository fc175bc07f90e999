#include "stek/ids.h"
#include "stek/crypto.h"

#include <ctype.h>
#include <stdio.h>

bool
is_uuid(const char *s)
{
    for (int i = 0; i < UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return s[UUID_LEN] == '\0';
}

bool
uuid_new(char out[UUID_LEN + 1])
{
    unsigned char b[16];
    if (!stek_random_bytes(b, sizeof(b)))
        return false;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return true;
}

bool
handoff_code_new(char out[9])
{
    static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    unsigned char b[8];

    if (!stek_random_bytes(b, sizeof(b)))
        return false;
    for (int i = 0; i < 8; i++)
        out[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
    out[8] = '\0';
    return true;
}
