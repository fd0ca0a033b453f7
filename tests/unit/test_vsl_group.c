/*
 * Unit tests for vsl/vsl_group.c: synthetic log records, fed one by one
 * or in batches and interleaved as varnishd writes them, come out as the
 * groups "varnishlog -g request" shows, each once, in the order the
 * observer relies on; the bounds deliver or drop what never ends, and
 * count it.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "vapi/vsl.h"

#include "vsl/txn.h"
#include "vsl/vsl_group.h"
#include "unit.h"

/* A log in the making: records one after another, batches optional. */
struct log {
	uint32_t w[4096];
	size_t n;
	size_t batch; /* where the open batch's header is, or 0 */
};

static void
rec(struct log *l, enum VSL_tag_e tag, uint32_t vxid, const char *s)
{
	size_t len = strlen(s) + 1;

	CHECK(l->n + 2 + VSL_WORDS(len) < sizeof l->w / sizeof *l->w);
	l->w[l->n] = ((uint32_t)tag << 24) | (uint32_t)len;
	l->w[l->n + 1] = vxid | VSL_CLIENTMARKER;
	memset(&l->w[l->n + 2], 0, VSL_BYTES(VSL_WORDS(len)));
	memcpy(&l->w[l->n + 2], s, len);
	l->n += 2 + VSL_WORDS(len);
}

static void
batch_open(struct log *l)
{
	l->w[l->n] = (uint32_t)SLT__Batch << 24;
	l->batch = l->n + 1; /* never 0: the header is two words */
	l->n += 2;
}

static void
batch_close(struct log *l)
{
	l->w[l->batch] = (uint32_t)VSL_BYTES(l->n - l->batch - 1);
	l->batch = 0;
}

/* Every record (or batch) of l, as VSL_Next() would hand them over. */
static void
feed(struct vsl_group *g, struct log *l)
{
	const uint32_t *p = l->w, *end = l->w + l->n;

	while (p < end) {
		vsl_group_feed(g, p);
		if (VSL_TAG(p) == SLT__Batch)
			p = VSL_END(p, VSL_BATCHLEN(p));
		else
			p = VSL_NEXT(p);
	}
	/* Nothing is kept of the log: wipe it. */
	memset(l->w, 0xa5, sizeof l->w);
	l->n = 0;
}

/* What was delivered, flattened: "1001:/a 1002:/a | 1003:..." */
struct seen {
	char out[1024];
	unsigned groups;
	uint32_t parent[8];
	unsigned ntxn;
};

static void
got(void *priv, const struct txn *const txn[], unsigned n)
{
	struct seen *s = priv;
	size_t l = strlen(s->out);
	unsigned i;

	if (s->groups++ > 0 && l < sizeof s->out / 2)
		l += (size_t)snprintf(s->out + l, sizeof s->out - l, " | ");
	for (i = 0; i < n; i++) {
		if (s->ntxn < 8)
			s->parent[s->ntxn++] = txn[i]->parent;
		/* Many groups are counted, only the first few written. */
		if (l >= sizeof s->out / 2)
			continue;
		l += (size_t)snprintf(s->out + l, sizeof s->out - l,
		    "%s%u%s:%s", i > 0 ? " " : "", txn[i]->vxid,
		    txn[i]->is_bereq ? "b" : "",
		    txn[i]->url != NULL ? txn[i]->url : "-");
	}
}

/* A client request's records, up to (not including) its End. */
static void
req(struct log *l, uint32_t vxid, const char *begin, const char *url)
{
	rec(l, SLT_Begin, vxid, begin);
	rec(l, SLT_ReqMethod, vxid, "GET");
	rec(l, SLT_ReqURL, vxid, url);
	rec(l, SLT_ReqHeader, vxid, "Host: example.com");
	rec(l, SLT_VCL_return, vxid, "lookup");
}

static void
bereq(struct log *l, uint32_t vxid, const char *begin, const char *url)
{
	rec(l, SLT_Begin, vxid, begin);
	rec(l, SLT_BereqURL, vxid, url);
	rec(l, SLT_BerespStatus, vxid, "200");
	rec(l, SLT_BerespHeader, vxid, "xkey: a b");
	rec(l, SLT_TTL, vxid,
	    "RFC 120 10 0 1796621229 1796621229 0 0 cacheable");
}

