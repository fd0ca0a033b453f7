/*
 * stoked run: watch one or more varnishd instances and serve the API.
 */

#include "config.h"

#include <assert.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api/http_api.h"
#include "api/routes.h"
#include "core/loop.h"
#include "fetch/origin_guard.h"
#include "node/instance.h"
#include "proto/secret.h"
#include "proto/warm_sig.h"
#include "sitemap/sitemap_jobs.h"
#include "store/db_url.h"
#include "store/pg_embed.h"
#include "store/pg_pool.h"
#include "store/result_store.h"
#include "store/retention.h"
#include "warm/rewarm.h"
#include "cmd.h"

#define MAX_INSTANCES 16

/* --warm-sitemap: a job now, and every --warm-every seconds. */
struct schedule {
	const char *url;
	double every;
	struct sitemap_jobs *jobs;
	struct event *ev;
};

static void
on_schedule(evutil_socket_t fd, short what, void *priv)
{
	struct schedule *s = priv;
	struct timeval tv;
	char why[256];
	unsigned id;

	(void)fd;
	(void)what;
	id = sj_start(s->jobs, s->url, 0, "schedule", why, sizeof why);
	if (id == 0)
		fprintf(stderr, "stoked: warm job for %s: %s\n", s->url, why);
	else
		printf("stoked: warm job %u: %s\n", id, s->url);
	fflush(stdout);
	if (s->every > 0) {
		tv.tv_sec = (time_t)s->every;
		tv.tv_usec = 0;
		(void)event_add(s->ev, &tv);
	}
}

/*
 * Where results are stored, as db_url_choose() says: the embedded
 * PostgreSQL is started unless it runs (*started then says so); migrated
 * in any case.  It blocks: before the loop.  The URL, or NULL (said why).
 */
static const char *
database(const char *url_opt, const char *state_opt, struct pg_embed **pe,
    int *started)
{
	char dir[PATH_MAX], err[1024], masked[512];
	const char *url;

	*started = 0;
	if (db_url_choose(url_opt, state_opt, &url, dir, sizeof dir, err,
	        sizeof err) != 0) {
		fprintf(stderr, "stoked run: %s\n", err);
		return (NULL);
	}
	if (url == NULL) {
		if ((*pe = pg_embed_new(dir, err, sizeof err)) == NULL ||
		    pg_embed_start(*pe, started, err, sizeof err) != 0) {
			fprintf(stderr, "stoked run: %s\n", err);
			return (NULL);
		}
		url = pg_embed_url(*pe);
		printf("stoked: %s the embedded PostgreSQL in %s\n",
		    *started ? "started" : "using", pg_embed_data_dir(*pe));
	}
	db_url_mask(url, masked, sizeof masked);
	printf("stoked: storing results in %s\n", masked);
	fflush(stdout);
	if (cmd_migrate_url("run", url) != 0)
		return (NULL);
	return (url);
}

