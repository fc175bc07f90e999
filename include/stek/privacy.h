/*
 * The privacy guard (service/stekd/domain/privacy.c): finds personal data in
 * free text so that it is refused before it is ever stored. Pure code.
 *
 * The text is normalised first: Unicode compatibility forms (full-width,
 * mathematical and circled digits), no-break and thin spaces, dashes, and
 * invisible characters (zero-width spaces, soft hyphens) are folded or
 * removed, line breaks become spaces. Then the whole text is read.
 *
 * Found: e-mail addresses, also written with spaces around @ or the dot, as
 * (at) [at] {at}, "at ... dot", "punt", "apenstaartje", in any case, with
 * accented domains; phone numbers in Belgian, Dutch, French and UK forms,
 * national or international (+32, 0032, ...), with spaces, dots, slashes,
 * dashes or brackets between groups (" / " and " - " too), glued to a label
 * ("GSM0475..."); IBANs with a valid checksum, compact or in groups (dots,
 * spaces, a space after the country code); old Belgian account numbers
 * (539-0075470-34, mod 97); Belgian national register numbers with a valid
 * checksum, with or without separators. Dates, times, amounts, postal codes,
 * house numbers, short numbers and mentions ("@CAW") pass.
 *
 * Not found, and out of scope for automatic refusal: names, street addresses
 * and birth dates (they look like the place names and dates a note needs).
 */
#ifndef STEK_PRIVACY_H
#define STEK_PRIVACY_H

enum privacy_kind {
    PII_NONE = 0,
    PII_EMAIL = 1,
    PII_PHONE = 2,
    PII_IBAN = 4,
    PII_NATIONAL_NUMBER = 8,
    PII_ANY = 15,
};

/* The kinds of personal data in text, or-ed together; PII_NONE when it is clean. */
unsigned privacy_scan(const char *text);

/*
 * A message naming what was found, without echoing it ("contains an e-mail
 * address"). contact_fields: PII_EMAIL and/or PII_PHONE when the record has
 * an email or phone field of its own, where an organisation's address or
 * number belongs; the message then says to use it.
 */
const char *privacy_message(unsigned kinds, unsigned contact_fields);

/* The API name of the most serious kind found: national_register_number, iban, email, phone. */
const char *privacy_kind_name(unsigned kinds);

/* The normalised form the matchers read (malloc'd; the caller frees). For the tests. */
char *privacy_normalize(const char *text);

#endif