static void
test_miss(void)
{
	struct seen s = { .out = "" };
	struct vsl_group *g;
	struct log l = { .n = 0 };
	const struct vsl_group_stats *st;

	g = vsl_group_new(&txn_conf_stoke, got, &s);
	/* The session's records are no group's. */
	rec(&l, SLT_Begin, 1000, "sess 0 HTTP/1");
	rec(&l, SLT_Link, 1000, "req 1001 rxreq");
	/* The request is flushed when it waits for its fetch... */
	batch_open(&l);
	req(&l, 1001, "req 1000 rxreq", "/a");
	rec(&l, SLT_VCL_call, 1001, "MISS");
	rec(&l, SLT_Link, 1001, "bereq 1002 fetch");
	batch_close(&l);
	/* ...the fetch ends before it does. */
	bereq(&l, 1002, "bereq 1001 fetch", "/a?b");
	rec(&l, SLT_End, 1002, "");
	feed(g, &l);
	CHECK_INT_EQ(s.groups, 0);
	rec(&l, SLT_RespStatus, 1001, "200");
	rec(&l, SLT_End, 1001, "");
	rec(&l, SLT_End, 1000, "");
	feed(g, &l);
	CHECK_STR_EQ(s.out, "1001:/a 1002b:/a?b");
	/* The root has no parent; a fetch's is its request. */
	CHECK_INT_EQ(s.parent[0], 0);
	CHECK_INT_EQ(s.parent[1], 1001);
	st = vsl_group_stats(g);
	CHECK_INT_EQ(st->groups, 1);
	CHECK_INT_EQ(st->incomplete, 0);
	CHECK_INT_EQ(st->orphans, 0);
	CHECK_INT_EQ(st->held, 0);
	vsl_group_free(&g);
}

/* ESI children and a restart come in link order, after their parent. */
static void
test_esi(void)
{
	struct seen s = { .out = "" };
	struct vsl_group *g;
	struct log l = { .n = 0 };

	g = vsl_group_new(&txn_conf_stoke, got, &s);
	req(&l, 2001, "req 2000 rxreq", "/page");
	rec(&l, SLT_Link, 2001, "req 2003 esi");
	/* The second fragment begins before the first is linked. */
	req(&l, 2004, "req 2001 esi", "/f2");
	req(&l, 2003, "req 2001 esi", "/f1");
	rec(&l, SLT_Link, 2004, "bereq 2005 fetch");
	rec(&l, SLT_End, 2003, "");
	rec(&l, SLT_Link, 2001, "req 2004 esi");
	bereq(&l, 2005, "bereq 2004 fetch", "/f2");
	rec(&l, SLT_End, 2004, "");
	rec(&l, SLT_End, 2001, "");
	feed(g, &l);
	CHECK_INT_EQ(s.groups, 0);
	rec(&l, SLT_End, 2005, "");
	feed(g, &l);
	CHECK_STR_EQ(s.out, "2001:/page 2003:/f1 2004:/f2 2005b:/f2");
	CHECK_INT_EQ(s.parent[2], 2001);
	CHECK_INT_EQ(s.parent[3], 2004);

	/* A restart is part of the request that restarted. */
	memset(&s, 0, sizeof s);
	req(&l, 3001, "req 3000 rxreq", "/old");
	rec(&l, SLT_Link, 3001, "req 3002 restart");
	rec(&l, SLT_End, 3001, "");
	req(&l, 3002, "req 3001 restart", "/new");
	rec(&l, SLT_End, 3002, "");
	feed(g, &l);
	CHECK_STR_EQ(s.out, "3001:/old 3002:/new");
	CHECK_INT_EQ(vsl_group_stats(g)->held, 0);
	vsl_group_free(&g);
}

/* Joined mid-request: what has no beginning is counted, not delivered. */
static void
test_orphans(void)
{
	struct seen s = { .out = "" };
	struct vsl_group *g;
	struct log l = { .n = 0 };
	const struct vsl_group_stats *st;

	g = vsl_group_new(&txn_conf_stoke, got, &s);
	rec(&l, SLT_ReqURL, 4001, "/lost");
	rec(&l, SLT_End, 4001, "");
	bereq(&l, 4003, "bereq 4002 fetch", "/half");
	rec(&l, SLT_End, 4003, "");
	rec(&l, SLT_ReqURL, 4002, "/half");
	rec(&l, SLT_End, 4002, "");
	/* Not a record of a transaction, and nonsense. */
	rec(&l, SLT_Debug, 0, "cli");
	rec(&l, SLT_Begin, 4010, "nonsense");
	rec(&l, SLT_Begin, 4011, "req x rxreq");
	feed(g, &l);
	st = vsl_group_stats(g);
	CHECK_INT_EQ(s.groups, 0);
	CHECK_INT_EQ(st->orphans, 2);
	CHECK_INT_EQ(st->held, 0);
	vsl_group_free(&g);
}

