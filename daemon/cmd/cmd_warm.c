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
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "core/loop.h"
#include "core/sched_batch.h"
#include "core/url_list.h"
#include "fetch/addr_policy.h"
#include "fetch/fetcher.h"
#include "fetch/origin_guard.h"
#include "node/instance.h"
#include "proto/secret.h"
#include "proto/warm_sig.h"
#include "render/render_pool.h"
#include "sitemap/sitemap_crawl.h"
#include "warm/warm_batch.h"
#include "warm/warm_feed.h"
#include "warm/warm_loop.h"
#include "warm/warm_tap.h"
#include "cmd.h"
#include "cmd_opts.h"

#define MAX_SITEMAPS 16
#define MAX_LOOPS 16
#define MAX_ASSET_HOSTS (RENDER_MAX_HOSTS - 1)

struct cli {
	unsigned magic;
#define CLI_MAGIC 0x3a7c11e0
	struct cmd_common cc;
	const char *sitemaps[MAX_SITEMAPS];
	unsigned nsitemap;
	const char *logs[WB_MAX_NODES]; /* -n after a --node */
	const char *urls_file;
	struct wb_conf wc;
	struct event_base *eb;
	struct fetcher *f;
	struct origin_guard *guard;
	struct warm_batch *job;
	struct sitemap_crawl *crawl[MAX_SITEMAPS];
	struct instance *inst[WB_MAX_NODES];
	unsigned ncrawl, crawling;
	int verbose, quiet;
	unsigned tty;
	unsigned crawl_failed, bad_urls;
	/* --render: each page rendered too, what it pulled in warmed */
	int render;
	struct cmd_render cr;
	struct render_pool *rp;
	const char *asset_hosts[MAX_ASSET_HOSTS];
	unsigned nasset;
	unsigned rendering, listed, closed, render_failed, rendered;
	struct event *tick;
	double last_line;
	/*
	 * --loops N: the job run by this loop's batch (job) and N - 1
	 * more on threads of their own, each with its share of the
	 * concurrency and of the origin's limits, each taking URLs from
	 * the feed as it needs them (through tap, here).
	 */
	unsigned nloop;
	struct warm_feed *feed;
	struct warm_tap *tap;
	struct event *flush_ev; /* what was put, for the loops to take */
	struct warm_loop *loop[MAX_LOOPS - 1];
	unsigned loops_ended, home_ended;
	pthread_mutex_t out_mtx; /* results come from every loop */
};

static void
show_result(void *priv, const struct wb_result *r)
{
	struct cli *c;
	int plain = r->outcome == WO_CACHED || r->outcome == WO_FRESH;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);

	if (c->quiet || (plain && !c->verbose))
		return;
	AZ(pthread_mutex_lock(&c->out_mtx));
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
	AZ(pthread_mutex_unlock(&c->out_mtx));
}

/* The whole job's progress: this loop's and the others'. */
static void
job_progress(struct cli *c, struct wb_progress *p)
{
	struct wb_progress q;
	unsigned i;

	wb_progress(c->job, p);
	for (i = 0; i + 1 < c->nloop; i++) {
		wl_progress(c->loop[i], &q);
		wb_progress_add(p, &q);
	}
	if (c->feed == NULL)
		return;
	/* What the loops have not taken yet counts too. */
	p->total = wf_listed(c->feed) * (c->wc.nnode > 0 ? c->wc.nnode : 1);
	p->listing = !wf_closed(c->feed);
	wb_progress_reckon(p);
}

static void
progress_line(struct cli *c, int final)
{
	struct wb_progress p;
	char eta[32];

	if (c->quiet || c->job == NULL)
		return;
	job_progress(c, &p);
	if (p.eta >= 0)
		snprintf(eta, sizeof eta, ", ETA %.0fs", p.eta);
	else
		snprintf(eta, sizeof eta, "%s", p.listing ? ", listing" : "");
	/* On a terminal the line is left open: a result told from another
	 * loop in between would be written at its end. */
	AZ(pthread_mutex_lock(&c->out_mtx));
	fprintf(stderr, "%s%zu/%zu%s done, %zu failed, %.1f/s%s%s",
	    c->tty ? "\r\033[K" : "", p.done, p.total, p.listing ? "+" : "",
	    p.outcome[WO_FAILED] + p.outcome[WO_TIMEOUT] +
	        p.outcome[WO_ORIGIN_ERROR],
	    p.rate, eta, c->tty && !final ? "" : "\n");
	fflush(stderr);
	AZ(pthread_mutex_unlock(&c->out_mtx));
}

