/*
 * Unit tests for the agent's popular paths and search terms: the
 * space-saving counter (link/topk.c) keeps the most counted within its
 * bound, a popular newcomer displaces the least counted, and its error
 * bounds its count; what is counted of a URL (link/popular.c); and what
 * popularity makes of a job's URL values (sitemap/popularity.c).
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link/popular.h"
#include "link/topk.h"
#include "sitemap/popularity.h"
#include "unit.h"

struct seen {
	unsigned n;
	char key[16][64];
	uint64_t count[16], err[16];
};

static void
collect(void *priv, const char *key, uint64_t count, uint64_t err)
{
	struct seen *s = priv;

	if (s->n < 16) {
		snprintf(s->key[s->n], sizeof s->key[0], "%s", key);
		s->count[s->n] = count;
		s->err[s->n] = err;
	}
	s->n++;
}

static void
test_topk(void)
{
	struct topk *tk;
	struct seen s;
	char k[32];
	unsigned i;

	tk = topk_new(3);
	topk_add(tk, "a", 5);
	topk_add(tk, "b", 2);
	topk_add(tk, "c", 1);
	CHECK_INT_EQ(topk_len(tk), 3);
	/* Full: d takes c's place (the least), and its count as error. */
	topk_add(tk, "d", 1);
	CHECK_INT_EQ(topk_len(tk), 3);
	memset(&s, 0, sizeof s);
	CHECK_INT_EQ(topk_take(tk, 10, collect, &s), 3);
	CHECK_STR_EQ(s.key[0], "a");
	CHECK_INT_EQ(s.count[0], 5);
	CHECK_STR_EQ(s.key[1], "b");
	CHECK_STR_EQ(s.key[2], "d");
	CHECK_INT_EQ(s.count[2], 2);
	CHECK_INT_EQ(s.err[2], 1);
	/* Taken: empty again. */
	CHECK_INT_EQ(topk_len(tk), 0);
	memset(&s, 0, sizeof s);
	CHECK_INT_EQ(topk_take(tk, 10, collect, &s), 0);

	/* A stream of 10,000 distinct keys seen once, and three keys seen
	 * often among them: the three are on top, their error small. */
	for (i = 0; i < 10000; i++) {
		snprintf(k, sizeof k, "once-%u", i);
		topk_add(tk, k, 1);
		if (i % 10 == 0)
			topk_add(tk, "/popular", 1);
		if (i % 20 == 0)
			topk_add(tk, "/second", 1);
		if (i % 40 == 0)
			topk_add(tk, "/third", 1);
	}
	topk_free(&tk);
	CHECK(tk == NULL);
	tk = topk_new(50);
	for (i = 0; i < 10000; i++) {
		snprintf(k, sizeof k, "once-%u", i);
		topk_add(tk, k, 1);
		if (i % 10 == 0)
			topk_add(tk, "/popular", 1);
		if (i % 20 == 0)
			topk_add(tk, "/second", 1);
		if (i % 40 == 0)
			topk_add(tk, "/third", 1);
	}
	CHECK_INT_EQ(topk_len(tk), 50);
	memset(&s, 0, sizeof s);
	CHECK_INT_EQ(topk_take(tk, 3, collect, &s), 3);
	CHECK_STR_EQ(s.key[0], "/popular");
	CHECK_STR_EQ(s.key[1], "/second");
	CHECK_STR_EQ(s.key[2], "/third");
	/* True counts 1000, 500, 250: within [count - err, count]. */
	CHECK(s.count[0] >= 1000 && s.count[0] - s.err[0] <= 1000);
	CHECK(s.count[1] >= 500 && s.count[1] - s.err[1] <= 500);
	CHECK(s.count[2] >= 250 && s.count[2] - s.err[2] <= 250);
	topk_free(&tk);
}

static const char *
path_of(const char *url)
{
	static char buf[4096];

	if (popular_path(url, buf, sizeof buf) != 0)
		return ("(none)");
	return (buf);
}

static const char *
term_of(const char *v)
{
	static char buf[256];

	if (popular_term(v, strlen(v), buf, sizeof buf) != 0)
		return ("(none)");
	return (buf);
}

static void
test_paths(void)
{
	char big[1100];

	CHECK_STR_EQ(path_of("/p/1"), "/p/1");
	CHECK_STR_EQ(path_of("/p/1?utm_source=x&session=abc"), "/p/1");
	CHECK_STR_EQ(path_of("/p/1#top"), "/p/1");
	CHECK_STR_EQ(path_of("/search?search=Coffee+Beans"),
	    "/search?search=coffee+beans");
	CHECK_STR_EQ(path_of("/en/search?page=2&search=%20Tea%20&x=1"),
	    "/en/search?search=tea");
	/* Not a search page, or a term not counted: the path alone. */
	CHECK_STR_EQ(path_of("/research?search=x"), "/research");
	CHECK_STR_EQ(path_of("/search?q=x"), "/search");
	CHECK_STR_EQ(path_of("/search?search=me%40mail.example"), "/search");
	CHECK_STR_EQ(path_of("http://a/"), "(none)");
	CHECK_STR_EQ(path_of("/a b"), "(none)");
	memset(big, 'a', sizeof big - 1);
	big[0] = '/';
	big[sizeof big - 1] = '\0';
	CHECK_STR_EQ(path_of(big), "(none)");
}

