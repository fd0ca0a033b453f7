/*
 * Unit tests for cache_index.c: put/get/update, variants of a URL, tags
 * and their interning, ESI links, removal from inside iterations, the
 * popularity decay, eviction under a budget, expiry, header lookup, and
 * 100k random operations checked against a simple reference model.
 * Time is a fake clock throughout.
 */

#include "config.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "index/cache_index.h"
#include "unit.h"

#define HL 3600.

static struct ci_attrs
attrs(double t, double ttl, double grace, double keep)
{
	struct ci_attrs a;

	memset(&a, 0, sizeof a);
	a.t_origin = t;
	a.ttl = ttl;
	a.grace = grace;
	a.keep = keep;
	a.size = 1234;
	a.status = 200;
	a.vxid = 42;
	return (a);
}

/* Collect what an iteration hands out. */
struct seen {
	struct ci_obj *o[64];
	unsigned n;
};

static int
collect(void *priv, struct ci_obj *o)
{
	struct seen *s = priv;

	if (s->n < 64)
		s->o[s->n] = o;
	s->n++;
	return (0);
}

static int
has(const struct seen *s, const struct ci_obj *o)
{
	unsigned u;

	for (u = 0; u < s->n && u < 64; u++)
		if (s->o[u] == o)
			return (1);
	return (0);
}

static void
test_put_get(void)
{
	struct cache_index *ci;
	struct ci_obj *o, *o2;
	struct ci_attrs a, b;

	ci = ci_new(0, HL);
	if (!CHECK(ci != NULL))
		return;
	CHECK_INT_EQ(ci_count(ci), 0);
	CHECK(ci_get(ci, "h", "/", NULL) == NULL);

	a = attrs(1000., 120.5, 10., 3600.);
	o = ci_put(ci, "h", "/a?x=1", NULL, &a, NULL, 0, NULL, 1000.);
	if (!CHECK(o != NULL))
		return;
	CHECK_INT_EQ(ci_count(ci), 1);
	CHECK(ci_get(ci, "h", "/a?x=1", NULL) == o);
	CHECK(ci_get(ci, "h", "/a?x=1", "") == o);
	CHECK(ci_get(ci, "h", "/a?x=2", NULL) == NULL);
	CHECK(ci_get(ci, "g", "/a?x=1", NULL) == NULL);
	CHECK(ci_get(ci, "h", "/a?x=1", "encoding=gzip") == NULL);
	CHECK_STR_EQ(ci_host(o), "h");
	CHECK_STR_EQ(ci_url(o), "/a?x=1");
	CHECK_STR_EQ(ci_variant(o), "");
	b = ci_attrs(o);
	CHECK(b.t_origin == 1000.);
	CHECK(b.ttl == 120.5);
	CHECK(b.grace == 10.);
	CHECK(b.keep == 3600.);
	CHECK_INT_EQ(b.size, 1234);
	CHECK_INT_EQ(b.status, 200);
	CHECK_INT_EQ(b.vxid, 42);
	CHECK(ci_expires(o) == 1000. + 120.5 + 10. + 3600.);
	CHECK_INT_EQ(ci_hits(o), 0);
	CHECK(ci_last_hit(o) == 1000.);
	CHECK_INT_EQ(ci_ntags(o), 0);
	CHECK(ci_hdr(o, "x-url") == NULL);

	/* An update changes attributes in place, keeps popularity. */
	ci_hit(ci, o, 1000.);
	a = attrs(2000., 60., 0., 0.);
	a.status = 404;
	a.size = 7;
	a.vxid = 0x100000001ULL;
	o2 = ci_put(ci, "h", "/a?x=1", "", &a, NULL, 0, NULL, 2000.);
	CHECK(o2 == o);
	CHECK_INT_EQ(ci_count(ci), 1);
	b = ci_attrs(o);
	CHECK(b.t_origin == 2000.);
	CHECK(b.ttl == 60.);
	CHECK_INT_EQ(b.status, 404);
	CHECK_INT_EQ(b.size, 7);
	CHECK_INT_EQ(b.vxid, 0x100000001ULL);
	CHECK_INT_EQ(ci_hits(o), 1);
	CHECK(ci_popularity(ci, o, 1000.) == 2.);

	/* Empty host and URL are keys like any other. */
	o2 = ci_put(ci, "", "", "", &a, NULL, 0, NULL, 2000.);
	CHECK(o2 != NULL && o2 != o);
	CHECK(ci_get(ci, "", "", NULL) == o2);
	CHECK_STR_EQ(ci_url(o2), "");
	ci_remove(ci, o2);

	ci_remove(ci, o);
	CHECK_INT_EQ(ci_count(ci), 0);
	CHECK(ci_get(ci, "h", "/a?x=1", NULL) == NULL);
	ci_free(&ci);
	CHECK(ci == NULL);
}

static int
remove_cb(void *priv, struct ci_obj *o)
{
	struct cache_index *ci = priv;

	ci_remove(ci, o);
	return (0);
}

static void
test_variants(void)
{
	struct cache_index *ci;
	struct ci_obj *v1, *v2, *v3, *other, *b;
	struct ci_attrs a = attrs(0., 100., 0., 0.);
	struct seen s;

	ci = ci_new(0, HL);
	v1 = ci_put(ci, "h", "/a", "", &a, NULL, 0, NULL, 0.);
	v2 = ci_put(ci, "h", "/a", "encoding=gzip", &a, NULL, 0, NULL, 0.);
	v3 = ci_put(ci, "h", "/a", "currency=EUR&encoding=gzip", &a, NULL, 0,
	    NULL, 0.);
	other = ci_put(ci, "g", "/a", "encoding=gzip", &a, NULL, 0, NULL, 0.);
	b = ci_put(ci, "h", "/b", "encoding=gzip", &a, NULL, 0, NULL, 0.);
	CHECK_INT_EQ(ci_count(ci), 5);
	CHECK(ci_get(ci, "h", "/a", "encoding=gzip") == v2);
	CHECK(ci_get(ci, "h", "/a", "currency=EUR&encoding=gzip") == v3);
	CHECK_STR_EQ(ci_variant(v3), "currency=EUR&encoding=gzip");

	memset(&s, 0, sizeof s);
	CHECK_INT_EQ(ci_foreach_url(ci, "h", "/a", collect, &s), 0);
	CHECK_INT_EQ(s.n, 3);
	CHECK(has(&s, v1) && has(&s, v2) && has(&s, v3));
	memset(&s, 0, sizeof s);
	(void)ci_foreach_url(ci, "h", "/c", collect, &s);
	CHECK_INT_EQ(s.n, 0);

	/* A purge: every variant goes, nothing else. */
	CHECK_INT_EQ(ci_foreach_url(ci, "h", "/a", remove_cb, ci), 0);
	CHECK_INT_EQ(ci_count(ci), 2);
	CHECK(ci_get(ci, "h", "/a", "") == NULL);
	CHECK(ci_get(ci, "h", "/a", "encoding=gzip") == NULL);
	CHECK(ci_get(ci, "g", "/a", "encoding=gzip") == other);
	CHECK(ci_get(ci, "h", "/b", "encoding=gzip") == b);
	ci_free(&ci);
}

