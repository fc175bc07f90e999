/*
 * Timezones (service/stekd/domain/tz.c): turns a schedule's local date and
 * wall-clock time into an instant and the UTC offset in force, from the
 * system's IANA database (TZif files, with their POSIX-TZ footer for times
 * after the last listed transition).
 *
 * Times that do not exist (the hour skipped in spring) are read with the
 * offset before the gap, so 02:30 becomes 03:30 summer time; times that occur
 * twice (the hour repeated in autumn) are the first of the two. Both follow
 * RFC 5545 section 3.3.5 (and PostgreSQL, and Python's fold=0).
 */
#ifndef STEK_TZ_H
#define STEK_TZ_H

#include <stddef.h>
#include <stdint.h>

struct tz;

/*
 * Parses TZif data (version 2 or later). NULL when it is not valid TZif.
 * The result is immutable and may be shared between threads; tz_free frees it.
 */
struct tz *tz_parse(const unsigned char *data, size_t len);

/*
 * Loads a zone by IANA name (such as "Europe/Brussels") from $TZDIR or
 * /usr/share/zoneinfo. NULL when the name is malformed or unknown.
 */
struct tz *tz_load(const char *name);

/* NULL is a no-op. */
void tz_free(struct tz *z);

/* The UTC offset, in seconds, in force at the instant utc (seconds since 1970). */
int32_t tz_offset_at(const struct tz *z, int64_t utc);

/*
 * The instant of a local day (day number, see rrule.h) and minute of the day,
 * with the offset in force then (*offset, in seconds east of UTC).
 */
int64_t tz_local_to_utc(const struct tz *z, int32_t day, int minutes, int32_t *offset);

/* A zone by IANA name, loaded once and shared read-only by every thread; NULL when unknown. */
const struct tz *tz_cached(const char *name);

/* Frees the zones tz_cached loaded (at shutdown). */
void tz_cache_free(void);

/* The local date (day number) in zone z at the instant now (seconds since 1970); z NULL: UTC. */
int32_t tz_today(const struct tz *z, int64_t now);

#endif
