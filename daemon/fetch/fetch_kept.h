/*
 * The response headers kept with a warm result: those that say why an
 * answer is in cache or not (Cache-Control, Age, Vary, X-Varnish...)
 * and what it is (Content-Type, ETag...), for people to read later.
 *
 * Bounded, whatever the server sends: names from one list only, at most
 * FETCH_KEPT_MAX of them, each value at most FETCH_KEPT_VALUE_MAX bytes
 * (cut with "..." past it), printable ASCII (any other byte a '?').  A
 * header that comes twice is kept once, its values joined with ", ".
 * Set-Cookie is kept as the names of the cookies set, never a value:
 * a session's cookie is a credential.  Nothing of the request is kept.
 */

#ifndef STOKE_FETCH_KEPT_H
#define STOKE_FETCH_KEPT_H

#include <stddef.h>

#define FETCH_KEPT_MAX 16
#define FETCH_KEPT_VALUE_MAX 256
/* A name's bytes at most, as an agent may send them (the list's are
 * shorter). */
#define FETCH_KEPT_NAME_MAX 64

struct fetch_kept_hdr {
	const char *name; /* the list's spelling, static */
	size_t len;
	unsigned full; /* cut: nothing more is added */
	char value[FETCH_KEPT_VALUE_MAX + 1];
};

struct fetch_kept {
	unsigned n;
	struct fetch_kept_hdr h[FETCH_KEPT_MAX];
};

void fetch_kept_clear(struct fetch_kept *);
/* One header line as curl gives it ("Name: value\r\n"); one not on the
 * list is left out. */
void fetch_kept_line(struct fetch_kept *, const char *line, size_t len);
/* A Set-Cookie value's cookie name ("name=value; Path=/"): its length
 * from v. */
size_t fetch_kept_cookie_name(const char *v, size_t len);
/* The headers kept as a JSON object of name to value, compact, to
 * free(); NULL when none were. */
char *fetch_kept_json(const struct fetch_kept *);

#endif