static void
test_tags(void)
{
	static const char *const t1[] = { "product-1", "cat-2", "all" };
	static const char *const t2[] = { "cat-2", "cat-3", "cat-3", "" };
	static const char *const t3[] = { "all", "cat-3" };
	struct cache_index *ci;
	struct ci_obj *o, *p;
	struct ci_attrs a = attrs(0., 100., 0., 0.);
	struct seen s;
	size_t b0;

	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	o = ci_put(ci, "h", "/p/1", NULL, &a, t1, 3, NULL, 0.);
	p = ci_put(ci, "h", "/p/2", NULL, &a, t3, 2, NULL, 0.);
	CHECK_INT_EQ(ci_ntags_distinct(ci), 4);
	CHECK_INT_EQ(ci_ntags(o), 3);
	CHECK_STR_EQ(ci_tag(ci, o, 0), "product-1");
	CHECK_STR_EQ(ci_tag(ci, o, 2), "all");
	CHECK_INT_EQ(ci_tag_count(ci, "all"), 2);
	CHECK_INT_EQ(ci_tag_count(ci, "product-1"), 1);
	CHECK_INT_EQ(ci_tag_count(ci, "nope"), 0);

	memset(&s, 0, sizeof s);
	(void)ci_foreach_tag(ci, "all", collect, &s);
	CHECK_INT_EQ(s.n, 2);
	CHECK(has(&s, o) && has(&s, p));
	memset(&s, 0, sizeof s);
	(void)ci_foreach_tag(ci, "nope", collect, &s);
	CHECK_INT_EQ(s.n, 0);

	/* New tags replace the old: duplicates and "" are ignored. */
	CHECK(ci_put(ci, "h", "/p/1", NULL, &a, t2, 4, NULL, 1.) == o);
	CHECK_INT_EQ(ci_ntags(o), 2);
	CHECK_STR_EQ(ci_tag(ci, o, 0), "cat-2");
	CHECK_STR_EQ(ci_tag(ci, o, 1), "cat-3");
	CHECK_INT_EQ(ci_tag_count(ci, "product-1"), 0);
	CHECK_INT_EQ(ci_tag_count(ci, "all"), 1);
	CHECK_INT_EQ(ci_tag_count(ci, "cat-3"), 2);
	/* product-1 had no one else: its interned copy is gone. */
	CHECK_INT_EQ(ci_ntags_distinct(ci), 3);
	memset(&s, 0, sizeof s);
	(void)ci_foreach_tag(ci, "product-1", collect, &s);
	CHECK_INT_EQ(s.n, 0);
	memset(&s, 0, sizeof s);
	(void)ci_foreach_tag(ci, "cat-3", collect, &s);
	CHECK(s.n == 2 && has(&s, o) && has(&s, p));

	/* Same tags again, in another order: nothing changes. */
	CHECK(ci_put(ci, "h", "/p/2", NULL, &a,
	          (const char *const[]){ "cat-3", "all" }, 2, NULL, 2.) == p);
	CHECK_INT_EQ(ci_tag_count(ci, "all"), 1);
	CHECK_INT_EQ(ci_tag_count(ci, "cat-3"), 2);
	CHECK_STR_EQ(ci_tag(ci, p, 0), "cat-3");

	/* Dropping all tags. */
	CHECK(ci_put(ci, "h", "/p/2", NULL, &a, NULL, 0, NULL, 2.) == p);
	CHECK_INT_EQ(ci_ntags(p), 0);
	CHECK_INT_EQ(ci_tag_count(ci, "all"), 0);
	CHECK_INT_EQ(ci_ntags_distinct(ci), 2);

	ci_remove(ci, o);
	ci_remove(ci, p);
	CHECK_INT_EQ(ci_ntags_distinct(ci), 0);
	CHECK_INT_EQ(ci_bytes(ci), b0);
	ci_free(&ci);
}

static void
test_too_many_tags(void)
{
	struct cache_index *ci;
	struct ci_attrs a = attrs(0., 100., 0., 0.);
	const char **tags;
	char(*names)[16];
	size_t b0;
	unsigned u, n = CI_MAX_TAGS + 1;

	ci = ci_new(0, HL);
	tags = calloc(n, sizeof *tags);
	names = calloc(n, sizeof *names);
	if (!CHECK(tags != NULL && names != NULL))
		return;
	for (u = 0; u < n; u++) {
		snprintf(names[u], sizeof names[u], "t%u", u);
		tags[u] = names[u];
	}
	(void)ci_put(ci, "h", "/keep", NULL, &a, tags, 1, NULL, 0.);
	b0 = ci_bytes(ci);
	errno = 0;
	CHECK(ci_put(ci, "h", "/x", NULL, &a, tags, n, NULL, 0.) == NULL);
	CHECK_INT_EQ(errno, E2BIG);
	/*
	 * Unchanged: the tags interned on the way were freed again (the
	 * tag id array and uthash's buckets keep their size, though).
	 */
	CHECK_INT_EQ(ci_count(ci), 1);
	CHECK_INT_EQ(ci_ntags_distinct(ci), 1);
	CHECK(ci_get(ci, "h", "/x", NULL) == NULL);
	CHECK(ci_bytes(ci) >= b0);
	/* The most allowed works, and uses a heap scratch array. */
	CHECK(ci_put(ci, "h", "/x", NULL, &a, tags, n - 1, NULL, 0.) != NULL);
	CHECK_INT_EQ(ci_ntags_distinct(ci), n - 1);
	CHECK_INT_EQ(ci_tag_count(ci, "t0"), 2);
	free(tags);
	free(names);
	ci_free(&ci);
}

static void
test_headers(void)
{
	static const char *const h1[] = { "X-Url", "/p?x=1", "x-host",
		"example.com", "", "ignored", "Content-Type", "", NULL };
	static const char *const h2[] = { "x-url", "/q", NULL };
	static const char *const tg[] = { "a" };
	struct cache_index *ci;
	struct ci_obj *o;
	struct ci_attrs a = attrs(0., 100., 0., 0.);
	size_t b0;

	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	o = ci_put(ci, "h", "/p?x=1", NULL, &a, tg, 1, h1, 0.);
	CHECK_STR_EQ(ci_hdr(o, "x-url"), "/p?x=1");
	CHECK_STR_EQ(ci_hdr(o, "X-URL"), "/p?x=1");
	CHECK_STR_EQ(ci_hdr(o, "X-Host"), "example.com");
	CHECK_STR_EQ(ci_hdr(o, "content-type"), "");
	CHECK(ci_hdr(o, "x-ur") == NULL);
	CHECK(ci_hdr(o, "") == NULL);
	CHECK(ci_hdr(o, "ignored") == NULL);
	CHECK_STR_EQ(ci_tag(ci, o, 0), "a");

	/* Headers are replaced too. */
	(void)ci_put(ci, "h", "/p?x=1", NULL, &a, tg, 1, h2, 0.);
	CHECK_STR_EQ(ci_hdr(o, "X-Url"), "/q");
	CHECK(ci_hdr(o, "x-host") == NULL);
	(void)ci_put(ci, "h", "/p?x=1", NULL, &a, NULL, 0, h2, 0.);
	CHECK_STR_EQ(ci_hdr(o, "X-Url"), "/q");
	CHECK_INT_EQ(ci_ntags(o), 0);
	(void)ci_put(ci, "h", "/p?x=1", NULL, &a, tg, 1, NULL, 0.);
	CHECK(ci_hdr(o, "X-Url") == NULL);
	CHECK_INT_EQ(ci_key_bytes(ci), strlen("h/p?x=1") + 3);
	ci_remove(ci, o);
	CHECK_INT_EQ(ci_bytes(ci), b0);
	CHECK_INT_EQ(ci_key_bytes(ci), 0);
	ci_free(&ci);
}

/*
 * Tags and headers live inside the object's allocation; an update that
 * does not fit there moves them out, and back in when it fits again.
 */
static void
test_spill(void)
{
	static const char *const many[] = { "t0", "t1", "t2", "t3", "t4", "t5",
		"t6", "t7", "t8", "t9" };
	static const char *const big[] = { "x-url",
		"/a/rather/long/url/to/make/the/headers/not/fit?x=1&y=2",
		"x-host", "www.example.com", NULL };
	static const char *const small[] = { "x-url", "/s", NULL };
	struct cache_index *ci;
	struct ci_obj *o, *p;
	struct ci_attrs a = attrs(0., 100., 0., 0.);
	size_t b0, b1;

	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	o = ci_put(ci, "h", "/s", NULL, &a, NULL, 0, NULL, 0.);
	p = ci_put(ci, "h", "/t", NULL, &a, many, 2, NULL, 0.);
	b1 = ci_bytes(ci);
	CHECK(ci_put(ci, "h", "/s", NULL, &a, many, 10, big, 0.) == o);
	CHECK(ci_bytes(ci) > b1);
	CHECK_INT_EQ(ci_ntags(o), 10);
	CHECK_STR_EQ(ci_tag(ci, o, 9), "t9");
	CHECK_STR_EQ(ci_hdr(o, "x-host"), "www.example.com");
	CHECK_STR_EQ(ci_url(o), "/s");
	CHECK_INT_EQ(ci_tag_count(ci, "t1"), 2);
	/* p moves in t0's and t1's member arrays: o's positions hold. */
	ci_remove(ci, p);
	CHECK_INT_EQ(ci_tag_count(ci, "t1"), 1);
	p = ci_put(ci, "h", "/t", NULL, &a, many, 2, NULL, 0.);
	/* Bigger again while spilled. */
	CHECK(ci_put(ci, "h", "/s", NULL, &a, many, 10,
	          (const char *const[]){ "x-url", big[1], "x-host", big[3],
	              "x-more", big[1], NULL },
	          0.) == o);
	CHECK_STR_EQ(ci_hdr(o, "X-More"), big[1]);
	/* Back to fitting: the same footprint as before. */
	CHECK(ci_put(ci, "h", "/s", NULL, &a, NULL, 0, NULL, 0.) == o);
	CHECK_INT_EQ(ci_bytes(ci), b1);
	CHECK_INT_EQ(ci_ntags(o), 0);
	CHECK(ci_hdr(o, "x-url") == NULL);
	CHECK(ci_put(ci, "h", "/s", NULL, &a, many + 1, 1, small, 0.) == o);
	CHECK_STR_EQ(ci_hdr(o, "x-url"), "/s");
	CHECK_STR_EQ(ci_tag(ci, o, 0), "t1");
	/* Removed while spilled. */
	CHECK(ci_put(ci, "h", "/s", NULL, &a, many, 10, big, 0.) == o);
	ci_remove(ci, o);
	ci_remove(ci, p);
	CHECK_INT_EQ(ci_bytes(ci), b0);
	CHECK_INT_EQ(ci_key_bytes(ci), 0);
	CHECK_INT_EQ(ci_ntags_distinct(ci), 0);
	/* And freed while spilled. */
	o = ci_put(ci, "h", "/s", NULL, &a, NULL, 0, NULL, 0.);
	CHECK(ci_put(ci, "h", "/s", NULL, &a, many, 10, big, 0.) == o);
	ci_free(&ci);
}