/* Open too long, too many open, the log lost or gone. */
static void
test_bounds(void)
{
	struct seen s = { .out = "" };
	struct vsl_group *g;
	struct log l = { .n = 0 };
	const struct vsl_group_stats *st;
	char b[32];
	unsigned i;

	g = vsl_group_new(&txn_conf_stoke, got, &s);
	st = vsl_group_stats(g);
	vsl_group_tick(g, 10.);
	req(&l, 5001, "req 5000 rxreq", "/slow");
	rec(&l, SLT_Link, 5001, "bereq 5002 fetch");
	feed(g, &l);
	vsl_group_tick(g, 10. + VSL_GROUP_TIMEOUT);
	CHECK_INT_EQ(s.groups, 0);
	vsl_group_tick(g, 11. + VSL_GROUP_TIMEOUT);
	CHECK_STR_EQ(s.out, "5001:/slow");
	CHECK_INT_EQ(st->incomplete, 1);
	CHECK_INT_EQ(st->orphans, 1); /* its fetch never began */
	/* Its End, late, is no one's. */
	rec(&l, SLT_End, 5001, "");
	feed(g, &l);
	CHECK_INT_EQ(s.groups, 1);

	/* One too many open: the oldest goes as it is. */
	memset(&s, 0, sizeof s);
	for (i = 0; i <= VSL_GROUP_MAX_TXN; i++) {
		bprintf(b, "req %u rxreq", 6000 + 2 * i);
		rec(&l, SLT_Begin, 6001 + 2 * i, b);
		feed(g, &l);
	}
	CHECK_INT_EQ(s.groups, 1);
	CHECK_INT_EQ(st->incomplete, 2);
	CHECK_INT_EQ(st->held, VSL_GROUP_MAX_TXN);
	/* Flushed, all are delivered; dropped, none are. */
	vsl_group_flush(g);
	CHECK_INT_EQ(s.groups, VSL_GROUP_MAX_TXN + 1);
	CHECK_INT_EQ(st->held, 0);
	req(&l, 7001, "req 7000 rxreq", "/gone");
	feed(g, &l);
	vsl_group_drop(g);
	CHECK_INT_EQ(s.groups, VSL_GROUP_MAX_TXN + 1);
	CHECK_INT_EQ(st->orphans, 2);
	CHECK_INT_EQ(st->held, 0);
	vsl_group_free(&g);
}

/* The headers of the long request below, checked as delivered. */
static void
got_long(void *priv, const struct txn *const txn[], unsigned n)
{
	unsigned *ok = priv;
	const struct txn *t;

	CHECK_INT_EQ(n, 1);
	t = txn[0];
	CHECK_STR_EQ(t->url, "/long");
	CHECK_STR_EQ(t->host, "example.com");
	CHECK_INT_EQ(t->nreqhdr, 41);
	CHECK_STR_EQ(t->reqhdr_name[40], "X-H39");
	CHECK_INT_EQ(strlen(t->reqhdr_val[40]), 150);
	CHECK_INT_EQ(strspn(t->reqhdr_val[40], "x"), 150);
	*ok = 1;
}

/*
 * Strings are copied when read (feed() wipes the log behind it), and a
 * transaction larger than its first chunk of strings is kept whole.
 */
static void
test_strings(void)
{
	struct vsl_group *g;
	struct log l = { .n = 0 };
	char x[151], h[200];
	unsigned i, ok = 0;

	g = vsl_group_new(&txn_conf_stoke, got_long, &ok);
	req(&l, 8001, "req 8000 rxreq", "/long");
	feed(g, &l);
	memset(x, 'x', sizeof x - 1);
	x[sizeof x - 1] = '\0';
	for (i = 0; i < 40; i++) {
		bprintf(h, "X-H%u: %s", i, x);
		rec(&l, SLT_ReqHeader, 8001, h);
		feed(g, &l);
	}
	rec(&l, SLT_End, 8001, "");
	feed(g, &l);
	CHECK(ok);
	CHECK_INT_EQ(vsl_group_stats(g)->arena_overflows, 0);
	vsl_group_free(&g);
}