static void
run_usage(FILE *f)
{
	fprintf(f,
	    "usage: stoked run [-n NAME [--node URL]]... [--listen ADDR:PORT]\n"
	    "                  [--index-mb MB] [--secret-file F] "
	    "[--warm-concurrency N]\n"
	    "                  [--refresh-before S] [--refresh-popularity P]\n"
	    "                  [--origin-max N] [--origin-rate R]\n"
	    "                  [--warm-sitemap URL [--warm-every S]]\n"
	    "                  [--database-url URL | --state-dir DIR | "
	    "--no-database]\n"
	    "                  [--db-buffer ROWS] [--prune-every S]\n"
	    "\n"
	    "Watches the log of each varnishd -n NAME (the default instance\n"
	    "when none is given) and serves the API and /metrics on\n"
	    "--listen (default 127.0.0.1:6086; port 0 picks a free one).\n"
	    "Each instance's index of cached objects is kept within\n"
	    "--index-mb megabytes (256), evicting the least popular.\n"
	    "With --node (where that varnishd listens, e.g.\n"
	    "http://127.0.0.1:6081) and the VCL's --secret-file, what the\n"
	    "instance loses to purges, bans and tag invalidations is fetched\n"
	    "again at once, --warm-concurrency (8) at a time; and objects\n"
	    "at least --refresh-popularity popular (a fetch counts 1, each\n"
	    "hit 1, halving every hour: 1.5, the default, is hit lately) are\n"
	    "refreshed --refresh-before (10) seconds before their TTL ends\n"
	    "(0: never).  Each origin (by Host) gets fetches in flight as\n"
	    "its answers allow, never more than --origin-max (16), at most\n"
	    "--origin-rate (no limit) a second; errors and slow answers\n"
	    "halve that, Retry-After pauses it, an origin that is down gets\n"
	    "one probe at a time until it answers.\n"
	    "Sitemap warm jobs (a site, from its robots.txt and sitemaps)\n"
	    "run through the same nodes: POST /api/v1/jobs\n"
	    "{\"sitemap\": URL}, or --warm-sitemap at start and every\n"
	    "--warm-every seconds.\n"
	    "Jobs, the invalidations re-warmed after and every result are\n"
	    "stored in PostgreSQL: --database-url (or $STOKE_DATABASE_URL),\n"
	    "else an embedded server of stoked's own in --state-dir\n"
	    "(see 'stoked db'), started if need be and stopped at exit;\n"
	    "--no-database stores nothing.  While the database is away,\n"
	    "results wait in memory, --db-buffer (200000) rows at most.\n"
	    "Every --prune-every (300) seconds, page results older than\n"
	    "their project's plan keeps them are deleted, in batches.\n");
}