struct esi_rm {
	struct cache_index *ci;
	struct ci_obj *victim;
	unsigned n;
};

static int
esi_rm_cb(void *priv, struct ci_obj *o)
{
	struct esi_rm *r = priv;

	r->n++;
	if (r->victim != NULL) {
		ci_remove(r->ci, r->victim);
		r->victim = NULL;
	}
	return (0);
}

static void
test_esi(void)
{
	struct cache_index *ci;
	struct ci_obj *p1, *p2, *c1, *c2;
	struct ci_attrs a = attrs(0., 100., 0., 0.);
	struct esi_rm rm;
	struct seen s;
	size_t b0;

	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	p1 = ci_put(ci, "h", "/p1", NULL, &a, NULL, 0, NULL, 0.);
	p2 = ci_put(ci, "h", "/p2", NULL, &a, NULL, 0, NULL, 0.);
	c1 = ci_put(ci, "h", "/esi/header", NULL, &a, NULL, 0, NULL, 0.);
	c2 = ci_put(ci, "h", "/esi/footer", NULL, &a, NULL, 0, NULL, 0.);
	CHECK_INT_EQ(ci_link_esi(ci, p1, c1), 1);
	CHECK_INT_EQ(ci_link_esi(ci, p1, c2), 1);
	CHECK_INT_EQ(ci_link_esi(ci, p2, c1), 1);
	CHECK_INT_EQ(ci_link_esi(ci, p1, c1), 0);
	CHECK_INT_EQ(ci_link_esi(ci, p2, c1), 0);
	errno = 0;
	CHECK_INT_EQ(ci_link_esi(ci, p1, p1), -1);
	CHECK_INT_EQ(errno, EINVAL);

	memset(&s, 0, sizeof s);
	(void)ci_foreach_child(ci, p1, collect, &s);
	CHECK(s.n == 2 && has(&s, c1) && has(&s, c2));
	memset(&s, 0, sizeof s);
	(void)ci_foreach_parent(ci, c1, collect, &s);
	CHECK(s.n == 2 && has(&s, p1) && has(&s, p2));
	memset(&s, 0, sizeof s);
	(void)ci_foreach_parent(ci, p1, collect, &s);
	CHECK_INT_EQ(s.n, 0);
	memset(&s, 0, sizeof s);
	(void)ci_foreach_child(ci, c1, collect, &s);
	CHECK_INT_EQ(s.n, 0);

	/* Removing a parent drops its links from the children. */
	ci_remove(ci, p1);
	memset(&s, 0, sizeof s);
	(void)ci_foreach_parent(ci, c1, collect, &s);
	CHECK(s.n == 1 && has(&s, p2));
	memset(&s, 0, sizeof s);
	(void)ci_foreach_parent(ci, c2, collect, &s);
	CHECK_INT_EQ(s.n, 0);

	/* Removing a child drops it from the parents. */
	ci_remove(ci, c1);
	memset(&s, 0, sizeof s);
	(void)ci_foreach_child(ci, p2, collect, &s);
	CHECK_INT_EQ(s.n, 0);

	/* A refetched parent forgets its children. */
	c1 = ci_put(ci, "h", "/esi/header", NULL, &a, NULL, 0, NULL, 0.);
	CHECK_INT_EQ(ci_link_esi(ci, p2, c1), 1);
	CHECK_INT_EQ(ci_link_esi(ci, p2, c2), 1);
	ci_unlink_children(ci, p2);
	memset(&s, 0, sizeof s);
	(void)ci_foreach_child(ci, p2, collect, &s);
	CHECK_INT_EQ(s.n, 0);
	memset(&s, 0, sizeof s);
	(void)ci_foreach_parent(ci, c2, collect, &s);
	CHECK_INT_EQ(s.n, 0);

	/* Purge the children of a parent, from inside the iteration. */
	CHECK_INT_EQ(ci_link_esi(ci, p2, c1), 1);
	CHECK_INT_EQ(ci_link_esi(ci, p2, c2), 1);
	CHECK_INT_EQ(ci_foreach_child(ci, p2, remove_cb, ci), 0);
	CHECK_INT_EQ(ci_count(ci), 1);

	/* A callback removing the parent being iterated is safe too. */
	c1 = ci_put(ci, "h", "/esi/header", NULL, &a, NULL, 0, NULL, 0.);
	c2 = ci_put(ci, "h", "/esi/footer", NULL, &a, NULL, 0, NULL, 0.);
	CHECK_INT_EQ(ci_link_esi(ci, p2, c1), 1);
	CHECK_INT_EQ(ci_link_esi(ci, p2, c2), 1);
	rm.ci = ci;
	rm.victim = p2;
	rm.n = 0;
	(void)ci_foreach_child(ci, p2, esi_rm_cb, &rm);
	CHECK_INT_EQ(rm.n, 1);
	CHECK_INT_EQ(ci_count(ci), 2);
	/* And the child whose parents are being iterated. */
	p1 = ci_put(ci, "h", "/p1", NULL, &a, NULL, 0, NULL, 0.);
	p2 = ci_put(ci, "h", "/p2", NULL, &a, NULL, 0, NULL, 0.);
	CHECK_INT_EQ(ci_link_esi(ci, p1, c1), 1);
	CHECK_INT_EQ(ci_link_esi(ci, p2, c1), 1);
	rm.victim = c1;
	rm.n = 0;
	(void)ci_foreach_parent(ci, c1, esi_rm_cb, &rm);
	CHECK_INT_EQ(rm.n, 1);
	memset(&s, 0, sizeof s);
	(void)ci_foreach_child(ci, p1, collect, &s);
	CHECK_INT_EQ(s.n, 0);

	ci_remove(ci, p1);
	ci_remove(ci, p2);
	ci_remove(ci, c2);
	CHECK_INT_EQ(ci_count(ci), 0);
	CHECK_INT_EQ(ci_bytes(ci), b0);
	ci_free(&ci);
}

