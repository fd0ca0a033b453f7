/*
 * stoked warm: warm URLs, or a whole site from its sitemaps, through
 * each Varnish node now, and say what came of each.
 *
 *   stoked warm --node http://10.0.0.1:6081 --node http://10.0.0.2:6081 \
 *       --sitemap https://shop.example/
 *
 * Each node is a cache of its own: warming through the load balancer
 * would warm one of them.  The URL gives the Host and path; the node,
 * where to connect.  Without a secret only what is missing is fetched
 * (what is cached is "fresh"); with the VCL's secret every URL is
 * refreshed as a signed warm request.
 */

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "vdef.h"
#include "vtim.h"

#include "fetch/fetcher.h"
#include "fetch/origin_guard.h"
#include "node/instance.h"
#include "proto/secret.h"
#include "proto/warm_sig.h"
#include "sitemap/sitemap_crawl.h"
#include "warm/warm_batch.h"
#include "cmd.h"

#define MAX_SITEMAPS 16

struct cli {
	struct event_base *eb;
	struct fetcher *f;
	struct origin_guard *guard;
	struct warm_batch *job;
	struct sitemap_crawl *crawl[MAX_SITEMAPS];
	struct instance *inst[WB_MAX_NODES];
	unsigned ncrawl, crawling;
	unsigned verbose, quiet, tty;
	unsigned crawl_failed, bad_urls;
	struct event *tick;
	double last_line;
};

static void
show_result(void *priv, const struct wb_result *r)
{
	struct cli *c = priv;
	int plain = r->outcome == WO_CACHED || r->outcome == WO_FRESH;

	if (c->quiet || (plain && !c->verbose))
		return;
	if (c->tty)
		fputs("\r\033[K", stderr);
	printf("%3ld %-12s %7.1f ms  %s%s%s", r->status,
	    warm_outcome_name[r->outcome], r->time * 1e3, r->url,
	    r->node != NULL ? " via " : "", r->node != NULL ? r->node : "");
	if (r->ttl >= 0)
		printf("  ttl %.0fs", r->ttl);
	if (r->reason != NULL)
		printf("  (%s)", r->reason);
	if (r->attempts > 1)
		printf("  [%u tries]", r->attempts);
	printf("\n");
	fflush(stdout);
}

static void
progress_line(struct cli *c, int final)
{
	struct wb_progress p;
	char eta[32];

	if (c->quiet || c->job == NULL)
		return;
	wb_progress(c->job, &p);
	if (p.eta >= 0)
		snprintf(eta, sizeof eta, ", ETA %.0fs", p.eta);
	else
		snprintf(eta, sizeof eta, "%s", p.listing ? ", listing" : "");
	fprintf(stderr, "%s%zu/%zu%s done, %zu failed, %.1f/s%s%s",
	    c->tty ? "\r\033[K" : "", p.done, p.total, p.listing ? "+" : "",
	    p.outcome[WO_FAILED] + p.outcome[WO_TIMEOUT] +
	        p.outcome[WO_ORIGIN_ERROR],
	    p.rate, eta, c->tty && !final ? "" : "\n");
	fflush(stderr);
}

static void
on_tick(evutil_socket_t fd, short what, void *priv)
{
	struct cli *c = priv;
	double now = VTIM_real();

	(void)fd;
	(void)what;
	/* A line a second on a terminal, every ten seconds in a log. */
	if (c->tty || now - c->last_line >= 10) {
		progress_line(c, 0);
		c->last_line = now;
	}
}

static void
on_end(void *priv)
{
	struct cli *c = priv;

	event_base_loopbreak(c->eb);
}

static void
crawl_url(void *priv, const char *url, double prio)
{
	struct cli *c = priv;

	(void)prio;
	(void)wb_add(c->job, url);
}

static void
crawl_note(void *priv, const char *msg)
{
	struct cli *c = priv;

	if (c->quiet)
		return;
	if (c->tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "sitemap: %s\n", msg);
}