static void
test_terms(void)
{
	char big[400];

	CHECK_STR_EQ(term_of("Coffee+Beans"), "coffee beans");
	CHECK_STR_EQ(term_of("++a%09%09B++"), "a b");
	CHECK_STR_EQ(term_of("caf%C3%A9"), "caf\xc3\xa9");
	CHECK_STR_EQ(term_of("100%"), "100%");
	CHECK_STR_EQ(term_of("+++"), "(none)");
	CHECK_STR_EQ(term_of(""), "(none)");
	CHECK_STR_EQ(term_of("a%01b"), "(none)");
	CHECK_STR_EQ(term_of("caf%C3"), "(none)");
	CHECK_STR_EQ(term_of("ME%40example.org"), "(none)");
	/* Cut to 100 bytes, on a character's boundary. */
	memset(big, 'x', 99);
	strcpy(big + 99, "%C3%A9tail");
	CHECK_INT_EQ(strlen(term_of(big)), 99);
	memset(big, 'x', 150);
	big[150] = '\0';
	CHECK_INT_EQ(strlen(term_of(big)), 100);
}

static void
test_count(void)
{
	struct popular *p;
	json_t *paths, *terms;

	p = popular_new();
	popular_take(p, &paths, &terms);
	CHECK(paths == NULL && terms == NULL);
	popular_count(p, 7200.5, "shop.example", "/p/1?sid=1");
	popular_count(p, 7300, "shop.example", "/p/1?sid=2");
	popular_count(p, 7300, "shop.example", "/search?search=Tea");
	popular_count(p, 3599, "shop.example", "/p/1");
	popular_count(p, 7300, "bad host", "/p/1");
	popular_count(p, 7300, NULL, "/p/1");
	popular_take(p, &paths, &terms);
	CHECK(paths != NULL);
	CHECK(terms != NULL);
	CHECK_INT_EQ(json_array_size(paths), 3);
	CHECK_STR_EQ(json_string_value(
	                 json_object_get(json_array_get(paths, 0), "path")),
	    "/p/1");
	CHECK_INT_EQ(json_integer_value(
	                 json_object_get(json_array_get(paths, 0), "hits")),
	    2);
	CHECK_INT_EQ(json_integer_value(
	                 json_object_get(json_array_get(paths, 0), "hour")),
	    7200);
	CHECK_STR_EQ(json_string_value(
	                 json_object_get(json_array_get(paths, 0), "host")),
	    "shop.example");
	CHECK_INT_EQ(json_array_size(terms), 1);
	CHECK_STR_EQ(json_string_value(
	                 json_object_get(json_array_get(terms, 0), "term")),
	    "tea");
	json_decref(paths);
	json_decref(terms);
	popular_take(p, &paths, &terms);
	CHECK(paths == NULL && terms == NULL);
	popular_free(&p);
}

static void
test_popularity(void)
{
	struct popularity *p;
	double a, b, c, d;

	CHECK(popularity_new("") == NULL);
	CHECK(popularity_new("{}") == NULL);
	CHECK(popularity_new("not json") == NULL);
	p = popularity_new("{\"/p/1\": 100, \"/search?search=tea\": 7,"
	                   " \"/\": 3, \"/x\": \"no\"}");
	CHECK(p != NULL);
	CHECK_INT_EQ(popularity_len(p), 3);
	CHECK_INT_EQ(popularity_hits(p, "http://a.example/p/1"), 100);
	CHECK_INT_EQ(popularity_hits(p, "http://a.example/p/1?x=1"), 100);
	CHECK_INT_EQ(popularity_hits(p, "http://a.example/search?search=tea"),
	    7);
	CHECK_INT_EQ(popularity_hits(p, "http://a.example"), 3);
	CHECK_INT_EQ(popularity_hits(p, "http://a.example/p/2"), 0);
	popularity_free(&p);

	CHECK_INT_EQ(popularity_level(0), 0);
	CHECK_INT_EQ(popularity_level(1), 1);
	CHECK_INT_EQ(popularity_level(3), 2);
	CHECK_INT_EQ(popularity_level(4), 3);
	CHECK_INT_EQ(popularity_level(UINT64_MAX), POPULARITY_LEVELS - 1);

	/* Priority first: 0.01 more wins over any popularity. */
	a = popularity_sitemap_value(0.81, 0);
	b = popularity_sitemap_value(0.8 + 0.0098, UINT64_MAX);
	CHECK(a > b);
	/* Then popularity, over any lastmod. */
	c = popularity_sitemap_value(0.8 + 0.0098, 0);
	d = popularity_sitemap_value(0.8, 2);
	CHECK(d > c);
	/* Then lastmod. */
	CHECK(popularity_sitemap_value(0.8 + 0.005, 2) > d);
	CHECK(popularity_sitemap_value(0.29, 0) >= 0.29);
	CHECK(popularity_sitemap_value(0.29, 0) < 0.2901);
	/* A crawl: depth first, then popularity. */
	CHECK(popularity_crawl_value(1, 0) > popularity_crawl_value(2, 1e12));
	CHECK(popularity_crawl_value(2, 10) > popularity_crawl_value(2, 1));
	CHECK(popularity_crawl_value(2, 0) == 1.0 / 3);
	CHECK(popularity_crawl_value(20, UINT64_MAX) <
	    popularity_crawl_value(19, 0));
}

int
main(void)
{
	test_topk();
	test_paths();
	test_terms();
	test_count();
	test_popularity();
	return (unit_done());
}