/* One parent with many children, one child with many parents. */
static void
test_esi_many(void)
{
	struct cache_index *ci;
	struct ci_obj *p, *c, *o[40];
	struct ci_attrs a = attrs(0., 100., 0., 0.);
	struct seen s;
	char url[32];
	size_t b0;
	unsigned u;

	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	p = ci_put(ci, "h", "/page", NULL, &a, NULL, 0, NULL, 0.);
	c = ci_put(ci, "h", "/esi/nav", NULL, &a, NULL, 0, NULL, 0.);
	for (u = 0; u < 40; u++) {
		snprintf(url, sizeof url, "/o/%u", u);
		o[u] = ci_put(ci, "h", url, NULL, &a, NULL, 0, NULL, 0.);
		CHECK_INT_EQ(ci_link_esi(ci, p, o[u]), 1);
		CHECK_INT_EQ(ci_link_esi(ci, o[u], c), 1);
	}
	/* Existing links, found from either side. */
	CHECK_INT_EQ(ci_link_esi(ci, p, o[7]), 0);
	CHECK_INT_EQ(ci_link_esi(ci, o[7], c), 0);
	/* Most go: the edge arrays shrink, the rest stay right. */
	for (u = 0; u < 36; u++)
		ci_remove(ci, o[u]);
	memset(&s, 0, sizeof s);
	(void)ci_foreach_child(ci, p, collect, &s);
	CHECK(s.n == 4 && has(&s, o[36]) && has(&s, o[39]));
	memset(&s, 0, sizeof s);
	(void)ci_foreach_parent(ci, c, collect, &s);
	CHECK(s.n == 4 && has(&s, o[37]) && !has(&s, p));
	memset(&s, 0, sizeof s);
	(void)ci_foreach_parent(ci, o[38], collect, &s);
	CHECK(s.n == 1 && has(&s, p));
	for (u = 36; u < 40; u++)
		ci_remove(ci, o[u]);
	ci_remove(ci, p);
	ci_remove(ci, c);
	CHECK_INT_EQ(ci_bytes(ci), b0);

	/* ci_free() with links in place (LeakSanitizer watches). */
	p = ci_put(ci, "h", "/page", NULL, &a, NULL, 0, NULL, 0.);
	c = ci_put(ci, "h", "/esi/nav", NULL, &a, NULL, 0, NULL, 0.);
	CHECK_INT_EQ(ci_link_esi(ci, p, c), 1);
	ci_free(&ci);
}

/* Removal from inside ci_foreach_tag() and ci_foreach(). */

#define NITER 12000

struct visit {
	struct cache_index *ci;
	unsigned cnt[NITER];
	unsigned n;
	int rm; /* 1 all, 2 every other */
	unsigned stop;
};

static int
visit_cb(void *priv, struct ci_obj *o)
{
	struct visit *v = priv;
	unsigned k;

	k = (unsigned)atoi(ci_url(o) + 3);
	if (k < NITER)
		v->cnt[k]++;
	v->n++;
	if (v->rm == 1 || (v->rm == 2 && k % 2 == 0))
		ci_remove(v->ci, o);
	if (v->stop > 0 && v->n == v->stop)
		return (7);
	return (0);
}

/* Remove the current object and the one at the other end. */
struct rm2 {
	struct cache_index *ci;
	unsigned n;
};

static int
rm2_first(void *priv, struct ci_obj *o)
{
	*(struct ci_obj **)priv = o;
	return (1);
}

static int
rm2_cb(void *priv, struct ci_obj *o)
{
	struct rm2 *r = priv;
	struct ci_obj *other = NULL;

	r->n++;
	ci_remove(r->ci, o);
	(void)ci_foreach_tag(r->ci, "all", rm2_first, &other);
	if (other != NULL)
		ci_remove(r->ci, other);
	return (0);
}

static void
test_iter_remove(void)
{
	static const char *const tg[] = { "all", "x" };
	struct cache_index *ci;
	struct ci_attrs a = attrs(0., 100., 0., 0.);
	struct visit *v;
	char url[32];
	size_t b0;
	unsigned u, h, bad;

	v = calloc(1, sizeof *v);
	ci = ci_new(0, HL);
	if (!CHECK(v != NULL && ci != NULL))
		return;
	b0 = ci_bytes(ci);
	v->ci = ci;
	for (u = 0; u < NITER; u++) {
		snprintf(url, sizeof url, "/i/%u", u);
		(void)ci_put(ci, "h", url, NULL, &a, tg, 2, NULL, 0.);
	}

	/* Stop early: the callback's value comes back. */
	v->stop = 10;
	CHECK_INT_EQ(ci_foreach(ci, visit_cb, v), 7);
	CHECK_INT_EQ(v->n, 10);
	memset(v->cnt, 0, sizeof v->cnt);
	v->n = v->stop = 0;

	/* Every other object removed while walking the table. */
	v->rm = 2;
	CHECK_INT_EQ(ci_foreach(ci, visit_cb, v), 0);
	for (u = bad = 0; u < NITER; u++)
		bad += v->cnt[u] != 1;
	CHECK_INT_EQ(bad, 0);
	CHECK_INT_EQ(ci_count(ci), NITER / 2);
	CHECK_INT_EQ(ci_tag_count(ci, "all"), NITER / 2);

	/*
	 * A callback that also removes another member: nothing is visited
	 * twice or read after it is gone; each object is seen or removed.
	 */
	{
		struct cache_index *c2 = ci_new(0, HL);
		struct ci_obj *x[8];
		struct rm2 r2;

		for (u = 0; u < 8; u++) {
			snprintf(url, sizeof url, "/r/%u", u);
			x[u] = ci_put(c2, "h", url, NULL, &a, tg, 1, NULL, 0.);
		}
		r2.ci = c2;
		r2.n = 0;
		(void)ci_foreach_tag(c2, "all", rm2_cb, &r2);
		CHECK_INT_EQ(ci_count(c2), 0);
		CHECK(r2.n >= 4 && r2.n <= 8);
		(void)x;
		ci_free(&c2);
	}

	/* Purge by tag: every member removed by the callback. */
	memset(v->cnt, 0, sizeof v->cnt);
	v->n = 0;
	v->rm = 1;
	CHECK_INT_EQ(ci_foreach_tag(ci, "all", visit_cb, v), 0);
	for (u = bad = 0; u < NITER; u++)
		bad += v->cnt[u] != (u % 2 == 1);
	CHECK_INT_EQ(bad, 0);
	CHECK_INT_EQ(v->n, NITER / 2);
	CHECK_INT_EQ(ci_count(ci), 0);
	CHECK_INT_EQ(ci_ntags_distinct(ci), 0);
	CHECK_INT_EQ(ci_bytes(ci), b0);

	/*
	 * Tables at the most load (14 in 16 slots) wrap probe runs around
	 * the end: removal there must neither skip nor repeat.
	 */
	v->rm = 2;
	for (bad = 0, h = 0; h < 300; h++) {
		for (u = 0; u < 14; u++) {
			snprintf(url, sizeof url, "/i/%u", h * 14 + u);
			(void)ci_put(ci, "h", url, NULL, &a, NULL, 0, NULL, 0.);
		}
		memset(v->cnt, 0, sizeof v->cnt);
		(void)ci_foreach(ci, visit_cb, v);
		for (u = 0; u < 14; u++)
			bad += v->cnt[h * 14 + u] != 1;
		(void)ci_foreach(ci, remove_cb, ci);
		bad += ci_count(ci) != 0;
	}
	CHECK_INT_EQ(bad, 0);
	v->rm = 1;

	/* And the whole table, removing everything. */
	for (u = 0; u < NITER; u++) {
		snprintf(url, sizeof url, "/i/%u", u);
		(void)ci_put(ci, "h", url, NULL, &a, tg, 2, NULL, 0.);
	}
	memset(v->cnt, 0, sizeof v->cnt);
	v->n = 0;
	CHECK_INT_EQ(ci_foreach(ci, visit_cb, v), 0);
	for (u = bad = 0; u < NITER; u++)
		bad += v->cnt[u] != 1;
	CHECK_INT_EQ(bad, 0);
	CHECK_INT_EQ(ci_count(ci), 0);
	CHECK_INT_EQ(ci_bytes(ci), b0);
	ci_free(&ci);
	free(v);
}