static void
warm_on_tick(evutil_socket_t fd, short what, void *priv)
{
	struct cli *c;
	double now = VTIM_real();

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);

	(void)fd;
	(void)what;
	/* A line a second on a terminal, every ten seconds in a log. */
	if (c->tty || now - c->last_line >= 10) {
		progress_line(c, 0);
		c->last_line = now;
	}
}

/* Every loop's batch has ended: the job is done. */
static void
warm_maybe_end(struct cli *c)
{
	if (c->home_ended && c->loops_ended + 1 == c->nloop)
		event_base_loopbreak(c->eb);
}

static void
warm_on_end(void *priv)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	c->home_ended = 1;
	warm_maybe_end(c);
}

static void
warm_on_loop_end(void *priv)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	c->loops_ended++;
	assert(c->loops_ended < c->nloop);
	warm_maybe_end(c);
}

/* The list is closed once every page is listed and rendered. */
static void
warm_maybe_close(struct cli *c)
{
	if (c->closed || !c->listed || c->crawling > 0 || c->rendering > 0)
		return;
	c->closed = 1;
	if (c->feed != NULL)
		wf_close(c->feed);
	else
		wb_close(c->job);
}

static void
show_render(struct cli *c, const char *url, const struct render_report *r)
{
	char t[5][16];
	const double *v[5] = { &r->t.ttfb, &r->t.dcl, &r->t.load, &r->t.lcp,
		&r->t.tti };
	unsigned u;

	if (c->quiet && r->error == NULL)
		return;
	for (u = 0; u < 5; u++)
		if (*v[u] >= 0)
			snprintf(t[u], sizeof t[u], "%.0f", *v[u]);
		else
			snprintf(t[u], sizeof t[u], "-");
	if (c->tty)
		fputs("\r\033[K", stderr);
	printf("render %s  ttfb %s dcl %s load %s lcp %s tti %s ms, "
	       "%u subrequests (%u hits, %ju bytes), %u blocked, %u popups"
	       ", %.0f ms%s%s\n",
	    url, t[0], t[1], t[2], t[3], t[4], r->nsub, r->sub_hits,
	    (uintmax_t)r->sub_bytes, r->blocked, r->popups, r->elapsed * 1e3,
	    r->error != NULL ? ": " : "", r->error != NULL ? r->error : "");
	fflush(stdout);
}

/* A page rendered: what it pulled in from its hosts is warmed too. */
struct warm_render {
	unsigned magic;
#define WARM_RENDER_MAGIC 0x3a7c11e1
	struct cli *c;
	char *url;
};

static void
warm_on_rendered(void *priv, const struct render_report *r)
{
	struct warm_render *wr;
	struct cli *c;
	unsigned u;

	CAST_OBJ_NOTNULL(wr, priv, WARM_RENDER_MAGIC);
	c = wr->c;
	CHECK_OBJ_NOTNULL(c, CLI_MAGIC);
	show_render(c, wr->url, r);
	c->rendered++;
	if (r->error != NULL)
		c->render_failed++;
	for (u = 0; u < r->nsub; u++)
		(void)wb_add(c->job, r->subs[u].url);
	free(wr->url);
	FREE_OBJ(wr);
	assert(c->rendering > 0);
	c->rendering--;
	warm_maybe_close(c);
}

static void
warm_render(struct cli *c, const char *url)
{
	struct warm_render *wr;
	struct render_req rq;
	const char *why;
	struct addr_url u;
	unsigned i;

	if (addr_url_parse(url, &u, &why) != 0)
		return;
	memset(&rq, 0, sizeof rq);
	rq.url = url;
	rq.node = c->wc.nnode > 0 ? c->wc.nodes[0] : NULL;
	rq.hosts[rq.nhost++] = u.host;
	for (i = 0; i < c->nasset; i++)
		rq.hosts[rq.nhost++] = c->asset_hosts[i];
	for (i = 0; i < c->wc.nhdr; i++)
		rq.hdrs[rq.nhdr++] = c->wc.hdrs[i];
	rq.timeout = c->cr.timeout;
	ALLOC_OBJ(wr, WARM_RENDER_MAGIC);
	AN(wr);
	wr->c = c;
	wr->url = strdup(url);
	AN(wr->url);
	c->rendering++;
	render_pool_submit(c->rp, &rq, warm_on_rendered, wr);
}

/* The loops are woken once for what a sitemap page (say) listed. */
static void
warm_on_flush(evutil_socket_t fd, short what, void *priv)
{
	struct cli *c;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	wf_flush(c->feed);
}

