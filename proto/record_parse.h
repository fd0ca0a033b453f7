/*
 * Reading stoke/1 records (RECORD_FORMAT.md): the other half of record.c.
 * Parsing does not copy: fields point into the record, values still
 * percent-encoded (rec_decode() turns one into bytes).
 */

#ifndef STOKE_RECORD_PARSE_H
#define STOKE_RECORD_PARSE_H

#include <stddef.h>

#include "record.h"

struct rec_field {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

struct rec_view {
	const char *event;
	size_t elen;
	unsigned nfield;
	unsigned trunc; /* the writer marked it cut */
	struct rec_field field[REC_MAX_FIELDS];
};

/*
 * Returns 0 for a stoke/1 record, -1 for anything else (another VCL_Log
 * line, another version, or a malformed record).
 */
int rec_parse(const char *line, size_t len, struct rec_view *);
int rec_event_is(const struct rec_view *, const char *event);
/* The value of key, or NULL; *vlen gets its (encoded) length. */
const char *rec_get(const struct rec_view *, const char *key, size_t *vlen);

#endif