static void
test_popularity(void)
{
	struct cache_index *ci;
	struct ci_obj *o;
	struct ci_attrs a = attrs(1000., 1e6, 0., 0.);

	ci = ci_new(0, HL);
	o = ci_put(ci, "h", "/", NULL, &a, NULL, 0, NULL, 1000.);
	/* The fetch counts as one access. */
	CHECK(ci_popularity(ci, o, 1000.) == 1.);
	CHECK(ci_popularity(ci, o, 1000. + HL) == 0.5);
	CHECK(ci_popularity(ci, o, 1000. + 3 * HL) == 0.125);
	/* Before the last hit: no growth. */
	CHECK(ci_popularity(ci, o, 0.) == 1.);

	ci_hit(ci, o, 1000. + HL);
	CHECK(ci_popularity(ci, o, 1000. + HL) == 1.5);
	CHECK(ci_popularity(ci, o, 1000. + 2 * HL) == 0.75);
	CHECK(ci_last_hit(o) == 1000. + HL);
	CHECK_INT_EQ(ci_hits(o), 1);

	ci_hit(ci, o, 1000. + 2 * HL);
	CHECK(ci_popularity(ci, o, 1000. + 2 * HL) == 1.75);
	ci_hit(ci, o, 1000. + 2 * HL);
	CHECK(ci_popularity(ci, o, 1000. + 2 * HL) == 2.75);
	/* Half a half-life: sqrt(1/2). */
	CHECK(fabs(ci_popularity(ci, o, 1000. + 2.5 * HL) - 2.75 * M_SQRT1_2) <
	    1e-12);

	/* A hit logged late adds one, does not move the clock back. */
	ci_hit(ci, o, 1000.);
	CHECK(ci_popularity(ci, o, 1000. + 2 * HL) == 3.75);
	CHECK(ci_last_hit(o) == 1000. + 2 * HL);
	CHECK_INT_EQ(ci_hits(o), 4);
	ci_free(&ci);

	/* No half-life: plain counting. */
	ci = ci_new(0, 0.);
	o = ci_put(ci, "h", "/", NULL, &a, NULL, 0, NULL, 1000.);
	ci_hit(ci, o, 1e9);
	CHECK(ci_popularity(ci, o, 1e12) == 2.);
	ci_free(&ci);
}

static void
test_eviction(void)
{
	struct cache_index *ci;
	struct ci_obj *o[10], *n;
	struct ci_attrs a = attrs(0., 1e6, 0., 0.);
	char url[32];
	size_t budget, over = 0;
	unsigned u, h, gone;

	ci = ci_new(0, HL);
	/*
	 * Ten objects fetched at t=0 (popularity 1) and hit u times at
	 * t=100: popularity u + 2^(-1/36), o[0] the least at 0.98.
	 */
	for (u = 0; u < 10; u++) {
		snprintf(url, sizeof url, "/e/%u", u);
		o[u] = ci_put(ci, "h", url, NULL, &a, NULL, 0, NULL, 0.);
		for (h = 0; h < u; h++)
			ci_hit(ci, o[u], 100.);
	}
	ci_hit(ci, o[1], 50.); /* late: 2.98 */
	budget = ci_bytes(ci);
	ci_set_max_bytes(ci, budget);

	/* One more: the least popular, o[0] (1), must go. */
	n = ci_put(ci, "h", "/e/a", NULL, &a, NULL, 0, NULL, 100.);
	CHECK(n != NULL);
	CHECK_INT_EQ(ci_evictions(ci), 1);
	CHECK(ci_get(ci, "h", "/e/0", NULL) == NULL);
	CHECK(ci_bytes(ci) <= budget);
	/* Next the one just put, at 1 below o[1] and o[2] at 2.98. */
	(void)ci_put(ci, "h", "/e/b", NULL, &a, NULL, 0, NULL, 100.);
	CHECK_INT_EQ(ci_evictions(ci), 2);
	CHECK(ci_get(ci, "h", "/e/a", NULL) == NULL);
	CHECK(ci_get(ci, "h", "/e/b", NULL) != NULL);

	/* Equal popularity: the older last hit goes first. */
	ci_free(&ci);
	ci = ci_new(0, 0.);
	for (u = 0; u < 10; u++) {
		snprintf(url, sizeof url, "/t/%u", u);
		o[u] = ci_put(ci, "h", url, NULL, &a, NULL, 0, NULL,
		    (double)(100 - u));
	}
	ci_set_max_bytes(ci, ci_bytes(ci));
	(void)ci_put(ci, "h", "/t/a", NULL, &a, NULL, 0, NULL, 200.);
	CHECK(ci_get(ci, "h", "/t/9", NULL) == NULL);
	(void)ci_put(ci, "h", "/t/b", NULL, &a, NULL, 0, NULL, 200.);
	CHECK(ci_get(ci, "h", "/t/8", NULL) == NULL);
	CHECK_INT_EQ(ci_count(ci), 10);
	ci_free(&ci);

	/*
	 * Many objects under a budget: never over it, and the popular ones
	 * (every tenth, hit often) survive the churn.
	 */
	ci = ci_new(64 * 1024, HL);
	for (u = 0; u < 20000; u++) {
		snprintf(url, sizeof url, "/m/%u", u);
		n = ci_put(ci, "h", url, NULL, &a,
		    (const char *const[]){ "all", url }, 2, NULL, (double)u);
		if (n == NULL)
			break;
		if (u % 10 == 0)
			for (h = 0; h < 20; h++)
				ci_hit(ci, n, (double)u);
		if (ci_bytes(ci) > 64 * 1024)
			over++;
	}
	CHECK_INT_EQ(u, 20000);
	CHECK_INT_EQ(over, 0);
	CHECK(ci_evictions(ci) > 19000);
	CHECK_INT_EQ(ci_evictions(ci) + ci_count(ci), 20000);
	CHECK_INT_EQ(ci_tag_count(ci, "all"), ci_count(ci));
	/* Of the last 1000 puts, the popular ones are all still there. */
	for (u = 19000, gone = 0; u < 20000; u += 10) {
		snprintf(url, sizeof url, "/m/%u", u);
		gone += ci_get(ci, "h", url, NULL) == NULL;
	}
	CHECK_INT_EQ(gone, 0);
	ci_free(&ci);

	/* An object bigger than the budget stays, alone. */
	ci = ci_new(1, HL);
	(void)ci_put(ci, "h", "/1", NULL, &a, NULL, 0, NULL, 0.);
	n = ci_put(ci, "h", "/2", NULL, &a, NULL, 0, NULL, 0.);
	CHECK(n != NULL);
	CHECK_INT_EQ(ci_count(ci), 1);
	CHECK(ci_get(ci, "h", "/2", NULL) == n);
	ci_free(&ci);
}

static void
test_expiry(void)
{
	struct cache_index *ci;
	struct ci_attrs a;
	struct ci_obj *o, *p;
	char url[32];
	unsigned u;
	size_t b0;

	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	/* Object u lives until 1000 + u: ttl, grace and keep all count. */
	for (u = 0; u < 100; u++) {
		snprintf(url, sizeof url, "/x/%u", (u * 37) % 100);
		a = attrs(1000., (double)((u * 37) % 100) - 20., 10., 10.);
		CHECK(ci_put(ci, "h", url, NULL, &a, NULL, 0, NULL, 1000.));
	}
	CHECK_INT_EQ(ci_expire(ci, 900.), 0);
	CHECK_INT_EQ(ci_expire(ci, 1000.), 0);
	CHECK_INT_EQ(ci_expire(ci, 1000.5), 1);
	CHECK(ci_get(ci, "h", "/x/0", NULL) == NULL);
	CHECK(ci_get(ci, "h", "/x/1", NULL) != NULL);
	/* Not before its time: exactly at the deadline it stays. */
	CHECK_INT_EQ(ci_expire(ci, 1010.), 9);
	CHECK(ci_get(ci, "h", "/x/10", NULL) != NULL);

	/* A refetch moves the deadline. */
	a = attrs(5000., 100., 0., 0.);
	o = ci_put(ci, "h", "/x/10", NULL, &a, NULL, 0, NULL, 5000.);
	a = attrs(0., 0., 0., 0.);
	(void)ci_put(ci, "h", "/x/99", NULL, &a, NULL, 0, NULL, 5000.);
	CHECK_INT_EQ(ci_expire(ci, 1.), 1);
	CHECK(ci_get(ci, "h", "/x/99", NULL) == NULL);
	CHECK_INT_EQ(ci_expire(ci, 2000.), 88);
	CHECK_INT_EQ(ci_count(ci), 1);
	CHECK(ci_get(ci, "h", "/x/10", NULL) == o);
	CHECK_INT_EQ(ci_expirations(ci), 99);
	/*
	 * Soft purge: stale from now, grace and keep kept, so it expires
	 * before objects that were fresh for longer; not revived later.
	 */
	a = attrs(1000., 5000., 20., 30.);
	p = ci_put(ci, "h", "/soft", NULL, &a, NULL, 0, NULL, 1000.);
	ci_make_stale(ci, p, 1100.);
	CHECK(ci_attrs(p).ttl == 100.);
	CHECK(ci_attrs(p).grace == 20.);
	CHECK(ci_expires(p) == 1150.);
	ci_make_stale(ci, p, 1120.);
	CHECK(ci_attrs(p).ttl == 100.);
	CHECK_INT_EQ(ci_expire(ci, 1150.), 0);
	CHECK_INT_EQ(ci_expire(ci, 1150.5), 1);
	CHECK(ci_get(ci, "h", "/soft", NULL) == NULL);
	CHECK(ci_get(ci, "h", "/x/10", NULL) == o);

	/* ttl is a float, as in Varnish: infinity never expires. */
	a = attrs(0., INFINITY, 0., 0.);
	(void)ci_put(ci, "h", "/inf", NULL, &a, NULL, 0, NULL, 0.);
	CHECK_INT_EQ(ci_expire(ci, 1e300), 1);
	CHECK_INT_EQ(ci_count(ci), 1);
	CHECK(isinf(ci_attrs(ci_get(ci, "h", "/inf", NULL)).ttl));
	CHECK_INT_EQ(ci_expire(ci, INFINITY), 0);
	ci_remove(ci, ci_get(ci, "h", "/inf", NULL));
	/*
	 * Nonsense in, sense out: NaN is 0, beyond float is infinite but
	 * never -inf, so that the deadline is never NaN.
	 */
	a = attrs(NAN, NAN, -1e300, 1e300);
	o = ci_put(ci, "h", "/nan", NULL, &a, NULL, 0, NULL, 77.);
	CHECK(ci_attrs(o).t_origin == 77.);
	CHECK(ci_attrs(o).ttl == 0.);
	CHECK(ci_attrs(o).grace == -FLT_MAX);
	CHECK(isinf(ci_attrs(o).keep) && ci_attrs(o).keep > 0);
	CHECK(isinf(ci_expires(o)));
	a = attrs(0., -INFINITY, 0., 0.);
	(void)ci_put(ci, "h", "/neg", NULL, &a, NULL, 0, NULL, 0.);
	CHECK_INT_EQ(ci_expire(ci, 0.), 1);
	CHECK_INT_EQ(ci_count(ci), 1);
	ci_remove(ci, o);
	CHECK_INT_EQ(ci_bytes(ci), b0);
	ci_free(&ci);
}