static void
crawl_done(void *priv, const struct sc_stats *st, const char *err)
{
	struct cli *c = priv;

	if (err != NULL) {
		c->crawl_failed++;
		/* Failures were told as they came; not this one. */
		if (st->failed == 0)
			fprintf(stderr, "%ssitemap: %s\n",
			    c->tty ? "\r\033[K" : "", err);
	}
	if (!c->quiet)
		fprintf(stderr,
		    "%ssitemap: %u read, %u failed, %zu URLs, %zu left "
		    "out\n",
		    c->tty ? "\r\033[K" : "", st->sitemaps, st->failed,
		    st->urls, st->rejected);
	/* The last crawl closes the list. */
	if (--c->crawling == 0)
		wb_close(c->job);
}

/* URLs from a file, one a line; '#' starts a comment.  -1: unreadable. */
static int
read_urls(struct cli *c, const char *path)
{
	char *line = NULL, *p, *e;
	size_t cap = 0;
	FILE *f;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (f == NULL) {
		fprintf(stderr, "stoked warm: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	while (getline(&line, &cap, f) >= 0) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			continue;
		e = p + strcspn(p, "#\r\n");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (*p == '\0')
			continue;
		if (wb_add(c->job, p) < 0) {
			c->bad_urls++;
			fprintf(stderr,
			    "stoked warm: %s: not an http(s) URL: %.200s\n",
			    path, p);
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return (0);
}

/*
 * -n: read those nodes' logs, and wait (5 s at most) until each is
 * attached, so that no request goes out before its log is read.
 */
static int
attach_logs(struct cli *c, struct wb_conf *wc, const char *const *logs)
{
	double deadline = VTIM_real() + 5;
	unsigned i, all;

	for (i = 0; i < wc->nnode; i++)
		if (logs[i] != NULL) {
			/* An index is not needed: a small one will do. */
			c->inst[i] =
			    instance_new(c->eb, logs[i], 1 << 20, NULL);
			wc->verify[i] = instance_verify(c->inst[i]);
		}
	do {
		all = 1;
		for (i = 0; i < wc->nnode; i++)
			if (c->inst[i] != NULL &&
			    !instance_attached(c->inst[i]))
				all = 0;
		if (all)
			return (0);
	} while (
	    event_base_loop(c->eb, EVLOOP_ONCE) == 0 && VTIM_real() < deadline);
	for (i = 0; i < wc->nnode; i++)
		if (c->inst[i] != NULL && !instance_attached(c->inst[i]))
			fprintf(stderr,
			    "stoked warm: cannot read the log of -n %s\n",
			    logs[i]);
	return (-1);
}

static void
warm_usage(FILE *f)
{
	fprintf(f,
	    "usage: stoked warm [--node URL]... [--secret-file F | --secret "
	    "S]\n"
	    "                   [--header 'Name: value']... [--concurrency N]\n"
	    "                   [--origin-max N] [--origin-rate R] [--head]\n"
	    "                   [--timeout S] [--verbose | --quiet]\n"
	    "                   [--node URL -n NAME]...\n"
	    "                   [--sitemap URL]... [--urls-file F] [URL...]\n"
	    "\n"
	    "Fetches each URL through each --node (a Varnish listening\n"
	    "address, e.g. http://10.0.0.1:6081; without one, the URL itself)\n"
	    "with the URL's Host, and says what came of it: cached (with its\n"
	    "TTL), fresh (in cache already), uncacheable and why, an origin\n"
	    "error, a timeout.\n"
	    "--sitemap takes a site (its robots.txt's Sitemap: lines, else\n"
	    "/sitemap.xml), a sitemap or a sitemap index, gzip or not.\n"
	    "--urls-file reads URLs one a line ('-': standard input).\n"
	    "Without a secret, only what is not cached is fetched; with the\n"
	    "VCL's secret each request is a signed warm request, refreshed\n"
	    "even when cached.  --header adds a variant input (a cookie, a\n"
	    "device header).  The origin is spared: at most --concurrency (8)\n"
	    "requests in flight, at most --origin-max (the concurrency) and\n"
	    "--origin-rate a second (no limit) per origin, fewer when it\n"
	    "slows down or fails, none while it is down.\n"
	    "-n NAME (after a --node) reads that varnishd's log, so that each\n"
	    "result is checked against the request's own transaction.\n"
	    "Exits 0 when every request was warmed or found fresh, 1 when\n"
	    "any failed, 2 on bad arguments.\n");
}

static int
num_arg(const char *opt, const char *arg, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(arg, &end, 10);
	if (errno || *end != '\0' || *out < min || *out > max) {
		fprintf(stderr, "stoked warm: --%s must be %ld to %ld\n", opt,
		    min, max);
		return (-1);
	}
	return (0);
}

int
cmd_warm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'D' },
		{ "secret", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, 'f' },
		{ "header", required_argument, NULL, 'H' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "origin-max", required_argument, NULL, 'O' },
		{ "origin-rate", required_argument, NULL, 'R' },
		{ "head", no_argument, NULL, 'I' },
		{ "timeout", required_argument, NULL, 't' },
		{ "sitemap", required_argument, NULL, 'S' },
		{ "urls-file", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sitemaps[MAX_SITEMAPS], *urls_file = NULL;
	const char *logs[WB_MAX_NODES] = { NULL };
	char key[WARM_KEY_MAX + 1], err[256], *end;
	struct wb_progress p;
	struct timeval tv = { 1, 0 };
	struct sc_conf scc;
	struct og_conf ogc;
	struct wb_conf wc;
	unsigned nsitemap = 0, i;
	struct cli c;
	size_t keylen = 0;
	long v;
	int ch, rc;

	memset(&c, 0, sizeof c);
	memset(&wc, 0, sizeof wc);
	og_conf_default(&ogc);
	ogc.ceiling = 0; /* none given: the concurrency, below */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "hvqn:", opts, NULL)) != -1) {
		switch (ch) {
		case 'D':
			if (wc.nnode == WB_MAX_NODES) {
				fprintf(stderr,
				    "stoked warm: too many nodes\n");
				return (2);
			}
			wc.nodes[wc.nnode++] = optarg;
			break;
		case 's':
			if (secret_check(optarg, strlen(optarg), err,
			        sizeof err) != 0) {
				fprintf(stderr, "stoked warm: %s\n", err);
				return (2);
			}
			keylen = strlen(optarg);
			memcpy(key, optarg, keylen);
			break;
		case 'f':
			if (secret_read_file(optarg, key, sizeof key, &keylen,
			        err, sizeof err) != 0) {
				fprintf(stderr, "stoked warm: %s\n", err);
				return (2);
			}
			break;
		case 'H':
			if (wc.nhdr == FETCH_MAX_HDRS - 2 ||
			    strchr(optarg, ':') == NULL ||
			    strpbrk(optarg, "\r\n") != NULL) {
				fprintf(stderr,
				    "stoked warm: bad --header '%s'\n", optarg);
				return (2);
			}
			wc.hdrs[wc.nhdr++] = optarg;
			break;
		case 'c':
			if (num_arg("concurrency", optarg, 1, 1024, &v) != 0)
				return (2);
			wc.concurrency = (unsigned)v;
			break;
		case 'O':
		case 'R':
			if (og_conf_option(&ogc,
			        ch == 'O' ? "origin-max" : "origin-rate",
			        optarg, err, sizeof err) != 0) {
				fprintf(stderr, "stoked warm: %s\n", err);
				return (2);
			}
			break;
		case 'I':
			wc.method = "HEAD";
			break;
		case 't':
			wc.timeout = strtod(optarg, &end);
			if (*end != '\0' ||
			    !(wc.timeout > 0 && wc.timeout <= 3600)) {
				fprintf(stderr, "stoked warm: bad --timeout\n");
				return (2);
			}
			break;
		case 'S':
			if (nsitemap == MAX_SITEMAPS) {
				fprintf(stderr,
				    "stoked warm: at most %d --sitemap\n",
				    MAX_SITEMAPS);
				return (2);
			}
			sitemaps[nsitemap++] = optarg;
			break;
		case 'u':
			urls_file = optarg;
			break;
		case 'n':
			if (wc.nnode == 0) {
				fprintf(stderr,
				    "stoked warm: -n names the log of the "
				    "--node before it\n");
				return (2);
			}
			logs[wc.nnode - 1] = optarg;
			break;
		case 'v':
			c.verbose = 1;
			break;
		case 'q':
			c.quiet = 1;
			break;
		case 'h':
			warm_usage(stdout);
			return (0);
		default:
			warm_usage(stderr);
			return (2);
		}
	}
	if (optind == argc && nsitemap == 0 && urls_file == NULL) {
		warm_usage(stderr);
		return (2);
	}
	if (wc.concurrency == 0)
		wc.concurrency = 8;
	/* No --origin-max: the concurrency. */
	if (ogc.ceiling == 0)
		ogc.ceiling = wc.concurrency;
	ogc.initial = ogc.ceiling < 4 ? ogc.ceiling : 4;
	wc.key = key;
	wc.keylen = keylen;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	c.eb = event_base_new();
	if (c.eb == NULL) {
		fprintf(stderr, "stoked warm: no event base\n");
		return (1);
	}
	c.tty = isatty(STDERR_FILENO);
	c.f = fetcher_new(c.eb, wc.concurrency);
	c.guard = og_new(&ogc);
	fetcher_set_guard(c.f, c.guard);
	if (attach_logs(&c, &wc, logs) != 0) {
		rc = 1;
		goto out;
	}
	c.job = wb_new(c.f, &wc, show_result, on_end, &c);
	rc = 0;
	for (i = optind; i < (unsigned)argc; i++)
		if (wb_add(c.job, argv[i]) < 0) {
			fprintf(stderr, "stoked warm: not an http(s) URL: %s\n",
			    argv[i]);
			rc = 2;
		}
	if (rc == 0 && urls_file != NULL && read_urls(&c, urls_file) != 0)
		rc = 2;
	memset(&scc, 0, sizeof scc);
	for (i = 0; rc == 0 && i < nsitemap; i++) {
		scc.start = sitemaps[i];
		/* Sitemaps through the first node: the site may live
		 * behind it under a name only it knows. */
		scc.node = wc.nnode > 0 ? wc.nodes[0] : NULL;
		c.crawling++;
		c.crawl[c.ncrawl] =
		    sc_new(c.f, &scc, crawl_url, crawl_note, crawl_done, &c);
		if (c.crawl[c.ncrawl] == NULL) {
			c.crawling--;
			fprintf(stderr, "stoked warm: bad --sitemap %s\n",
			    sitemaps[i]);
			rc = 2;
		} else {
			c.ncrawl++;
		}
	}
	if (rc == 0) {
		if (c.crawling == 0)
			wb_close(c.job);
		c.tick = event_new(c.eb, -1, EV_PERSIST, on_tick, &c);
		(void)event_add(c.tick, &tv);
		c.last_line = VTIM_real();
		wb_progress(c.job, &p);
		if (p.listing || p.done < p.total)
			(void)event_base_dispatch(c.eb);
		progress_line(&c, 1);
		wb_progress(c.job, &p);
		printf("%zu requests in %.2f s: %zu cached, %zu fresh, %zu "
		       "uncacheable, %zu origin errors, %zu timeouts, %zu "
		       "failed\n",
		    p.done, p.elapsed, p.outcome[WO_CACHED],
		    p.outcome[WO_FRESH], p.outcome[WO_UNCACHEABLE],
		    p.outcome[WO_ORIGIN_ERROR], p.outcome[WO_TIMEOUT],
		    p.outcome[WO_FAILED]);
		if (p.verified > 0)
			printf("%zu of them checked in Varnish's log\n",
			    p.verified);
		if (p.outcome[WO_ORIGIN_ERROR] + p.outcome[WO_TIMEOUT] +
		        p.outcome[WO_FAILED] >
		    0)
			rc = 1;
		if (c.crawl_failed > 0 || c.bad_urls > 0)
			rc = 1;
	}
out:
	/* The job before the fetcher: the fetcher reports to it. */
	for (i = 0; i < c.ncrawl; i++)
		sc_free(&c.crawl[i]);
	wb_free(&c.job);
	fetcher_free(&c.f);
	og_free(&c.guard);
	for (i = 0; i < wc.nnode; i++)
		instance_free(&c.inst[i]);
	if (c.tick != NULL)
		event_free(c.tick);
	event_base_free(c.eb);
	memset(key, 0, sizeof key);
	curl_global_cleanup();
	return (rc);
}
