/* The unit tests' one assertion macro and counters (defined in main.c). */
#ifndef STEK_TEST_CHECK_H
#define STEK_TEST_CHECK_H

#include <stdio.h>

extern int passed, failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                 \
        }                                                                                          \
    } while (0)

void test_rrule(const char *vectors);
void test_tz(const char *vectors);
void test_privacy(const char *corpus);
void test_stats(void);
void test_month(void);
void test_domain(void);
void test_feedmodel(void);
void test_template(void);
void test_secrets(void);
void test_import(void);
void test_ics(void);
void test_search(void);

#endif