/*
 * A page to warm, and to render with --render.  As wb_add().  With
 * loops, into the feed they take from.
 */
static int
warm_page(struct cli *c, const char *url)
{
	int r;

	if (c->feed != NULL) {
		r = wf_put(c->feed, url);
		if (r > 0)
			event_active(c->flush_ev, EV_TIMEOUT, 0);
		return (r);
	}
	r = wb_add(c->job, url);

	if (r > 0 && c->render)
		warm_render(c, url);
	return (r);
}

static void
crawl_url(void *priv, const char *url, double prio)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);

	(void)prio;
	(void)warm_page(c, url);
}

static void
crawl_note(void *priv, const char *msg)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);

	if (c->quiet)
		return;
	AZ(pthread_mutex_lock(&c->out_mtx));
	if (c->tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "sitemap: %s\n", msg);
	AZ(pthread_mutex_unlock(&c->out_mtx));
}

static void
crawl_done(void *priv, const struct sc_stats *st, const char *err)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);

	AZ(pthread_mutex_lock(&c->out_mtx));
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
	AZ(pthread_mutex_unlock(&c->out_mtx));
	/* The last crawl closes the list. */
	c->crawling--;
	warm_maybe_close(c);
}

/* A URL of --urls-file: one that is not http(s) is told and counted. */
static int
warm_file_url(void *priv, const char *url)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	if (warm_page(c, url) < 0) {
		c->bad_urls++;
		AZ(pthread_mutex_lock(&c->out_mtx));
		fprintf(stderr, "stoked warm: %s: not an http(s) URL: %.200s\n",
		    c->urls_file, url);
		AZ(pthread_mutex_unlock(&c->out_mtx));
	}
	return (0);
}

/* URLs from a file (url_list.h).  -1: unreadable. */
static int
read_urls(struct cli *c)
{
	char err[512];

	CHECK_OBJ_NOTNULL(c, CLI_MAGIC);
	if (url_list_read(c->urls_file, warm_file_url, c, err, sizeof err) !=
	    0) {
		fprintf(stderr, "stoked warm: %s\n", err);
		return (-1);
	}
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

static const char warm_synopsis[] =
    "[OPTIONS] [--node URL [-n NAME]]... [--sitemap URL]...\n"
    "                   [--urls-file F] [URL...]";

static const char warm_about[] =
    "Fetches each URL through each --node (a Varnish listening\n"
    "address, e.g. http://10.0.0.1:6081; without one, the URL itself)\n"
    "with the URL's Host, and says what came of it: cached (with its\n"
    "TTL), fresh (in cache already), uncacheable and why, an origin\n"
    "error, a timeout.\n"
    "--sitemap takes a site (its robots.txt's Sitemap: lines, else\n"
    "/sitemap.xml), a sitemap or a sitemap index, gzip or not.\n"
    "Without a secret, only what is not cached is fetched; with the\n"
    "VCL's secret each request is a signed warm request, refreshed\n"
    "even when cached.  The origin is spared: fewer fetches when it\n"
    "slows down or fails, none while it is down.\n"
    "--render loads each page in headless Chromium as well, through\n"
    "the first --node, scrolled to its end: what it pulls in from its\n"
    "host (and each --asset-host) is warmed too, once, and its\n"
    "timings are said (TTFB, DOMContentLoaded, load, LCP, TTI).\n"
    "Nothing else is fetched for it: other hosts are refused.\n"
    "Exits 0 when every request was warmed or found fresh, 1 when\n"
    "any failed, 2 on bad arguments.\n";

/* --secret S: the secret itself. */
static int
warm_secret(void *priv, const char *arg, char *why, size_t whylen)
{
	struct cli *c;
	size_t len = strlen(arg);

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	if (secret_check(arg, len, why, whylen) != 0)
		return (-1);
	memcpy(c->cc.key, arg, len);
	c->cc.keylen = len;
	return (0);
}

/* --header 'Name: value' */
static int
warm_header(void *priv, const char *arg, char *why, size_t whylen)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	if (c->wc.nhdr == FETCH_MAX_HDRS - 2 || strchr(arg, ':') == NULL ||
	    strpbrk(arg, "\r\n") != NULL) {
		snprintf(why, whylen, "bad --header '%s'", arg);
		return (-1);
	}
	c->wc.hdrs[c->wc.nhdr++] = arg;
	return (0);
}

