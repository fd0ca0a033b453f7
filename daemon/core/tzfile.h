/*
 * Time zones by their IANA names ("Europe/Berlin"), read from the
 * system's compiled tzfiles (RFC 8536, TZif versions 1 to 4): the
 * transitions the file lists, then its footer's POSIX TZ rule
 * ("CET-1CEST,M3.5.0,M10.5.0/3") for the times past them.
 *
 * A zone is its own data: nothing here reads or sets the process's TZ,
 * so that any thread converts any zone without the races of setenv()
 * and tzset() under localtime_r().
 *
 * Times are seconds since the epoch.  A wall time is a local date and
 * time written as the seconds it would be in UTC (tz_join), so that the
 * calendar arithmetic is the same for both.
 */

#ifndef STOKE_TZFILE_H
#define STOKE_TZFILE_H

#include <stddef.h>
#include <stdint.h>

#define TZ_NAME_MAX 64
#define TZ_DIR "/usr/share/zoneinfo"

struct tz;

/* A date and time of the proleptic Gregorian calendar. */
struct tz_tm {
	int64_t year;
	unsigned mon; /* 1 to 12 */
	unsigned mday; /* 1 to 31 */
	unsigned hour, min, sec;
	unsigned wday; /* 0 (Sunday) to 6 */
};

/* Seconds as a date and time, and back (mon and mday in range). */
void tz_split(int64_t, struct tz_tm *);
int64_t tz_join(int64_t year, unsigned mon, unsigned mday, unsigned hour,
    unsigned min, unsigned sec);
/* Days of a month of a year. */
unsigned tz_mdays(int64_t year, unsigned mon);

/*
 * Whether name can be a zone's: components of letters, digits and
 * "_+-", each starting with a letter, joined by single '/'; so never a
 * path out of the zone directory.  0, or -1 with why.
 */
int tz_name_check(const char *name, char *why, size_t len);

/*
 * A zone from a tzfile's bytes; NULL with why.  Zones with leap seconds
 * ("right/") are refused: civil time has none.
 */
struct tz *tz_parse(const char *name, const void *buf, size_t len, char *why,
    size_t whylen);
/* The zone of name, from dir's files (NULL: TZ_DIR); "UTC" needs none.
 * Blocks on the file: see tz_get. */
struct tz *tz_load(const char *dir, const char *name, char *why, size_t len);
void tz_free(struct tz **);

/*
 * The zone of name from TZ_DIR, read once and kept for the process's
 * life (a few kB each, and there are some 600 names), so that the loop
 * reads each file once at most.  Any thread.  NULL with why.
 */
const struct tz *tz_get(const char *name, char *why, size_t len);

const char *tz_name(const struct tz *);
/* Seconds east of UTC at instant t. */
int32_t tz_offset(const struct tz *, int64_t t);
/* The wall time at instant t. */
int64_t tz_wall(const struct tz *, int64_t t);
/*
 * The instant of wall time w: the earliest, when the clocks went back
 * and w came twice; when they went forward over it and w never came,
 * the first instant after the gap.
 */
int64_t tz_instant(const struct tz *, int64_t w);

/*
 * Instant t as ISO 8601 in zone z ("2025-03-30T03:00:00+02:00"), or in
 * UTC when z is NULL ("2025-03-30T01:00:00Z").
 */
#define TZ_ISO_LEN 40
void tz_iso(const struct tz *z, int64_t t, char buf[TZ_ISO_LEN]);

#endif