/*--------------------------------------------------------------------
 * Random operations against a reference model.
 */

#define R_HOSTS 2
#define R_URLS 60
#define R_VARS 3
#define R_KEYS (R_HOSTS * R_URLS * R_VARS)
#define R_TAGS 40
#define R_OPS 100000

struct rkey {
	struct ci_obj *o; /* NULL: absent */
	uint64_t tags; /* bit per tag */
	double deadline;
	double fresh; /* t_origin + ttl */
	double gk; /* grace + keep */
	unsigned hdr; /* x-v header value, 0 = none */
};

static struct rkey model[R_KEYS];
static unsigned char link_m[R_KEYS][R_KEYS]; /* [parent][child] */
static uint64_t rstate = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rstate ^= rstate << 13;
	rstate ^= rstate >> 7;
	rstate ^= rstate << 17;
	return ((unsigned)(rstate % n));
}

static void
rkey_names(unsigned k, char *host, char *url, char *var)
{
	sprintf(host, "h%u.example", k / (R_URLS * R_VARS));
	sprintf(url, "/u/%u?p=1", (k / R_VARS) % R_URLS);
	if (k % R_VARS == 0)
		var[0] = '\0';
	else
		sprintf(var, "currency=%u&encoding=gzip", k % R_VARS);
}

static unsigned
rkey_of(const struct ci_obj *o)
{
	unsigned h, u, v = 0;

	h = (unsigned)atoi(ci_host(o) + 1);
	u = (unsigned)atoi(ci_url(o) + 3);
	if (ci_variant(o)[0] != '\0')
		v = (unsigned)atoi(ci_variant(o) + 9);
	return ((h * R_URLS + u) * R_VARS + v);
}

static void
model_remove(unsigned k)
{
	unsigned j;

	model[k].o = NULL;
	for (j = 0; j < R_KEYS; j++)
		link_m[k][j] = link_m[j][k] = 0;
}

struct rcoll {
	unsigned n;
	unsigned char seen[R_KEYS];
	unsigned dup;
};

static int
rcollect(void *priv, struct ci_obj *o)
{
	struct rcoll *c = priv;
	unsigned k = rkey_of(o);

	if (c->seen[k])
		c->dup++;
	c->seen[k] = 1;
	c->n++;
	return (0);
}

static int
rcheck_tag(struct cache_index *ci, unsigned t)
{
	struct rcoll c;
	char name[16];
	unsigned k, bad = 0, n = 0;

	sprintf(name, "tag-%u", t);
	memset(&c, 0, sizeof c);
	(void)ci_foreach_tag(ci, name, rcollect, &c);
	for (k = 0; k < R_KEYS; k++) {
		if (model[k].o != NULL && (model[k].tags >> t & 1)) {
			n++;
			bad += !c.seen[k];
		}
	}
	return (
	    bad == 0 && c.dup == 0 && c.n == n && ci_tag_count(ci, name) == n);
}

static int
rcheck_links(struct cache_index *ci, unsigned k)
{
	struct rcoll kids, pars;
	unsigned j, bad = 0;

	memset(&kids, 0, sizeof kids);
	memset(&pars, 0, sizeof pars);
	(void)ci_foreach_child(ci, model[k].o, rcollect, &kids);
	(void)ci_foreach_parent(ci, model[k].o, rcollect, &pars);
	for (j = 0; j < R_KEYS; j++) {
		bad += kids.seen[j] != link_m[k][j];
		bad += pars.seen[j] != link_m[j][k];
	}
	return (bad == 0 && kids.dup == 0 && pars.dup == 0);
}

/* Everything the model knows, compared with the index. */
static unsigned
rcheck_all(struct cache_index *ci)
{
	char host[32], url[32], var[64], val[16];
	struct rcoll all;
	unsigned k, t, u, n = 0, bad = 0, ntags;
	uint64_t used = 0, got;

	for (k = 0; k < R_KEYS; k++) {
		rkey_names(k, host, url, var);
		if (ci_get(ci, host, url, var) != model[k].o) {
			bad++;
			continue;
		}
		if (model[k].o == NULL)
			continue;
		n++;
		used |= model[k].tags;
		got = 0;
		ntags = ci_ntags(model[k].o);
		for (u = 0; u < ntags; u++)
			got |= 1ULL << atoi(ci_tag(ci, model[k].o, u) + 4);
		bad += got != model[k].tags;
		bad += ntags != (unsigned)__builtin_popcountll(model[k].tags);
		bad += ci_expires(model[k].o) != model[k].deadline;
		if (model[k].hdr == 0) {
			bad += ci_hdr(model[k].o, "X-V") != NULL;
		} else {
			sprintf(val, "%u", model[k].hdr);
			bad += ci_hdr(model[k].o, "X-V") == NULL ||
			    strcmp(ci_hdr(model[k].o, "X-V"), val) != 0;
		}
		bad += !rcheck_links(ci, k);
	}
	bad += ci_count(ci) != n;
	bad += ci_ntags_distinct(ci) != (size_t)__builtin_popcountll(used);
	for (t = 0; t < R_TAGS; t++)
		bad += !rcheck_tag(ci, t);
	memset(&all, 0, sizeof all);
	(void)ci_foreach(ci, rcollect, &all);
	bad += all.n != n || all.dup != 0;
	return (bad);
}

static int
rpurge_cb(void *priv, struct ci_obj *o)
{
	struct cache_index *ci = priv;

	model_remove(rkey_of(o));
	ci_remove(ci, o);
	return (0);
}