static int
warm_sitemap(void *priv, const char *arg, char *why, size_t whylen)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	if (c->nsitemap == MAX_SITEMAPS) {
		snprintf(why, whylen, "at most %d --sitemap", MAX_SITEMAPS);
		return (-1);
	}
	c->sitemaps[c->nsitemap++] = arg;
	return (0);
}

/* -n NAME: the log of the --node just before. */
static int
warm_log(void *priv, const char *arg, char *why, size_t whylen)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	if (c->cc.nnode == 0) {
		snprintf(why, whylen,
		    "-n names the log of the --node before it");
		return (-1);
	}
	c->logs[c->cc.nnode - 1] = arg;
	return (0);
}

static int
warm_head(void *priv, const char *arg, char *why, size_t whylen)
{
	struct cli *c;

	(void)arg;
	(void)why;
	(void)whylen;
	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	c->wc.method = "HEAD";
	return (0);
}

static int
warm_asset_host(void *priv, const char *arg, char *why, size_t whylen)
{
	struct cli *c;

	CAST_OBJ_NOTNULL(c, priv, CLI_MAGIC);
	if (c->nasset == MAX_ASSET_HOSTS || *arg == '\0' ||
	    strpbrk(arg, "/:@ ") != NULL) {
		snprintf(why, whylen,
		    "bad --asset-host '%s' (a host name; "
		    "at most %d)",
		    arg, MAX_ASSET_HOSTS);
		return (-1);
	}
	c->asset_hosts[c->nasset++] = arg;
	return (0);
}

/*
 * The command line into c.  0, 1 (--help: exit 0) or 2 (bad usage);
 * *arg0: the first URL operand.
 */
static int
warm_options(struct cli *c, int argc, char **argv, int *arg0)
{
	unsigned i;
	int rv;
	const struct cmd_opt opts[] = {
		CMD_OPT_NODE(&c->cc, "a Varnish to warm (repeatable)"),
		{ "name", 'n', CO_CALL, "NAME", 0, 0, NULL,
		    "check results in the log of the --node before", c,
		    warm_log },
		CMD_OPT_SECRET_FILE(&c->cc),
		{ "secret", 0, CO_CALL, "S", 0, 0, NULL,
		    "the VCL's secret itself", c, warm_secret },
		{ "header", 0, CO_CALL, "'Name: value'", 0, 0, NULL,
		    "a variant input to send (repeatable)", c, warm_header },
		CMD_OPT_CONCURRENCY(&c->cc, "concurrency", "8"),
		CMD_OPT_ORIGIN_MAX(&c->cc, "the concurrency"),
		CMD_OPT_ORIGIN_RATE(&c->cc),
		{ "head", 0, CO_CALL, NULL, 0, 0, NULL, "HEAD, not GET", c,
		    warm_head },
		{ "timeout", 0, CO_REAL, "S", 0.001, 3600, "30",
		    "seconds a request may take", &c->wc.timeout, NULL },
		{ "sitemap", 0, CO_CALL, "URL", 0, 0, NULL,
		    "warm a site from its sitemaps (repeatable)", c,
		    warm_sitemap },
		{ "urls-file", 0, CO_STRING, "F", 0, 0, NULL,
		    "URLs one a line ('-': standard input)", &c->urls_file,
		    NULL },
		{ "render", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "render each page in headless Chromium: warm what it "
		    "pulls in, say its timings",
		    &c->render, NULL },
		{ "asset-host", 0, CO_CALL, "HOST", 0, 0, NULL,
		    "with --render, a host besides the page's whose assets "
		    "are let through and warmed (repeatable)",
		    c, warm_asset_host },
		CMD_OPT_RENDER(&c->cr),
		{ "loops", 0, CO_UINT, "N", 1, MAX_LOOPS, "1",
		    "event loops, a thread each: the URLs, the concurrency "
		    "and the origin's limits shared among them",
		    &c->nloop, NULL },
		{ "verbose", 'v', CO_FLAG, NULL, 0, 0, NULL,
		    "say what came of each URL, cached ones too", &c->verbose,
		    NULL },
		{ "quiet", 'q', CO_FLAG, NULL, 0, 0, NULL,
		    "say only the summary", &c->quiet, NULL },
		CMD_OPT_END,
	};

	/* No --origin-max: the concurrency. */
	c->cc.og.ceiling = 0;
	rv = cmd_opts_parse("warm", warm_synopsis, warm_about, opts, argc, argv,
	    arg0);
	if (rv != 0)
		return (rv);
	if (*arg0 == argc && c->nsitemap == 0 && c->urls_file == NULL) {
		cmd_opts_usage(stderr, "warm", warm_synopsis, warm_about, opts);
		return (2);
	}
	if (c->nloop > c->cc.concurrency) {
		fprintf(stderr,
		    "stoked warm: --loops %u is more than the concurrency "
		    "(%u)\n",
		    c->nloop, c->cc.concurrency);
		return (2);
	}
	for (i = 0; i < c->cc.nnode; i++)
		if (c->nloop > 1 && c->logs[i] != NULL) {
			fprintf(stderr,
			    "stoked warm: --loops with -n: "
			    "the log is read on one loop\n");
			return (2);
		}
	if (c->nloop > 1 && c->render) {
		fprintf(stderr,
		    "stoked warm: --loops with --render: pages "
		    "are rendered from one loop\n");
		return (2);
	}
	c->wc.concurrency = c->cc.concurrency;
	/* show_result() prints no headers. */
	c->wc.no_headers = 1;
	if (c->cc.og.ceiling == 0)
		c->cc.og.ceiling = c->wc.concurrency;
	c->cc.og.initial = c->cc.og.ceiling < 4 ? c->cc.og.ceiling : 4;
	if (c->nloop > c->cc.og.ceiling) {
		fprintf(stderr,
		    "stoked warm: --loops %u is more than --origin-max "
		    "(%u)\n",
		    c->nloop, c->cc.og.ceiling);
		return (2);
	}
	assert(CMD_MAX_NODES <= WB_MAX_NODES);
	for (i = 0; i < c->cc.nnode; i++)
		c->wc.nodes[i] = c->cc.nodes[i];
	c->wc.nnode = c->cc.nnode;
	c->wc.key = c->cc.key;
	c->wc.keylen = c->cc.keylen;
	return (0);
}

