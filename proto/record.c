/*
 * The stoke/1 record writer.  Records are built in a caller-supplied
 * buffer (workspace in varnishd), so writing one never allocates.
 */

#include "config.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "record.h"

#define CHECK_REC(r)                                                           \
	do {                                                                   \
		assert((r) != NULL);                                           \
		assert((r)->magic == REC_MAGIC);                               \
	} while (0)

#define TRUNC_FIELD " trunc=1"

static const char hexdigit[] = "0123456789ABCDEF";

static inline int
rec_plain(unsigned char c)
{
	return (c > 0x20 && c < 0x7f && c != '%');
}

/*
 * Encode as much of src as fits in dst, escapes whole; *fit is how many
 * bytes of dst that took.  Returns the bytes the whole of src needs.
 */
static size_t
encode(char *dst, size_t dstlen, const char *src, size_t len, size_t *fit)
{
	size_t n = 0, i;
	unsigned char c;

	*fit = 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (rec_plain(c)) {
			if (n + 1 <= dstlen && *fit == n) {
				dst[n] = (char)c;
				*fit = n + 1;
			}
			n++;
			continue;
		}
		if (n + 3 <= dstlen && *fit == n) {
			dst[n] = '%';
			dst[n + 1] = hexdigit[c >> 4];
			dst[n + 2] = hexdigit[c & 0xf];
			*fit = n + 3;
		}
		n += 3;
	}
	return (n);
}

size_t
rec_encode(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t fit;

	return (encode(dst, dstlen, src, len, &fit));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

ssize_t
rec_decode(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t n = 0, i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (n >= dstlen)
			return (-1);
		if (src[i] != '%') {
			dst[n++] = src[i];
			continue;
		}
		if (i + 2 >= len)
			return (-1);
		hi = hexval(src[i + 1]);
		lo = hexval(src[i + 2]);
		if (hi < 0 || lo < 0)
			return (-1);
		dst[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	return ((ssize_t)n);
}

static void
rec_raw(struct rec *r, const char *s, size_t len)
{
	if (r->overflow)
		return;
	if (r->len + len > r->cap) {
		r->overflow = 1;
		return;
	}
	memcpy(r->buf + r->len, s, len);
	r->len += len;
}

void
rec_init(struct rec *r, char *buf, size_t cap, const char *event)
{
	assert(r != NULL);
	assert(buf != NULL);
	assert(event != NULL && *event != '\0');

	memset(r, 0, sizeof *r);
	r->magic = REC_MAGIC;
	r->buf = buf;
	r->cap = cap;
	rec_raw(r, REC_VERSION " ", sizeof REC_VERSION);
	rec_raw(r, event, strlen(event));
	/* A header that does not fit is a caller bug, not input. */
	assert(!r->overflow);
	assert(cap >= r->len + sizeof TRUNC_FIELD - 1);
	r->hdr_len = r->len;
}

void
rec_open(struct rec *r, const char *key)
{
	CHECK_REC(r);
	assert(key != NULL && *key != '\0');
	rec_raw(r, " ", 1);
	rec_raw(r, key, strlen(key));
	rec_raw(r, "=", 1);
}

void
rec_append(struct rec *r, const char *val, size_t len)
{
	size_t need, fit;

	CHECK_REC(r);
	if (r->overflow || len == 0)
		return;
	need = encode(r->buf + r->len, r->cap - r->len, val, len, &fit);
	/* What fits is kept: a cut record still says what it can. */
	r->len += fit;
	if (fit < need)
		r->overflow = 1;
}

void
rec_close(struct rec *r)
{
	CHECK_REC(r);
	/* After an overflow the field is incomplete: it does not count. */
	if (r->overflow)
		return;
	if (r->nfield < REC_MAX_FIELDS)
		r->field_end[r->nfield++] = r->len;
	else
		r->overflow = 1;
}

void
rec_strn(struct rec *r, const char *key, const char *val, size_t len)
{
	rec_open(r, key);
	rec_append(r, val, len);
	rec_close(r);
}

void
rec_str(struct rec *r, const char *key, const char *val)
{
	rec_strn(r, key, val, val == NULL ? 0 : strlen(val));
}

void
rec_int(struct rec *r, const char *key, intmax_t val)
{
	char num[24];
	int n;

	n = snprintf(num, sizeof num, "%jd", val);
	assert(n > 0 && (size_t)n < sizeof num);
	rec_strn(r, key, num, (size_t)n);
}

/*
 * Keep the complete fields that fit, within the limit and within the
 * buffer, once " trunc=1" is moved in right after the header.  Only when
 * not even one field fits is the first one cut, never inside an escape.
 */
size_t
rec_finish(struct rec *r, size_t limit, unsigned *cut)
{
	const size_t tl = sizeof TRUNC_FIELD - 1;
	size_t room, keep, i;

	CHECK_REC(r);
	assert(cut != NULL);
	assert(limit > r->hdr_len + tl);

	if (!r->overflow && r->len <= limit) {
		*cut = 0;
		return (r->len);
	}
	*cut = 1;
	room = limit - tl;
	if (room > r->cap - tl)
		room = r->cap - tl;
	keep = r->hdr_len;
	for (i = 0; i < r->nfield && r->field_end[i] <= room; i++)
		keep = r->field_end[i];
	if (keep == r->hdr_len) {
		keep = r->len < room ? r->len : room;
		while (keep > r->hdr_len &&
		    (r->buf[keep - 1] == '%' || r->buf[keep - 2] == '%'))
			keep--;
	}
	memmove(r->buf + r->hdr_len + tl, r->buf + r->hdr_len,
	    keep - r->hdr_len);
	memcpy(r->buf + r->hdr_len, TRUNC_FIELD, tl);
	r->len = keep + tl;
	assert(r->len <= limit && r->len <= r->cap);
	return (r->len);
}
