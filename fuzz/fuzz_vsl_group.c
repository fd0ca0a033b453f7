/*
 * Varnish's log as stoked reads it (vsl/vsl_group.c, vsl/txn.c): the
 * input's bytes are a run of records and batches, as a cursor hands
 * them over.  Each one handed over fits in the log, as VSL_Next()
 * promises; inside a batch, anything goes, as in a batch that varnishd
 * was overwriting while it was read.  Whatever groups come out, their
 * strings are read to the end.  A byte of the input picks whether the
 * rest is flushed or dropped, and the clock moves by its records, so
 * that the bounds on time and on transactions held are reached too.
 */

#include "config.h"

#include <stdio.h>

#include "vdef.h"
#include "vas.h"
#include "vapi/vsl.h"

#include "vsl/txn.h"
#include "vsl/vsl_group.h"

#include "fuzz/fuzz.h"

static size_t
touch(const char *s)
{
	return (s != NULL ? strlen(s) : 0);
}

static void
got(void *priv, const struct txn *const txn[], unsigned n)
{
	size_t *sum = priv;
	const struct txn *t;
	unsigned i, u;

	for (i = 0; i < n; i++) {
		t = txn[i];
		*sum += touch(t->url) + touch(t->host) + touch(t->tags) +
		    touch(t->vary) + touch(t->cache_control);
		for (u = 0; u < t->nreqhdr; u++)
			*sum +=
			    touch(t->reqhdr_name[u]) + touch(t->reqhdr_val[u]);
		for (u = 0; u < t->nhdr; u++)
			*sum += touch(t->hdr_name[u]) + touch(t->hdr_val[u]);
	}
}

/* How many words the record or batch at p takes. */
static size_t
words_of(const uint32_t *p)
{
	if (VSL_TAG(p) == SLT__Batch)
		return ((size_t)(VSL_END(p, VSL_BATCHLEN(p)) - p));
	return ((size_t)(VSL_NEXT(p) - p));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsl_group *g;
	uint32_t *w, *rec;
	size_t n, i, k, sum = 0;
	int drop;

	if (size < 1)
		return (0);
	drop = data[0] & 1;
	data++;
	size--;
	n = size / sizeof *w;
	if (n < 2)
		return (0);
	/* Exactly the input's size: a read past it is ASan's. */
	w = malloc(n * sizeof *w);
	AN(w);
	memcpy(w, data, n * sizeof *w);
	g = vsl_group_new(&txn_conf_stoke, got, &sum);
	AN(g);
	for (i = 0; n - i >= 2; i += k) {
		rec = w + i;
		k = words_of(rec);
		if (k > n - i)
			break; /* the cursor hands over only what is there */
		vsl_group_feed(g, rec);
		vsl_group_tick(g, (double)i);
	}
	if (drop)
		vsl_group_drop(g);
	else
		vsl_group_flush(g);
	AZ(vsl_group_stats(g)->held);
	vsl_group_free(&g);
	free(w);
	return (sum == (size_t)-1);
}