/* Loop k's share of the job's conf (wc) and the origin's limits (og). */
static unsigned
share(unsigned total, unsigned n, unsigned k)
{
	return (total / n + (k < total % n));
}

static void
loop_share(const struct cli *c, unsigned k, struct wb_conf *wc,
    struct og_conf *og)
{
	unsigned n = c->nloop;

	assert(k < n);
	*wc = c->wc;
	wc->concurrency = share(c->wc.concurrency, n, k);
	*og = c->cc.og;
	og->ceiling = share(c->cc.og.ceiling, n, k);
	og->initial = share(c->cc.og.initial, n, k);
	/* warm_options() allows no more loops than the ceiling. */
	AN(og->ceiling);
	if (og->initial == 0)
		og->initial = 1;
	og->rate = c->cc.og.rate / n;
	AN(wc->concurrency);
}

int
cmd_warm(int argc, char **argv)
{
	struct wb_progress p;
	struct wb_conf wc;
	struct og_conf og;
	struct timeval tv = { 1, 0 };
	struct render_pool_conf rpc;
	struct sc_conf scc;
	unsigned i;
	struct cli c;
	int rc, arg0;

	INIT_OBJ(&c, CLI_MAGIC);
	cmd_common_init(&c.cc);
	rc = warm_options(&c, argc, argv, &arg0);
	if (rc != 0)
		return (rc == 1 ? 0 : 2);

	/* Before any thread is started: they take its policy. */
	if (sched_batch() != 0 && !c.quiet)
		fprintf(stderr, "stoked warm: not run as SCHED_BATCH: %s\n",
		    strerror(errno));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* A log is polled every millisecond or so; without one, no timer
	 * minds being a clock tick off. */
	for (i = 0; i < c.cc.nnode && c.logs[i] == NULL; i++)
		continue;
	c.eb = i < c.cc.nnode ? loop_new() : loop_new_coarse();
	if (c.eb == NULL) {
		fprintf(stderr, "stoked warm: no event base\n");
		return (1);
	}
	c.tty = isatty(STDERR_FILENO);
	AZ(pthread_mutex_init(&c.out_mtx, NULL));
	loop_share(&c, 0, &wc, &og);
	c.f = fetcher_new(c.eb, wc.concurrency);
	c.guard = og_new(&og);
	fetcher_set_guard(c.f, c.guard);
	if (attach_logs(&c, &c.wc, c.logs) != 0) {
		rc = 1;
		goto out;
	}
	loop_share(&c, 0, &wc, &og);
	c.job = wb_new(c.f, &wc, show_result, warm_on_end, &c);
	if (c.nloop > 1) {
		c.feed = wf_new();
		c.flush_ev = event_new(c.eb, -1, 0, warm_on_flush, &c);
		if (c.feed == NULL || c.flush_ev == NULL ||
		    (c.tap = wt_new(c.feed, c.eb, c.job,
		         WT_LOW(wc.concurrency))) == NULL) {
			fprintf(stderr, "stoked warm: out of memory\n");
			c.nloop = 1;
			rc = 1;
			goto out;
		}
	}
	for (i = 1; i < c.nloop; i++) {
		loop_share(&c, i, &wc, &og);
		c.loop[i - 1] = wl_new(c.eb, c.feed, &wc, &og, show_result,
		    warm_on_loop_end, &c);
		if (c.loop[i - 1] == NULL) {
			fprintf(stderr, "stoked warm: no loop %u\n", i + 1);
			c.nloop = i;
			rc = 1;
			goto out;
		}
	}
	if (c.render) {
		cmd_render_conf(&c.cr, &rpc);
		c.rp = render_pool_new(c.eb, c.f, &rpc);
	}
	/* Bad usage is told before anything is fetched. */
	rc = 0;
	for (i = (unsigned)arg0; i < (unsigned)argc; i++)
		if (!wb_url_ok(argv[i])) {
			fprintf(stderr, "stoked warm: not an http(s) URL: %s\n",
			    argv[i]);
			rc = 2;
		}
	memset(&scc, 0, sizeof scc);
	for (i = 0; rc == 0 && i < c.nsitemap; i++) {
		scc.start = c.sitemaps[i];
		/* Sitemaps through the first node: the site may live
		 * behind it under a name only it knows. */
		scc.node = c.wc.nnode > 0 ? c.wc.nodes[0] : NULL;
		c.crawling++;
		c.crawl[c.ncrawl] =
		    sc_new(c.f, &scc, crawl_url, crawl_note, crawl_done, &c);
		if (c.crawl[c.ncrawl] == NULL) {
			c.crawling--;
			fprintf(stderr, "stoked warm: bad --sitemap %s\n",
			    c.sitemaps[i]);
			rc = 2;
		} else {
			c.ncrawl++;
		}
	}
	/* Before the list is read: the loops take URLs as they come. */
	for (i = 0; rc == 0 && i + 1 < c.nloop; i++)
		if (wl_start(c.loop[i]) != 0) {
			fprintf(stderr, "stoked warm: no thread for loop %u\n",
			    i + 2);
			rc = 1;
		}
	for (i = (unsigned)arg0; rc == 0 && i < (unsigned)argc; i++)
		(void)warm_page(&c, argv[i]);
	if (rc == 0 && c.urls_file != NULL && read_urls(&c) != 0)
		rc = 2;
	if (rc == 0) {
		c.listed = 1;
		warm_maybe_close(&c);
		c.tick = event_new(c.eb, -1, EV_PERSIST, warm_on_tick, &c);
		(void)event_add(c.tick, &tv);
		c.last_line = VTIM_real();
		/* The other loops' ends come through this one. */
		if (!c.closed || !c.home_ended || c.nloop > 1)
			(void)event_base_dispatch(c.eb);
		progress_line(&c, 1);
		job_progress(&c, &p);
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
		if (c.render)
			printf("%u pages rendered, %u of them not in full\n",
			    c.rendered, c.render_failed);
		if (c.crawl_failed > 0 || c.bad_urls > 0 || c.render_failed > 0)
			rc = 1;
	}
out:
	/* The job before the fetcher: the fetcher reports to it. */
	for (i = 0; i < c.ncrawl; i++)
		sc_free(&c.crawl[i]);
	for (i = 0; i + 1 < c.nloop; i++)
		if (c.loop[i] != NULL)
			wl_free(&c.loop[i]);
	/* The pool before the fetcher too: its pages fetch on it. */
	if (c.rp != NULL)
		render_pool_free(&c.rp);
	if (c.tap != NULL)
		wt_free(&c.tap);
	wb_free(&c.job);
	fetcher_free(&c.f);
	og_free(&c.guard);
	for (i = 0; i < c.wc.nnode; i++)
		instance_free(&c.inst[i]);
	if (c.tick != NULL)
		event_free(c.tick);
	if (c.flush_ev != NULL)
		event_free(c.flush_ev);
	if (c.feed != NULL)
		wf_free(&c.feed);
	event_base_free(c.eb);
	AZ(pthread_mutex_destroy(&c.out_mtx));
	memset(c.cc.key, 0, sizeof c.cc.key);
	curl_global_cleanup();
	return (rc);
}