/* Varnish's child restarted: every object goes, and the index is new. */
static void
test_clear(void)
{
	static const char *const t[] = { "all", "cat-1" };
	struct cache_index *ci;
	struct ci_obj *p, *c, *o;
	struct ci_attrs a = attrs(1000., 100., 0., 0.);
	char url[32];
	unsigned u;
	size_t b0;

	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	CHECK_INT_EQ(ci_clear(ci), 0);
	p = ci_put(ci, "h", "/page", NULL, &a, t, 2, NULL, 1000.);
	c = ci_put(ci, "h", "/esi/nav", NULL, &a, t, 1, NULL, 1000.);
	CHECK_INT_EQ(ci_link_esi(ci, p, c), 1);
	for (u = 0; u < 300; u++) {
		snprintf(url, sizeof url, "/o/%u", u);
		a = attrs(1000., (double)(u % 17), 0., 0.);
		o = ci_put(ci, "h", url, u % 3 ? "encoding=gzip" : NULL, &a, t,
		    u % 2 + 1, NULL, 1000.);
		CHECK(o != NULL);
		if (u % 5 == 0)
			CHECK_INT_EQ(ci_link_esi(ci, p, o), 1);
	}
	CHECK_INT_EQ(ci_clear(ci), 302);
	CHECK_INT_EQ(ci_count(ci), 0);
	CHECK_INT_EQ(ci_bytes(ci), b0);
	CHECK_INT_EQ(ci_key_bytes(ci), 0);
	CHECK_INT_EQ(ci_ntags_distinct(ci), 0);
	CHECK_INT_EQ(ci_tag_count(ci, "all"), 0);
	CHECK(ci_get(ci, "h", "/page", NULL) == NULL);
	/* Neither expired nor evicted: Varnish dropped them all at once. */
	CHECK_INT_EQ(ci_expirations(ci), 0);
	CHECK_INT_EQ(ci_evictions(ci), 0);
	/* And it learns again. */
	p = ci_put(ci, "h", "/page", NULL, &a, t, 2, NULL, 2000.);
	CHECK(ci_get(ci, "h", "/page", NULL) == p);
	CHECK_INT_EQ(ci_tag_count(ci, "all"), 1);
	CHECK_INT_EQ(ci_expire(ci, 3000.), 1);
	ci_free(&ci);
}

/* Varnish nuked what its fetch vxid made: found by that vxid alone. */
static void
test_remove_vxid(void)
{
	struct cache_index *ci;
	struct ci_obj *o, *keep = NULL;
	struct ci_attrs a = attrs(1000., 100., 0., 0.);
	char url[32];
	unsigned u;
	size_t b0;

	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	/* No table until the first nuke; an unknown vxid removes nothing. */
	CHECK_INT_EQ(ci_remove_vxid(ci, 7), 0);
	CHECK_INT_EQ(ci_remove_vxid(ci, 0), 0);
	for (u = 1; u <= 1000; u++) {
		snprintf(url, sizeof url, "/o/%u", u);
		a.vxid = u;
		o = ci_put(ci, "h", url, NULL, &a, NULL, 0, NULL, 1000.);
		CHECK(o != NULL);
		if (u == 500)
			keep = o;
	}
	/* Fetched again: the new vxid finds it, the old one no more. */
	a.vxid = 5000;
	CHECK(
	    ci_put(ci, "h", "/o/500", NULL, &a, NULL, 0, NULL, 1001.) == keep);
	CHECK_INT_EQ(ci_remove_vxid(ci, 500), 0);
	for (u = 1; u <= 1000; u += 2)
		CHECK_INT_EQ(ci_remove_vxid(ci, u), 1);
	CHECK_INT_EQ(ci_remove_vxid(ci, 1), 0);
	CHECK_INT_EQ(ci_count(ci), 500);
	CHECK_INT_EQ(ci_nuked(ci), 500);
	CHECK(ci_get(ci, "h", "/o/1", NULL) == NULL);
	CHECK(ci_get(ci, "h", "/o/2", NULL) != NULL);
	/* Removed otherwise, it leaves the vxid table too. */
	ci_remove(ci, ci_get(ci, "h", "/o/2", NULL));
	CHECK_INT_EQ(ci_remove_vxid(ci, 2), 0);
	CHECK_INT_EQ(ci_remove_vxid(ci, 5000), 1);
	for (u = 4; u <= 1000; u += 2)
		if (u != 500)
			CHECK_INT_EQ(ci_remove_vxid(ci, u), 1);
	CHECK_INT_EQ(ci_count(ci), 0);
	CHECK_INT_EQ(ci_clear(ci), 0);
	/* Only the vxid table is left, and its memory is counted. */
	CHECK(ci_bytes(ci) > b0);
	ci_free(&ci);
}

static void
test_random(void)
{
	char host[32], url[32], var[64], names[R_TAGS][16], val[16];
	const char *tags[8], *hdrs[3];
	struct cache_index *ci;
	struct ci_attrs a;
	struct ci_obj *o;
	struct rcoll c;
	unsigned op, k, j, t, nt, bad = 0, fails = 0;
	size_t b0;
	double now = 1e9;
	int r;

	memset(model, 0, sizeof model);
	memset(link_m, 0, sizeof link_m);
	for (t = 0; t < R_TAGS; t++)
		sprintf(names[t], "tag-%u", t);
	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	for (op = 0; op < R_OPS; op++) {
		now += 1.;
		k = rnd(R_KEYS);
		rkey_names(k, host, url, var);
		switch (rnd(20)) {
		case 0:
		case 1:
		case 2:
		case 3:
		case 4:
		case 5:
		case 6:
			/* put */
			nt = rnd(6);
			model[k].tags = 0;
			for (j = 0; j < nt; j++) {
				t = rnd(R_TAGS);
				tags[j] = names[t];
				model[k].tags |= 1ULL << t;
			}
			model[k].hdr = rnd(3) == 0 ? 0 : op + 1;
			sprintf(val, "%u", model[k].hdr);
			hdrs[0] = "x-v";
			hdrs[1] = val;
			hdrs[2] = NULL;
			a = attrs(now, (double)rnd(3000), (double)rnd(100),
			    (double)rnd(100));
			model[k].deadline = now + a.ttl + a.grace + a.keep;
			model[k].fresh = now + a.ttl;
			model[k].gk = a.grace + a.keep;
			o = ci_put(ci, host, url, var, &a, tags, nt,
			    model[k].hdr ? hdrs : NULL, now);
			if (o == NULL ||
			    (model[k].o != NULL && model[k].o != o))
				fails++;
			model[k].o = o;
			break;
		case 7:
		case 8:
			if (model[k].o == NULL)
				break;
			ci_remove(ci, model[k].o);
			model_remove(k);
			break;
		case 9:
			if (model[k].o != NULL)
				ci_hit(ci, model[k].o, now);
			break;
		case 10:
			/* soft purge */
			if (model[k].o == NULL)
				break;
			ci_make_stale(ci, model[k].o, now);
			if (model[k].fresh > now) {
				model[k].fresh = now;
				model[k].deadline = now + model[k].gk;
			}
			break;
		case 11:
		case 12:
		case 13:
			j = rnd(R_KEYS);
			if (model[k].o == NULL || model[j].o == NULL)
				break;
			r = ci_link_esi(ci, model[k].o, model[j].o);
			if (k == j)
				fails += r != -1;
			else
				fails += r != !link_m[k][j];
			if (k != j)
				link_m[k][j] = 1;
			break;
		case 14:
			if (model[k].o == NULL)
				break;
			ci_unlink_children(ci, model[k].o);
			for (j = 0; j < R_KEYS; j++)
				link_m[k][j] = 0;
			break;
		case 15:
			/* purge: every variant of the URL */
			(void)ci_foreach_url(ci, host, url, rpurge_cb, ci);
			k -= k % R_VARS;
			for (j = 0; j < R_VARS; j++)
				fails += model[k + j].o != NULL;
			break;
		case 16:
			/* tag invalidation, removing from the iteration */
			t = rnd(R_TAGS);
			(void)ci_foreach_tag(ci, names[t], rpurge_cb, ci);
			for (j = 0; j < R_KEYS; j++)
				fails += model[j].o != NULL &&
				    (model[j].tags >> t & 1);
			break;
		case 17:
			memset(&c, 0, sizeof c);
			(void)ci_foreach_url(ci, host, url, rcollect, &c);
			k -= k % R_VARS;
			for (j = 0; j < R_VARS; j++)
				fails +=
				    c.seen[k + j] != (model[k + j].o != NULL);
			break;
		case 18:
			bad += !rcheck_tag(ci, rnd(R_TAGS));
			break;
		default:
			j = 0;
			for (k = 0; k < R_KEYS; k++) {
				if (model[k].o != NULL &&
				    model[k].deadline < now) {
					model_remove(k);
					j++;
				}
			}
			fails += ci_expire(ci, now) != j;
			break;
		}
		if (op % 5000 == 0)
			bad += rcheck_all(ci);
	}
	bad += rcheck_all(ci);
	CHECK_INT_EQ(fails, 0);
	CHECK_INT_EQ(bad, 0);
	CHECK(ci_count(ci) > 0);

	/* Everything out again: back to the empty index's footprint. */
	for (k = 0; k < R_KEYS; k++)
		if (model[k].o != NULL && rnd(2))
			ci_remove(ci, model[k].o);
	(void)ci_expire(ci, INFINITY);
	CHECK_INT_EQ(ci_count(ci), 0);
	CHECK_INT_EQ(ci_ntags_distinct(ci), 0);
	CHECK_INT_EQ(ci_key_bytes(ci), 0);
	CHECK_INT_EQ(ci_bytes(ci), b0);
	ci_free(&ci);
}

