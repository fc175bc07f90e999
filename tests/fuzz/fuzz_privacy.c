/* libFuzzer: the privacy detector on arbitrary text. */
#include "stek/privacy.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[5000];

    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    (void)privacy_message(privacy_scan(text), PII_EMAIL);
    return 0;
}
