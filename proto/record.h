/*
 * Building one "stoke/1" VCL_Log record: percent-encoded fields, and an
 * honest cut when the record will not fit in a VSL record.
 * The format is documented in RECORD_FORMAT.md; the daemon parses it.
 */

#ifndef STOKE_RECORD_H
#define STOKE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REC_VERSION "stoke/1"
#define REC_MAX_FIELDS 48

struct rec {
	unsigned magic;
#define REC_MAGIC 0x5d1c0a71
	char *buf;
	size_t cap;
	size_t len;
	size_t hdr_len; /* "stoke/1 <event>" */
	unsigned nfield;
	unsigned overflow; /* a field did not fit in buf */
	size_t field_end[REC_MAX_FIELDS];
};

void rec_init(struct rec *, char *buf, size_t cap, const char *event);
void rec_str(struct rec *, const char *key, const char *val);
void rec_strn(struct rec *, const char *key, const char *val, size_t len);
void rec_int(struct rec *, const char *key, intmax_t val);
/* Start a field whose value is appended in pieces with rec_append(). */
void rec_open(struct rec *, const char *key);
void rec_append(struct rec *, const char *val, size_t len);
void rec_close(struct rec *);
/*
 * Fit the record into limit bytes (the VSL record length).  Returns the
 * length to log; sets *cut when fields were dropped or cut.
 */
size_t rec_finish(struct rec *, size_t limit, unsigned *cut);

/* Percent-encode src into dst; returns bytes needed (may exceed dstlen). */
size_t rec_encode(char *dst, size_t dstlen, const char *src, size_t len);
/* Inverse, for readers and tests.  Returns -1 on a bad escape. */
ssize_t rec_decode(char *dst, size_t dstlen, const char *src, size_t len);

#endif
