/*
 * One buffer: bytes are appended at the end and messages taken from the
 * head; the head is moved back to the start only when the buffer must
 * grow, so that a burst of small messages costs no copying.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "cdp_frame.h"

struct cdp_frame {
	unsigned magic;
#define CDP_FRAME_MAGIC 0x2c0f7a01
	char *buf;
	size_t head, len, size; /* taken, held, allocated */
	size_t scan; /* from head, bytes known to hold no NUL */
	size_t max;
	int lost;
};

struct cdp_frame *
cdp_frame_new(size_t max)
{
	struct cdp_frame *f;

	assert(max > 0);
	ALLOC_OBJ(f, CDP_FRAME_MAGIC);
	AN(f);
	f->max = max;
	return (f);
}

void
cdp_frame_free(struct cdp_frame **fp)
{
	struct cdp_frame *f;

	TAKE_OBJ_NOTNULL(f, fp, CDP_FRAME_MAGIC);
	free(f->buf);
	FREE_OBJ(f);
}

/* Room for n more bytes after what is held. */
static void
cdp_frame_room(struct cdp_frame *f, size_t n)
{
	size_t want;

	if (f->head + f->len + n <= f->size)
		return;
	if (f->head > 0) {
		memmove(f->buf, f->buf + f->head, f->len);
		f->head = 0;
		if (f->len + n <= f->size)
			return;
	}
	want = f->size > 0 ? f->size : 4096;
	while (want < f->len + n)
		want *= 2;
	f->buf = realloc(f->buf, want);
	AN(f->buf);
	f->size = want;
}

int
cdp_frame_feed(struct cdp_frame *f, const void *p, size_t n)
{
	CHECK_OBJ_NOTNULL(f, CDP_FRAME_MAGIC);
	assert(n == 0 || p != NULL);
	if (f->lost)
		return (-1);
	cdp_frame_room(f, n);
	memcpy(f->buf + f->head + f->len, p, n);
	f->len += n;
	/* A message may end in what came: whether it ran past max is
	 * known once it is looked for. */
	if (memchr(f->buf + f->head + f->scan, '\0', f->len - f->scan) ==
	        NULL &&
	    f->len > f->max) {
		f->lost = 1;
		return (-1);
	}
	return (0);
}

const char *
cdp_frame_next(struct cdp_frame *f, size_t *lenp)
{
	char *s, *e;
	size_t n;

	CHECK_OBJ_NOTNULL(f, CDP_FRAME_MAGIC);
	AN(lenp);
	if (f->lost || f->len == 0)
		return (NULL);
	s = f->buf + f->head;
	e = memchr(s + f->scan, '\0', f->len - f->scan);
	if (e == NULL) {
		f->scan = f->len;
		return (NULL);
	}
	n = (size_t)(e - s);
	if (n > f->max) {
		f->lost = 1;
		return (NULL);
	}
	f->head += n + 1;
	f->len -= n + 1;
	f->scan = 0;
	if (f->len == 0)
		f->head = 0;
	*lenp = n;
	/* Still in place: the next feed may move, not overwrite, it. */
	return (s);
}

size_t
cdp_frame_pending(const struct cdp_frame *f)
{
	CHECK_OBJ_NOTNULL(f, CDP_FRAME_MAGIC);
	return (f->len);
}
