/*
 * QR codes as inline SVG (service/stekd/domain/qr.c), made by libqrencode:
 * Debian's well-kept C library, so that no outside service ever sees a URL.
 */
#ifndef STEK_QR_H
#define STEK_QR_H

/*
 * The QR code of text (error correction M, 4 modules of quiet zone) as an
 * <svg> element sized by CSS, with label as its accessible name. malloc'd;
 * NULL when the text does not fit a QR code.
 */
char *qr_svg(const char *text, const char *label);

#endif
