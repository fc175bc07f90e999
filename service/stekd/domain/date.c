#include "stek/rrule.h"
#include "stek/date.h"

#include <stdio.h>
#include <string.h>

/* Howard Hinnant's algorithms, valid for the whole proleptic Gregorian calendar. */
int32_t
days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

void
civil_from_days(int32_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)yoe + era * 400 + (*m <= 2);
}

unsigned
weekday_of(int32_t day)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    int32_t w = (day + 3) % 7;
    return (unsigned)(w < 0 ? w + 7 : w);
}

static bool
digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *out = *out * 10 + (s[i] - '0');
    }
    return true;
}

bool
date_parse(const char *s, int32_t *day)
{
    int y, m, d;
    int y2;
    unsigned m2, d2;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
        !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
        return false;
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    *day = days_from_civil(y, (unsigned)m, (unsigned)d);
    civil_from_days(*day, &y2, &m2, &d2);
    return y2 == y && (int)m2 == m && (int)d2 == d; /* refuses 2023-02-30 */
}

void
date_format(int32_t day, char out[11])
{
    int y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, m % 100u, d % 100u);
}

bool
time_parse(const char *s, int *minutes)
{
    int h, m;
    if (strlen(s) != 5 || s[2] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &m) || h > 23 ||
        m > 59)
        return false;
    *minutes = h * 60 + m;
    return true;
}

bool
timestamp_parse(const char *s, int64_t *epoch)
{
    int32_t day;
    char date[11];
    int h, mi, sec, oh = 0, om = 0, sign = 0;
    size_t n = strlen(s);

    if (n < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return false;
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!date_parse(date, &day) || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
        !digits(s + 17, 2, &sec) || h > 23 || mi > 59 || sec > 59)
        return false;
    const char *z = s + 19;
    if (*z == '.') /* fractions of a second: kept to the second */
        for (z++; *z >= '0' && *z <= '9'; z++)
            ;
    if ((z[0] == 'Z' || z[0] == 'z') && z[1] == '\0')
        sign = 0;
    else if ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && z[3] == ':' &&
             digits(z + 1, 2, &oh) && digits(z + 4, 2, &om) && oh <= 23 && om <= 59)
        sign = z[0] == '+' ? 1 : -1;
    else
        return false;
    *epoch = (int64_t)day * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    return true;
}

int32_t
date_months_before(int32_t day, unsigned months)
{
    int y;
    unsigned m, d;

    civil_from_days(day, &y, &m, &d);
    int total = y * 12 + (int)m - 1 - (int)months;
    int32_t first = days_from_civil(total / 12, (unsigned)(total % 12) + 1, 1);
    int32_t next = days_from_civil((total + 1) / 12, (unsigned)((total + 1) % 12) + 1, 1);
    return first + ((int32_t)d - 1 < next - first ? (int32_t)d - 1 : next - first - 1);
}

char *
date_fields(char *out, const unsigned *v, size_t n, const char *seps)
{
    for (size_t i = 0; i < n; i++) {
        *out++ = (char)('0' + v[i] / 10 % 10);
        *out++ = (char)('0' + v[i] % 10);
        if (seps[i] != '\0')
            *out++ = seps[i];
    }
    *out = '\0';
    return out;
}

int32_t
first_of_next_month(int y, unsigned m)
{
    return m >= 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
}
