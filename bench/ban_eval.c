/*
 * How long does stoked take to run one ban over its index?  Builds
 * 1,000,000 synthetic objects (/product/N and /category/N, with x-url and
 * x-host object headers) and times three compiled bans over all of them,
 * next to a plain strncmp() loop over the same URLs in the same run, so
 * that the figure is also a ratio to "the least work one could do".
 *
 * Target: at most 100 ms per ban over 1M objects.  bench/run.sh builds
 * it against the daemon's library, optimised and without sanitizers:
 *
 *   make -C BUILD/bench ban_eval && BUILD/bench/ban_eval
 */

#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "index/ban_expr.h"

#define NOBJ 1000000
#define NRUN 5
#define NOW 1700000000.0
#define NBAN 5

struct bobj {
	const char *url;
	const char *host;
};

static struct bobj *objs;
static struct ban_subject *subjs;

static double
now_mono(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec * 1e-9);
}

/* What an index would do: look the header up by name */
static const char *
bobj_hdr(const void *priv, const char *name)
{
	const struct bobj *o = priv;

	if (strcasecmp(name, "x-url") == 0)
		return (o->url);
	if (strcasecmp(name, "x-host") == 0)
		return (o->host);
	return (NULL);
}

static void
build(void)
{
	char *arena, *p;
	size_t u;

	objs = calloc(NOBJ, sizeof *objs);
	subjs = calloc(NOBJ, sizeof *subjs);
	arena = malloc((size_t)NOBJ * 48);
	if (objs == NULL || subjs == NULL || arena == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	p = arena;
	for (u = 0; u < NOBJ; u++) {
		objs[u].url = p;
		p += sprintf(p, "/%s/%zu", (u & 1) ? "category" : "product",
		         u / 2) +
		    1;
		objs[u].host = p;
		p += sprintf(p, "shop%zu.example.com", u % 4) + 1;
		subjs[u].req_url = objs[u].url;
		subjs[u].req_hdr = NULL;
		subjs[u].obj_hdr = bobj_hdr;
		subjs[u].priv = &objs[u];
		subjs[u].obj_status = (u % 10 == 0) ? 404 : 200;
		subjs[u].t_origin = NOW - (double)(u % 3600);
		subjs[u].ttl = 3600;
		subjs[u].grace = 10;
		subjs[u].keep = 0;
	}
}

/* The peer: a bare prefix compare on the same strings */
static double
time_strncmp(unsigned *nmatch)
{
	double t0, best;
	unsigned n, run;
	size_t u;

	best = 1e9;
	for (run = 0; run < NRUN; run++) {
		t0 = now_mono();
		n = 0;
		for (u = 0; u < NOBJ; u++)
			n += strncmp(objs[u].url, "/product/1", 10) == 0;
		t0 = now_mono() - t0;
		if (t0 < best)
			best = t0;
		*nmatch = n;
	}
	return (best);
}

static double
time_ban(const char *expr, unsigned *nmatch)
{
	struct ban_expr *be;
	char err[256];
	double t0, best;
	unsigned n, run;
	size_t u;

	if (ban_expr_compile(expr, &be, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", expr, err);
		exit(1);
	}
	best = 1e9;
	for (run = 0; run < NRUN; run++) {
		t0 = now_mono();
		n = 0;
		for (u = 0; u < NOBJ; u++)
			n += (unsigned)ban_expr_match(be, &subjs[u], NOW);
		t0 = now_mono() - t0;
		if (t0 < best)
			best = t0;
		*nmatch = n;
	}
	if (ban_expr_match_errors(be) != 0)
		printf("  (%ju match errors)\n",
		    (uintmax_t)ban_expr_match_errors(be));
	ban_expr_free(&be);
	return (best);
}

static void
report(const char *what, double secs, unsigned n, double base)
{
	printf("%7.1f ms %6.1f ns/obj %7u hits ", secs * 1e3, secs * 1e9 / NOBJ,
	    n);
	if (base > 0)
		printf("x%5.1f", secs / base);
	else
		printf("%6s", "");
	printf("  %s\n", what);
}

/* The line of bench/run.sh's table: the slowest ban against the goal */
static void
figure(double worst, double base)
{
	printf("FIGURE\tban_eval\tslowest of %d bans over 1M objects\t"
	       "%.1f\tms\tstrncmp() prefix loop\t%.1f\t%.2f\t"
	       "<= 100 ms\t%s\n",
	    NBAN, worst * 1e3, base * 1e3, worst / base,
	    worst <= 0.100 ? "yes" : "no");
}

int
main(void)
{
	static const char *const bans[] = { "obj.http.x-url ~ ^/product/1",
		"obj.http.x-host == shop1.example.com",
		"obj.http.x-url ~ ^/product/ && "
		"obj.http.x-host == shop2.example.com && obj.status == 200",
		"req.url ~ ^/product/1", "obj.ttl < 10m", NULL };
	double base, t, worst;
	unsigned n, u;

	build();
	printf("%d objects, best of %d runs\n", NOBJ, NRUN);
	base = time_strncmp(&n);
	report("peer: strncmp(url, \"/product/1\", 10)", base, n, 0);
	worst = 0;
	for (u = 0; bans[u] != NULL; u++) {
		t = time_ban(bans[u], &n);
		report(bans[u], t, n, base);
		if (t > worst)
			worst = t;
	}
	assert(u == NBAN);
	figure(worst, base);
	return (0);
}