int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "index-mb", required_argument, NULL, 'm' },
		{ "node", required_argument, NULL, 'N' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "warm-concurrency", required_argument, NULL, 'c' },
		{ "refresh-before", required_argument, NULL, 'r' },
		{ "refresh-popularity", required_argument, NULL, 'p' },
		{ "origin-max", required_argument, NULL, 'O' },
		{ "origin-rate", required_argument, NULL, 'R' },
		{ "warm-sitemap", required_argument, NULL, 'W' },
		{ "warm-every", required_argument, NULL, 'E' },
		{ "database-url", required_argument, NULL, 'D' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "no-database", no_argument, NULL, 'X' },
		{ "db-buffer", required_argument, NULL, 'B' },
		{ "prune-every", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *names[MAX_INSTANCES], *nodes[MAX_INSTANCES];
	const char *listen = "127.0.0.1:6086";
	char key[WARM_KEY_MAX + 1];
	struct rewarm_conf rc[MAX_INSTANCES];
	size_t keylen = 0;
	long warm_conc = 8;
	double refresh_before = 10, refresh_pop = 1.5;
	struct instance *inst[MAX_INSTANCES];
	struct event_base *eb;
	struct http_api *api;
	struct api_ctx actx;
	struct origin_guard *guard;
	struct og_conf ogc;
	struct sitemap_jobs *jobs;
	struct sj_conf jc;
	struct schedule sched;
	struct event *sched_ev = NULL;
	struct timeval tv = { 0, 0 };
	const char *db_opt = NULL, *state_opt = NULL, *db = NULL;
	struct pg_embed *pe = NULL;
	struct pg_pool *pool = NULL;
	struct result_store *store = NULL;
	struct rs_conf rsc;
	struct retention *ret = NULL;
	double prune_every = 300;
	int no_db = 0, db_started = 0, stopped;
	unsigned n = 0, i;
	long index_mb = 256, v;
	char err[256], *end;
	int c;

	og_conf_default(&ogc);
	memset(&sched, 0, sizeof sched);
	memset(&jc, 0, sizeof jc);
	memset(&rsc, 0, sizeof rsc);
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:l:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (n == MAX_INSTANCES) {
				fprintf(stderr, "stoked run: at most %d -n\n",
				    MAX_INSTANCES);
				return (2);
			}
			nodes[n] = NULL;
			names[n++] = optarg;
			break;
		case 'N':
			/* The node of the instance named just before. */
			if (n == 0) {
				nodes[0] = NULL;
				names[n++] = NULL;
			}
			nodes[n - 1] = optarg;
			break;
		case 's':
			if (secret_read_file(optarg, key, sizeof key, &keylen,
			        err, sizeof err) != 0) {
				fprintf(stderr, "stoked run: %s\n", err);
				return (2);
			}
			break;
		case 'c':
			warm_conc = strtol(optarg, &end, 10);
			if (*end != '\0' || warm_conc < 1 || warm_conc > 1024) {
				fprintf(stderr,
				    "stoked run: --warm-concurrency "
				    "must be 1 to 1024\n");
				return (2);
			}
			break;
		case 'l':
			listen = optarg;
			break;
		case 'm':
			index_mb = strtol(optarg, &end, 10);
			if (*end != '\0' || index_mb < 1 ||
			    index_mb > 1048576) {
				fprintf(stderr,
				    "stoked run: --index-mb must be "
				    "1 to 1048576\n");
				return (2);
			}
			break;
		case 'r':
			refresh_before = strtod(optarg, &end);
			if (*end != '\0' ||
			    !(refresh_before >= 0 && refresh_before <= 86400)) {
				fprintf(stderr,
				    "stoked run: --refresh-before "
				    "must be 0 to 86400 seconds\n");
				return (2);
			}
			break;
		case 'p':
			refresh_pop = strtod(optarg, &end);
			if (*end != '\0' || !(refresh_pop >= 0)) {
				fprintf(stderr,
				    "stoked run: bad "
				    "--refresh-popularity\n");
				return (2);
			}
			break;
		case 'O':
		case 'R':
			if (og_conf_option(&ogc,
			        c == 'O' ? "origin-max" : "origin-rate", optarg,
			        err, sizeof err) != 0) {
				fprintf(stderr, "stoked run: %s\n", err);
				return (2);
			}
			break;
		case 'W':
			sched.url = optarg;
			break;
		case 'E':
			sched.every = strtod(optarg, &end);
			if (*end != '\0' ||
			    !(sched.every >= 60 && sched.every <= 86400 * 7)) {
				fprintf(stderr,
				    "stoked run: --warm-every must be 60 "
				    "to 604800 seconds\n");
				return (2);
			}
			break;
		case 'D':
			db_opt = optarg;
			break;
		case 'S':
			state_opt = optarg;
			break;
		case 'X':
			no_db = 1;
			break;
		case 'B':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 100000000) {
				fprintf(stderr,
				    "stoked run: --db-buffer must be 1 to "
				    "100000000 rows\n");
				return (2);
			}
			rsc.max_rows = (size_t)v;
			break;
		case 'P':
			prune_every = strtod(optarg, &end);
			if (*end != '\0' ||
			    !(prune_every >= 1 && prune_every <= 86400)) {
				fprintf(stderr,
				    "stoked run: --prune-every must be 1 to "
				    "86400 seconds\n");
				return (2);
			}
			break;
		case 'h':
			run_usage(stdout);
			return (0);
		default:
			run_usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		run_usage(stderr);
		return (2);
	}
	if (db_opt != NULL && state_opt != NULL) {
		fprintf(stderr,
		    "stoked run: --database-url or --state-dir, not both\n");
		return (2);
	}
	if (no_db && (db_opt != NULL || state_opt != NULL)) {
		fprintf(stderr,
		    "stoked run: --no-database with a database option\n");
		return (2);
	}
	if (n == 0) {
		nodes[0] = NULL;
		names[n++] = NULL;
	}
	for (i = 0; i < n; i++) {
		if (nodes[i] != NULL && keylen == 0) {
			fprintf(stderr,
			    "stoked run: re-warming through --node "
			    "needs --secret-file (the VCL's secret)\n");
			return (2);
		}
		memset(&rc[i], 0, sizeof rc[i]);
		rc[i].node = nodes[i];
		rc[i].key = key;
		rc[i].keylen = keylen;
		rc[i].concurrency = (unsigned)warm_conc;
		rc[i].refresh_before = refresh_before;
		rc[i].refresh_popularity = refresh_pop;
	}

	eb = event_base_new();
	if (eb == NULL) {
		fprintf(stderr, "stoked run: no event base\n");
		return (1);
	}
	api = http_api_new(eb, listen, err, sizeof err);
	if (api == NULL) {
		fprintf(stderr, "stoked run: %s\n", err);
		event_base_free(eb);
		return (1);
	}
	if (!no_db) {
		db = database(db_opt, state_opt, &pe, &db_started);
		if (db == NULL) {
			if (db_started)
				(void)pg_embed_stop(pe, &stopped, err,
				    sizeof err);
			pg_embed_free(&pe);
			http_api_free(&api);
			event_base_free(eb);
			return (1);
		}
		/* One connection writes, one answers the API; the URL
		 * parses, since the migration just used it. */
		pool = pg_pool_new(eb, db, 2, err, sizeof err);
		assert(pool != NULL);
		store = rs_new(eb, pool, &rsc);
		http_api_metrics(api, rs_metrics, store);
		ret = retention_new(eb, pool, prune_every, 5000);
		http_api_metrics(api, retention_metrics, ret);
		rs_watch_jobs(store, &jc);
	}
	/* One for all instances: N nodes in front of one origin. */
	guard = og_new(&ogc);
	for (i = 0; i < n; i++) {
		rc[i].guard = guard;
		inst[i] =
		    instance_new(eb, names[i], (size_t)index_mb * 1024 * 1024,
		        nodes[i] != NULL ? &rc[i] : NULL);
		http_api_metrics(api, instance_metrics, inst[i]);
		if (store != NULL)
			rs_watch_instance(store, inst[i]);
	}
	for (i = 0; i < n; i++)
		if (nodes[i] != NULL) {
			jc.verify[jc.nnode] = instance_verify(inst[i]);
			jc.nodes[jc.nnode++] = nodes[i];
		}
	jc.key = key;
	jc.keylen = keylen;
	jc.concurrency = (unsigned)warm_conc;
	jobs = sj_new(eb, guard, &jc);
	actx = (struct api_ctx){ .magic = API_CTX_MAGIC,
		.inst = inst,
		.ninst = n,
		.guard = guard,
		.jobs = jobs,
		.pool = pool };
	api_routes_register(api, &actx);
	if (sched.url != NULL) {
		sched.jobs = jobs;
		sched_ev = event_new(eb, -1, 0, on_schedule, &sched);
		sched.ev = sched_ev;
		assert(sched_ev != NULL);
		/* The first run once the loop runs, so that it is logged. */
		(void)event_add(sched_ev, &tv);
	}
	printf("stoked listening on %.*s:%u\n",
	    (int)(strrchr(listen, ':') - listen), listen, http_api_port(api));
	fflush(stdout);

	if (loop_run(eb) != 0)
		fprintf(stderr, "stoked: the event loop failed\n");
	http_api_free(&api);
	if (sched_ev != NULL)
		event_free(sched_ev);
	/* Jobs stop before the guard they report to goes. */
	sj_free(&jobs);
	for (i = 0; i < n; i++)
		instance_free(&inst[i]);
	/* What waits is written while the loop runs a little longer. */
	if (store != NULL)
		(void)rs_drain(store, 10);
	if (pool != NULL)
		pg_pool_free(&pool);
	if (store != NULL)
		rs_free(&store);
	retention_free(&ret);
	event_base_free(eb);
	og_free(&guard);
	memset(key, 0, sizeof key);
	if (db_started && pg_embed_stop(pe, &stopped, err, sizeof err) != 0)
		fprintf(stderr, "stoked run: %s\n", err);
	pg_embed_free(&pe);
	return (0);
}
