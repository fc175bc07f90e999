/* The privacy guard against the labelled corpus: recall and false-positive rate must be exact. */
#include "check.h"
#include "stek/privacy.h"

#include <string.h>

static unsigned
kind_of(const char *label)
{
    if (strcmp(label, "email") == 0)
        return PII_EMAIL;
    if (strcmp(label, "phone") == 0)
        return PII_PHONE;
    if (strcmp(label, "iban") == 0)
        return PII_IBAN;
    if (strcmp(label, "nrn") == 0)
        return PII_NATIONAL_NUMBER;
    return PII_NONE;
}

void
test_privacy(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int pii = 0, caught = 0, clean = 0, flagged = 0;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *tab = strchr(line, '\t');
        if (tab == NULL)
            continue;
        *tab = '\0';
        line[strcspn(tab + 1, "\n") + (size_t)(tab + 1 - line)] = '\0';
        /* "\\n" in the file is a line break inside the note. */
        for (char *w = tab + 1, *r = tab + 1;; r++) {
            if (r[0] == '\\' && r[1] == 'n')
                *w++ = '\n', r++;
            else if ((*w++ = *r) == '\0')
                break;
        }
        unsigned want = kind_of(line), got = privacy_scan(tab + 1);
        if (want == PII_NONE) {
            clean++;
            if (got != PII_NONE) {
                flagged++;
                printf("privacy: false positive (%s): %s\n", privacy_message(got, 0), tab + 1);
            }
        } else {
            pii++;
            if (got & want)
                caught++;
            else
                printf("privacy: missed %s: %s\n", line, tab + 1);
        }
    }
    fclose(f);
    printf("privacy corpus: %d notes with personal data, recall %d/%d (%.1f%%); %d harmless,"
           " false positives %d/%d (%.1f%%)\n",
           pii, caught, pii, pii ? 100.0 * caught / pii : 0, clean, flagged, clean,
           clean ? 100.0 * flagged / clean : 0);
    CHECK(pii + clean >= 400 && pii >= 200 && clean >= 200);
    CHECK(caught == pii);
    CHECK(flagged == 0);
    CHECK(privacy_scan("") == PII_NONE && privacy_scan(NULL) == PII_NONE);
    CHECK(strstr(privacy_message(PII_EMAIL, 0), "e-mail") != NULL);
    CHECK(strstr(privacy_message(PII_PHONE, PII_PHONE), "field phone") != NULL);
    CHECK(strcmp(privacy_kind_name(PII_PHONE | PII_NATIONAL_NUMBER), "national_register_number") ==
          0);
}