/* Random churn under a small budget, for the sanitizers' sake. */
static void
test_random_budget(void)
{
	char host[32], url[32], var[64], names[R_TAGS][16];
	const char *tags[8];
	struct cache_index *ci;
	struct ci_attrs a;
	struct ci_obj *o;
	struct rcoll c;
	unsigned op, k, j, nt, over = 0;
	double now = 0.;

	ci = ci_new(16 * 1024, 60.);
	for (j = 0; j < R_TAGS; j++)
		sprintf(names[j], "tag-%u", j);
	for (op = 0; op < 50000; op++) {
		now += 0.5;
		k = rnd(R_KEYS);
		rkey_names(k, host, url, var);
		o = ci_get(ci, host, url, var);
		switch (rnd(4)) {
		case 0:
			nt = rnd(6);
			for (j = 0; j < nt; j++)
				tags[j] = names[rnd(R_TAGS)];
			a = attrs(now, (double)rnd(500), 0., 0.);
			(void)ci_put(ci, host, url, var, &a, tags, nt, NULL,
			    now);
			if (ci_bytes(ci) > 16 * 1024)
				over++;
			break;
		case 1:
			if (o != NULL)
				ci_hit(ci, o, now);
			break;
		case 2:
			j = rnd(R_KEYS);
			rkey_names(j, host, url, var);
			if (o != NULL && ci_get(ci, host, url, var) != NULL &&
			    ci_get(ci, host, url, var) != o)
				(void)ci_link_esi(ci, o,
				    ci_get(ci, host, url, var));
			break;
		default:
			(void)ci_expire(ci, now);
			break;
		}
	}
	CHECK_INT_EQ(over, 0);
	CHECK(ci_evictions(ci) > 0);
	memset(&c, 0, sizeof c);
	(void)ci_foreach(ci, rcollect, &c);
	CHECK_INT_EQ(c.n, ci_count(ci));
	CHECK_INT_EQ(c.dup, 0);
	ci_free(&ci);
}

/*
 * The attributes are stored narrow: t_origin to the nearest 64th of a
 * second from 1970 to 2106, statuses past 1023 saturate; what depends on
 * t_origin (deadline, last hit) stays consistent with what is returned.
 */
static void
test_narrow_attrs(void)
{
	struct cache_index *ci;
	struct ci_attrs a = attrs(1.7e9 + 0.3, 60., 5., 0.), b;
	struct ci_obj *o;

	ci = ci_new(0, HL);
	a.status = 5000;
	o = ci_put(ci, "h", "/n", NULL, &a, NULL, 0, NULL, 1.7e9 + 1.);
	if (!CHECK(o != NULL))
		return;
	b = ci_attrs(o);
	CHECK(fabs(b.t_origin - a.t_origin) <= 1. / 128.);
	CHECK(b.t_origin != a.t_origin); /* 0.3 is no 64th */
	CHECK_INT_EQ(b.status, 1023);
	CHECK(ci_expires(o) == b.t_origin + 65.);
	CHECK(fabs(ci_last_hit(o) - (1.7e9 + 1.)) < 1e-3);

	a.t_origin = 12.25; /* a 64th: exact */
	a.status = 1023;
	CHECK(ci_put(ci, "h", "/n", NULL, &a, NULL, 0, NULL, 13.) == o);
	b = ci_attrs(o);
	CHECK(b.t_origin == 12.25);
	CHECK_INT_EQ(b.status, 1023);
	CHECK(ci_expires(o) == 77.25);

	/* Out of range clamps to it; not a number is now. */
	a.t_origin = -5.;
	(void)ci_put(ci, "h", "/n", NULL, &a, NULL, 0, NULL, 13.);
	CHECK(ci_attrs(o).t_origin == 0.);
	a.t_origin = 1e12;
	(void)ci_put(ci, "h", "/n", NULL, &a, NULL, 0, NULL, 13.);
	CHECK(ci_attrs(o).t_origin == (double)UINT32_MAX + 63. / 64.);
	a.t_origin = NAN;
	(void)ci_put(ci, "h", "/n", NULL, &a, NULL, 0, NULL, 500.5);
	CHECK(ci_attrs(o).t_origin == 500.5);
	ci_free(&ci);
}

#define SLAB_N 3000

/* Key u: "/u-" and u x's, so lengths run from 3 to past 3000. */
static void
slab_url(char *buf, unsigned u)
{
	int l;

	l = sprintf(buf, "/%u-", u);
	memset(buf + l, 'x', u);
	buf[l + (int)u] = '\0';
}

static unsigned
slab_check(struct cache_index *ci, struct ci_obj *const *o, char *url,
    unsigned from, unsigned step)
{
	unsigned u, bad = 0;

	for (u = from; u < SLAB_N; u += step) {
		slab_url(url, u);
		bad += ci_get(ci, "h", url, NULL) != o[u];
		bad += strcmp(ci_url(o[u]), url) != 0;
		bad += ci_attrs(o[u]).size != u;
		bad += strcmp(ci_tag(ci, o[u], 0), u % 2 ? "odd" : "even") != 0;
	}
	return (bad);
}

/*
 * Objects live in slab slots, one size class every 8 bytes, and past
 * 2 KiB each in a chunk of its own: keys of every length, removed and
 * put again in another order, keep their contents; the memory all comes
 * back; and under ASan a freed slot is poisoned.
 */
static void
test_slab(void)
{
	static struct ci_obj *o[SLAB_N];
	struct cache_index *ci;
	struct ci_attrs a = attrs(0., 100., 0., 0.);
	const char *tag[2] = { "even", "odd" };
	char *url;
	size_t b0, b1;
	unsigned u;
	int poisoned = 1;

	url = malloc(SLAB_N + 16);
	if (!CHECK(url != NULL))
		return;
	ci = ci_new(0, HL);
	b0 = ci_bytes(ci);
	for (u = 0; u < SLAB_N; u++) {
		slab_url(url, u);
		a.size = u;
		o[u] = ci_put(ci, "h", url, NULL, &a, tag + u % 2, 1, NULL, 0.);
		if (!CHECK(o[u] != NULL))
			return;
	}
	b1 = ci_bytes(ci);
	CHECK_INT_EQ(slab_check(ci, o, url, 0, 1), 0);

	for (u = 0; u < SLAB_N; u += 2)
		ci_remove(ci, o[u]);
	CHECK_INT_EQ(ci_count(ci), SLAB_N / 2);
	CHECK_INT_EQ(ci_tag_count(ci, "even"), 0);
	CHECK_INT_EQ(slab_check(ci, o, url, 1, 2), 0);
#if defined(__SANITIZE_ADDRESS__)
	/* Its chunk still has live objects: the slot itself is poisoned. */
	poisoned = __asan_address_is_poisoned((const char *)o[100] + 8);
#endif
	CHECK(poisoned);

	/* Again, from the longest: freed slots are taken back. */
	for (u = SLAB_N; u > 0; u--) {
		if ((u - 1) % 2)
			continue;
		slab_url(url, u - 1);
		a.size = u - 1;
		o[u - 1] = ci_put(ci, "h", url, NULL, &a, tag, 1, NULL, 0.);
		if (!CHECK(o[u - 1] != NULL))
			return;
	}
	CHECK_INT_EQ(ci_count(ci), SLAB_N);
	CHECK_INT_EQ(ci_bytes(ci), b1);
	CHECK_INT_EQ(slab_check(ci, o, url, 0, 1), 0);

	CHECK_INT_EQ(ci_clear(ci), SLAB_N);
	CHECK_INT_EQ(ci_bytes(ci), b0);
	ci_free(&ci);
	free(url);
}

int
main(void)
{
	test_put_get();
	test_variants();
	test_tags();
	test_too_many_tags();
	test_headers();
	test_spill();
	test_esi();
	test_esi_many();
	test_iter_remove();
	test_popularity();
	test_eviction();
	test_expiry();
	test_clear();
	test_remove_vxid();
	test_random();
	test_random_budget();
	test_narrow_attrs();
	test_slab();
	return (unit_done());
}