/* What a request and its fetch are parsed to, checked as delivered. */
static void
got_fields(void *priv, const struct txn *const txn[], unsigned n)
{
	unsigned *ok = priv;
	const struct txn *t, *b;

	CHECK_INT_EQ(n, 2);
	t = txn[0];
	b = txn[1];
	CHECK_INT_EQ(t->handling, TXN_HIT);
	CHECK_INT_EQ(t->status, 200);
	CHECK(t->t_resp > 1796621229.12 && t->t_resp < 1796621229.13);
	/* Set, set again in another case, unset, set anew. */
	CHECK_STR_EQ(t->host, "b.example");
	CHECK_INT_EQ(t->nreqhdr, 2);
	CHECK_STR_EQ(t->reqhdr_name[0], "Host");
	CHECK_STR_EQ(t->reqhdr_val[0], "b.example");
	CHECK_STR_EQ(t->reqhdr_name[1], "X-Dev");
	CHECK_STR_EQ(t->reqhdr_val[1], "tablet");
	/* A hit's tags, whatever the case of their headers. */
	CHECK_STR_EQ(t->tags, "t1 t2");

	CHECK(b->is_bereq);
	CHECK_STR_EQ(b->tags, "p1");
	CHECK_STR_EQ(b->vary, "Accept");
	CHECK_STR_EQ(b->cache_control, "max-age=60");
	CHECK_INT_EQ(b->set_cookie, 1);
	CHECK_INT_EQ(b->fetch_failed, 1);
	CHECK_INT_EQ(b->nhdr, 2);
	CHECK_STR_EQ(b->hdr_name[0], "X-Url");
	CHECK_STR_EQ(b->hdr_val[0], "/v");
	CHECK_STR_EQ(b->hdr_name[1], "CACHE-CONTROL");
	CHECK(
	    b->t_beresp - b->t_start > 0.24 && b->t_beresp - b->t_start < 0.26);
	*ok = 1;
}

/* A miss reads no answer headers: they are its own, not an object's. */
static void
got_miss(void *priv, const struct txn *const txn[], unsigned n)
{
	unsigned *ok = priv;

	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(txn[0]->handling, TXN_MISS);
	CHECK(txn[0]->tags == NULL);
	*ok = 1;
}

/* Headers told apart by name in any case, timestamps, VCL's words. */
static void
test_fields(void)
{
	struct vsl_group *g;
	struct log l = { .n = 0 };
	unsigned ok = 0;

	g = vsl_group_new(&txn_conf_stoke, got_fields, &ok);
	rec(&l, SLT_Begin, 9001, "req 9000 rxreq");
	rec(&l, SLT_Timestamp, 9001, "Start: 1796621229.000000 0.000 0.000");
	rec(&l, SLT_ReqURL, 9001, "/f");
	rec(&l, SLT_ReqHeader, 9001, "Host: a.example");
	rec(&l, SLT_ReqHeader, 9001, "X-Dev:   phone  ");
	rec(&l, SLT_ReqHeader, 9001, "HOST: b.example");
	rec(&l, SLT_ReqUnset, 9001, "x-dev: phone");
	rec(&l, SLT_ReqHeader, 9001, "X-Dev: tablet");
	rec(&l, SLT_VCL_call, 9001, "RECV");
	rec(&l, SLT_VCL_return, 9001, "lookup");
	rec(&l, SLT_VCL_call, 9001, "HIT");
	rec(&l, SLT_Hit, 9001, "9002 119.977 10.000 0.000");
	rec(&l, SLT_Link, 9001, "bereq 9002 bgfetch");
	rec(&l, SLT_RespStatus, 9001, "200");
	rec(&l, SLT_RespHeader, 9001, "XKey: t1");
	rec(&l, SLT_RespHeader, 9001, "Content-Length: 6");
	rec(&l, SLT_RespHeader, 9001, "x-cache-TAGS: t2");
	rec(&l, SLT_Timestamp, 9001, "Resp: 1796621229.125000 0.1 0.1");
	rec(&l, SLT_End, 9001, "");
	rec(&l, SLT_Begin, 9002, "bereq 9001 bgfetch");
	rec(&l, SLT_Timestamp, 9002, "Start: 1796621229.000000 0.000 0.000");
	rec(&l, SLT_BereqURL, 9002, "/f");
	rec(&l, SLT_Timestamp, 9002, "Beresp: 1796621229.250000 0.25 0.25");
	rec(&l, SLT_BerespHeader, 9002, "Vary: Accept");
	rec(&l, SLT_BerespHeader, 9002, "X-Url: /u");
	rec(&l, SLT_BerespHeader, 9002, "Content-Type: text/html");
	rec(&l, SLT_BerespHeader, 9002, "CACHE-CONTROL: max-age=60");
	rec(&l, SLT_BerespHeader, 9002, "Set-Cookie: a=b");
	rec(&l, SLT_BerespHeader, 9002, "xkey: p1");
	rec(&l, SLT_BerespHeader, 9002, "x-url: /v");
	rec(&l, SLT_BerespUnset, 9002, "content-type: text/html");
	rec(&l, SLT_VCL_call, 9002, "BACKEND_ERROR");
	rec(&l, SLT_End, 9002, "");
	feed(g, &l);
	CHECK(ok);
	vsl_group_free(&g);

	ok = 0;
	g = vsl_group_new(&txn_conf_stoke, got_miss, &ok);
	rec(&l, SLT_Begin, 9101, "req 9100 rxreq");
	rec(&l, SLT_VCL_call, 9101, "HIT");
	rec(&l, SLT_VCL_call, 9101, "MISS");
	rec(&l, SLT_RespHeader, 9101, "xkey: t1");
	rec(&l, SLT_End, 9101, "");
	feed(g, &l);
	CHECK(ok);
	vsl_group_free(&g);
}

