/*
 * The privacy guard (service/stekd/domain/privacy.c): finds personal data in
 * free text so that it is refused before it is ever stored. Pure code.
 *
 * Found: e-mail addresses; phone numbers in Belgian, Dutch, French and UK
 * forms, national or international (+32, 0032, ...), with spaces, dots,
 * slashes, dashes or brackets; IBANs with a valid checksum; Belgian national
 * register numbers with a valid checksum, with or without separators.
 * Dates, times, amounts, postal codes and house numbers pass.
 */
#ifndef STEK_PRIVACY_H
#define STEK_PRIVACY_H

enum privacy_kind {
    PII_NONE = 0,
    PII_EMAIL = 1,
    PII_PHONE = 2,
    PII_IBAN = 4,
    PII_NATIONAL_NUMBER = 8,
};

/* The kinds of personal data in text, or-ed together; PII_NONE when it is clean. */
unsigned privacy_scan(const char *text);

/* A message naming what was found, without echoing it ("contains an e-mail address"). */
const char *privacy_message(unsigned kinds);

#endif