/* Six xkey headers of 8 kB each: every tag kept, none dropped. */
static void
got_tags(void *priv, const struct txn *const txn[], unsigned n)
{
	size_t *len = priv;

	CHECK_INT_EQ(n, 2);
	CHECK(txn[1]->is_bereq);
	AN(txn[1]->tags);
	*len = strlen(txn[1]->tags);
}

static void
test_big_tags(void)
{
	struct vsl_group *g;
	struct log l = { .n = 0 };
	char h[8200];
	size_t got_len = 0, off;
	unsigned i, k;

	g = vsl_group_new(&txn_conf_stoke, got_tags, &got_len);
	req(&l, 9001, "req 9000 rxreq", "/t");
	rec(&l, SLT_VCL_call, 9001, "MISS");
	rec(&l, SLT_Link, 9001, "bereq 9002 fetch");
	rec(&l, SLT_Begin, 9002, "bereq 9001 fetch");
	rec(&l, SLT_BereqURL, 9002, "/t");
	rec(&l, SLT_BerespStatus, 9002, "200");
	feed(g, &l);
	for (i = 0; i < 6; i++) {
		/* "xkey: " and 1,000 tags of 7 bytes and a space each. */
		off = (size_t)snprintf(h, sizeof h, "xkey: ");
		for (k = 0; k < 1000; k++)
			off += (size_t)snprintf(h + off, sizeof h - off,
			    "%s%c%06u", k > 0 ? " " : "", 'a' + (char)i, k);
		rec(&l, SLT_BerespHeader, 9002, h);
		feed(g, &l);
	}
	rec(&l, SLT_End, 9002, "");
	rec(&l, SLT_RespStatus, 9001, "200");
	rec(&l, SLT_End, 9001, "");
	feed(g, &l);
	/* 6,000 tags of 7 bytes, a space between each two. */
	CHECK_INT_EQ(got_len, 6000 * 7 + 5999);
	CHECK_INT_EQ(vsl_group_stats(g)->arena_overflows, 0);
	vsl_group_free(&g);
}

/*
 * A batch whose last record says it is longer than the batch (torn by
 * varnishd's next lap): read up to there, never past the batch's end.
 * The batch is copied to a buffer of its own size, for ASan to see.
 */
static void
test_torn_batch(void)
{
	struct seen s = { .out = "" };
	struct vsl_group *g;
	struct log l = { .n = 0 };
	uint32_t *copy;
	size_t last;

	g = vsl_group_new(&txn_conf_stoke, got, &s);
	batch_open(&l);
	req(&l, 9101, "req 9100 rxreq", "/torn");
	last = l.n;
	rec(&l, SLT_ReqHeader, 9101, "X-A: b");
	batch_close(&l);
	/* The last record claims 60 kB, and its text has no end. */
	l.w[last] = ((uint32_t)SLT_ReqHeader << 24) | 60000U;
	memset(&l.w[last + 2], 'x', 2 * sizeof *l.w);
	copy = malloc(l.n * sizeof *copy);
	AN(copy);
	memcpy(copy, l.w, l.n * sizeof *copy);
	vsl_group_feed(g, copy);
	free(copy);
	l.n = 0;
	rec(&l, SLT_End, 9101, "");
	feed(g, &l);
	CHECK_STR_EQ(s.out, "9101:/torn");
	vsl_group_free(&g);
}

int
main(void)
{
	test_miss();
	test_esi();
	test_orphans();
	test_bounds();
	test_strings();
	test_fields();
	test_big_tags();
	test_torn_batch();
	return (unit_done());
}
