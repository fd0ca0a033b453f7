/*
 * stoked run: watch one or more varnishd instances and serve the API.
 *
 * The set-up reads in order: the options (run_options), the database
 * (run_database), the instances and their nodes (run_instances), the API
 * (run_api), then the loop; run_close() undoes it.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vsb.h"

#include "api/http_api.h"
#include "api/routes.h"
#include "core/log.h"
#include "core/loop.h"
#include "fetch/origin_guard.h"
#include "node/instance.h"
#include "vsl/doorbell.h"
#include "sitemap/sitemap_jobs.h"
#include "store/db_url.h"
#include "store/pg_embed.h"
#include "store/pg_pool.h"
#include "store/result_store.h"
#include "store/retention.h"
#include "warm/rewarm.h"
#include "cmd.h"
#include "cmd_instance.h"
#include "cmd_notify.h"
#include "cmd_opts.h"
#include "cmd_tenant.h"

#define MAX_INSTANCES 16

/* What the command line says. */
struct run_opts {
	unsigned magic;
#define RUN_OPTS_MAGIC 0x7a3c51e2
	struct cmd_common cc;
	/* -n, in order; NULL: the default instance */
	const char *names[MAX_INSTANCES];
	/* cc.nnode when each -n came: its --node follow */
	unsigned node0[MAX_INSTANCES];
	unsigned ninst;
	const char *listen;
	const char *doorbell; /* --doorbell, or NULL */
	unsigned index_mb;
	double refresh_before;
	double refresh_pop;
	const char *sitemap;
	double every;
	unsigned db_buffer;
	double prune_every;
	const char *test_clock; /* tests only */
	const char *jwt_keys;
	int allow_private;
	struct client_trust *trust; /* --trusted-proxy, handed to ct */
	double sse_heartbeat;
	double client_timeout;
	unsigned max_connections;
	const char *dashboard; /* --dashboard, handed to ct */
	struct cmd_notify notify; /* --public-url, --smtp-url... */
};

/* --warm-sitemap: a job now, and every --warm-every seconds. */
struct schedule {
	unsigned magic;
#define SCHEDULE_MAGIC 0x2d6b90c4
	const char *url;
	double every;
	struct sitemap_jobs *jobs;
	struct event *ev;
};

/* What runs. */
struct run {
	unsigned magic;
#define RUN_MAGIC 0x4e19f7a3
	struct event_base *eb;
	struct http_api *api;
	struct doorbell *bell;
	/* the database */
	struct pg_embed *pe;
	int db_started;
	char state_dir[PATH_MAX]; /* the embedded database's, or "" */
	struct pg_pool *pool;
	struct result_store *store;
	struct retention *ret;
	struct rs_conf rsc;
	char *runner; /* rsc.runner */
	/* the tenants' API, with a database and token keys */
	struct cmd_tenant ct;
	/* the instances, their nodes and the jobs through them */
	const char *nodes[MAX_INSTANCES]; /* each instance's, or NULL */
	struct rewarm_conf rc[MAX_INSTANCES];
	struct instance *inst[MAX_INSTANCES];
	unsigned ninst;
	struct origin_guard *guard;
	struct sj_conf jc;
	struct sitemap_jobs *jobs;
	struct api_ctx actx;
	struct schedule sched;
	struct cmd_notify *notify; /* the options', with the deliverer */
};

/* The VCL rang: every instance's log is read at once. */
static void
run_on_ring(void *priv)
{
	struct run *r;
	unsigned i;

	CAST_OBJ_NOTNULL(r, priv, RUN_MAGIC);
	for (i = 0; i < r->ninst; i++)
		instance_wake(r->inst[i]);
}

static void
on_schedule(evutil_socket_t fd, short what, void *priv)
{
	struct schedule *s;
	struct timeval tv;
	char why[256];
	unsigned id;

	CAST_OBJ_NOTNULL(s, priv, SCHEDULE_MAGIC);
	(void)fd;
	(void)what;
	id = sj_start(s->jobs, s->url, 0, "schedule", why, sizeof why);
	if (id == 0)
		log_warning("schedule", "warm job for %s: %s", s->url, why);
	else
		log_info("schedule", "warm job %u: %s", id, s->url);
	if (s->every > 0) {
		tv.tv_sec = (time_t)s->every;
		tv.tv_usec = 0;
		AZ(event_add(s->ev, &tv));
	}
}

/*--------------------------------------------------------------------
 * The options.
 */

static const char run_synopsis[] =
    "[-n NAME [--node URL]]... [--listen ADDR:PORT]\n"
    "                  [--index-mb MB] [--secret-file F] "
    "[--warm-concurrency N]\n"
    "                  [--refresh-before S] [--refresh-popularity P]\n"
    "                  [--origin-max N] [--origin-rate R]\n"
    "                  [--warm-sitemap URL [--warm-every S]]\n"
    "                  [--database-url URL | --state-dir DIR | "
    "--no-database]\n"
    "                  [--db-buffer ROWS] [--prune-every S]\n"
    "                  [--dashboard DIR]";

static const char run_about[] =
    "Watches the log of each varnishd -n NAME (the default instance\n"
    "when none is given) and serves the API and /metrics on\n"
    "--listen (port 0 picks a free one).\n"
    "Each instance's index of cached objects is kept within\n"
    "--index-mb megabytes, evicting the least popular.\n"
    "With --node (where the varnishd of the -n before it listens,\n"
    "e.g. http://127.0.0.1:6081) and the VCL's --secret-file, what\n"
    "the instance loses to purges, bans and tag invalidations is\n"
    "fetched again at once, --warm-concurrency at a time; and objects\n"
    "at least --refresh-popularity popular (a fetch counts 1, each\n"
    "hit 1, halving every hour: 1.5, the default, is hit lately) are\n"
    "refreshed --refresh-before seconds before their TTL ends\n"
    "(0: never).  Each origin (by Host) gets fetches in flight as\n"
    "its answers allow, never more than --origin-max, at most\n"
    "--origin-rate a second; errors and slow answers halve that,\n"
    "Retry-After pauses it, an origin that is down gets one probe at\n"
    "a time until it answers.\n"
    "Sitemap warm jobs (a site, from its robots.txt and sitemaps)\n"
    "run through the same nodes: POST /api/v1/jobs\n"
    "{\"sitemap\": URL}, or --warm-sitemap at start and every\n"
    "--warm-every seconds.\n"
    "Jobs, the invalidations re-warmed after and every result are\n"
    "stored in PostgreSQL: --database-url (or $STOKE_DATABASE_URL),\n"
    "else an embedded server of stoked's own in --state-dir\n"
    "(see 'stoked db'), started if need be and stopped at exit;\n"
    "--no-database stores nothing.  While the database is away,\n"
    "results wait in memory, --db-buffer rows at most.\n"
    "Every --prune-every seconds, page results older than their\n"
    "project's plan keeps them are deleted, in batches.\n"
    "With a database, the tenants' API is served on --listen too, and\n"
    "their dashboard at / from --dashboard (by default the one\n"
    "installed in " STOKE_DASHBOARD_DIR
    ", else the one built in\n" STOKE_DASHBOARD_SRC ").\n";

/* -n NAME: an instance; the --node after it, before the next -n, is its. */
static int
run_opt_name(void *priv, const char *arg, char *why, size_t whylen)
{
	struct run_opts *o;

	CAST_OBJ_NOTNULL(o, priv, RUN_OPTS_MAGIC);
	/* A --node before any -n is the default instance's. */
	if (o->ninst == 0 && o->cc.nnode > 0) {
		o->names[0] = NULL;
		o->node0[0] = 0;
		o->ninst = 1;
	}
	if (o->ninst == MAX_INSTANCES) {
		snprintf(why, whylen, "at most %d -n", MAX_INSTANCES);
		return (-1);
	}
	o->names[o->ninst] = arg;
	o->node0[o->ninst++] = o->cc.nnode;
	return (0);
}

static int
run_opt_popularity(void *priv, const char *arg, char *why, size_t whylen)
{
	struct run_opts *o;
	char *end;
	double v;

	CAST_OBJ_NOTNULL(o, priv, RUN_OPTS_MAGIC);
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || !(v >= 0)) {
		snprintf(why, whylen, "bad --refresh-popularity");
		return (-1);
	}
	o->refresh_pop = v;
	return (0);
}

/* Instance i's node: the last --node between its -n and the next. */
static const char *
run_node_of(const struct run_opts *o, unsigned i)
{
	unsigned end;

	CHECK_OBJ_NOTNULL(o, RUN_OPTS_MAGIC);
	assert(i < o->ninst);
	end = i + 1 < o->ninst ? o->node0[i + 1] : o->cc.nnode;
	return (end > o->node0[i] ? o->cc.nodes[end - 1] : NULL);
}

/* 0; 1: --help was answered; 2: bad usage, said. */
static int
run_options(struct run_opts *o, int argc, char **argv)
{
	struct cmd_common *cc = &o->cc;
	const struct cmd_opt opts[] = {
		{ "name", 'n', CO_CALL, "NAME", 0, 0, NULL,
		    "a varnishd to watch (repeatable; none: the default one)",
		    o, run_opt_name },
		CMD_OPT_NODE(cc, "where the varnishd of the -n before listens"),
		{ "listen", 'l', CO_STRING, "ADDR:PORT", 0, 0, "127.0.0.1:6086",
		    "where the API and /metrics listen", &o->listen, NULL },
		CMD_OPT_DOORBELL(&o->doorbell),
		{ "index-mb", 'm', CO_UINT, "MB", 1, 1048576, "256",
		    "each instance's index, at most", &o->index_mb, NULL },
		CMD_OPT_SECRET_FILE(cc),
		CMD_OPT_CONCURRENCY(cc, "warm-concurrency", "8"),
		{ "refresh-before", 0, CO_REAL, "S", 0, 86400, "10",
		    "seconds before a TTL ends to refresh (0: never)",
		    &o->refresh_before, NULL },
		{ "refresh-popularity", 0, CO_CALL, "P", 0, 0, "1.5",
		    "how popular an object refreshed is, at least", o,
		    run_opt_popularity },
		CMD_OPT_ORIGIN_MAX(cc, "16"),
		CMD_OPT_ORIGIN_RATE(cc),
		{ "warm-sitemap", 0, CO_STRING, "URL", 0, 0, NULL,
		    "a site or sitemap to warm at start", &o->sitemap, NULL },
		{ "warm-every", 0, CO_REAL, "S", 60, 86400 * 7, "once",
		    "and again every S seconds", &o->every, NULL },
		CMD_OPT_DATABASE_URL(cc),
		CMD_OPT_STATE_DIR(cc),
		CMD_OPT_NO_DATABASE(cc),
		{ "db-buffer", 0, CO_UINT, "ROWS", 1, 100000000, "200000",
		    "results waiting for the database, at most", &o->db_buffer,
		    NULL },
		{ "prune-every", 0, CO_REAL, "S", 1, 86400, "300",
		    "seconds between deletions of old results", &o->prune_every,
		    NULL },
		{ "jwt-keys", 0, CO_STRING, "FILE", 0, 0, "$STOKE_JWT_KEYS",
		    "the tenants' token keys (embedded database: its own)",
		    &o->jwt_keys, NULL },
		{ "allow-private", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "tenants may name loopback and private addresses",
		    &o->allow_private, NULL },
		CMD_OPT_TRUSTED_PROXY(&o->trust),
		CMD_OPT_SSE_HEARTBEAT(&o->sse_heartbeat),
		CMD_OPT_CLIENT_TIMEOUT(&o->client_timeout),
		CMD_OPT_MAX_CONNECTIONS(&o->max_connections),
		CMD_OPT_DASHBOARD(&o->dashboard),
		CMD_OPT_NOTIFY(&o->notify),
		/* Hidden: for tests only (cmd_tenant.h). */
		CMD_OPT_TEST_CLOCK(&o->test_clock),
		CMD_OPT_END,
	};
	unsigned i;
	int arg0, rv;

	CHECK_OBJ_NOTNULL(o, RUN_OPTS_MAGIC);
	rv = cmd_opts_parse("run", run_synopsis, run_about, opts, argc, argv,
	    &arg0);
	if (rv != 0)
		return (rv);
	if (arg0 != argc) {
		cmd_opts_usage(stderr, "run", run_synopsis, run_about, opts);
		return (2);
	}
	if (cmd_common_check("run", cc) != 0 ||
	    cmd_notify_check(&o->notify, "run") != 0)
		return (2);
	if (o->ninst == 0) {
		o->names[0] = NULL;
		o->node0[0] = 0;
		o->ninst = 1;
	}
	for (i = 0; i < o->ninst; i++)
		if (run_node_of(o, i) != NULL && cc->keylen == 0) {
			fprintf(stderr,
			    "stoked run: re-warming through --node "
			    "needs --secret-file (the VCL's secret)\n");
			return (2);
		}
	return (0);
}

/*--------------------------------------------------------------------
 * The database.
 */

/*
 * Where results are stored, as db_url_choose() says: the embedded
 * PostgreSQL is started unless it runs (r->db_started then says so);
 * migrated in any case.  It blocks: before the loop.  The URL, or NULL
 * (said why).
 */
static const char *
run_database_url(struct run *r, const struct cmd_common *cc)
{
	char dir[PATH_MAX], err[1024], masked[512];
	const char *url;

	CHECK_OBJ_NOTNULL(r, RUN_MAGIC);
	if (db_url_choose(cc->database_url, cc->state_dir, &url, dir,
	        sizeof dir, err, sizeof err) != 0) {
		log_error("database", "%s", err);
		return (NULL);
	}
	if (url == NULL) {
		if ((r->pe = pg_embed_new(dir, err, sizeof err)) == NULL ||
		    pg_embed_start(r->pe, &r->db_started, err, sizeof err) !=
		        0) {
			log_error("database", "%s", err);
			return (NULL);
		}
		url = pg_embed_url(r->pe);
		snprintf(r->state_dir, sizeof r->state_dir, "%s", dir);
		printf("stoked: %s the embedded PostgreSQL in %s\n",
		    r->db_started ? "started" : "using",
		    pg_embed_data_dir(r->pe));
	}
	db_url_mask(url, masked, sizeof masked);
	printf("stoked: storing results in %s\n", masked);
	fflush(stdout);
	if (cmd_migrate_url("run", url) != 0)
		return (NULL);
	return (url);
}

/* The embedded PostgreSQL, stopped if this stoked started it. */
static void
run_database_stop(struct run *r)
{
	char err[1024];
	int stopped;

	CHECK_OBJ_NOTNULL(r, RUN_MAGIC);
	if (r->db_started &&
	    pg_embed_stop(r->pe, &stopped, err, sizeof err) != 0)
		log_error("database", "%s", err);
	r->db_started = 0;
	pg_embed_free(&r->pe);
}

/*
 * The tenants' API beside the operator's, as stoked serve has it: with
 * the keys given, or with the embedded database's own; without keys and
 * with a database of someone else's, it is left off (and said).
 */
static int
run_tenant(struct run *r, const struct run_opts *o)
{
	CHECK_OBJ_NOTNULL(r, RUN_MAGIC);
	CHECK_OBJ_NOTNULL(o, RUN_OPTS_MAGIC);
	if (r->ct.keys == NULL && r->state_dir[0] != '\0' &&
	    cmd_tenant_keys(&r->ct, "run", NULL, r->state_dir) < 0)
		return (-1);
	if (r->ct.keys == NULL) {
		log_notice("api",
		    "no token keys (--jwt-keys): the tenants' API is off");
		return (0);
	}
	return (cmd_tenant_start(&r->ct, r->eb, r->api, r->pool, 43200, 2,
	    o->allow_private, 0, 0, o->sse_heartbeat));
}

/*
 * Who runs our jobs, the same at every start of the same stoked run: its
 * host and the varnishd instances it watches, as -n names them
 * ("web1 -n /var/lib/varnish/a -n default").  Its jobs are of those
 * caches; a stoked run that starts with the same owns what an earlier
 * one left unfinished.
 */
static char *
run_runner(const struct run_opts *o)
{
	char host[256];
	struct vsb *vsb;
	unsigned i;
	char *p;

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	vsb = VSB_new_auto();
	AN(vsb);
	VSB_cat(vsb, host);
	for (i = 0; i < o->ninst; i++)
		VSB_printf(vsb, " -n %s",
		    o->names[i] != NULL ? o->names[i] : "default");
	AZ(VSB_finish(vsb));
	p = strdup(VSB_data(vsb));
	AN(p);
	VSB_destroy(&vsb);
	return (p);
}

/* The pool, the result store and retention; 0, or -1 (said). */
static int
run_database(struct run *r, const struct run_opts *o)
{
	struct event_base *eb;
	struct http_api *api;
	struct pg_pool *pool;
	struct result_store *store;
	struct retention *ret;
	const char *db;
	char err[256];

	CHECK_OBJ_NOTNULL(r, RUN_MAGIC);
	CHECK_OBJ_NOTNULL(o, RUN_OPTS_MAGIC);
	if (o->cc.no_database)
		return (0);
	db = run_database_url(r, &o->cc);
	if (db == NULL) {
		run_database_stop(r);
		return (-1);
	}
	eb = r->eb;
	api = r->api;
	r->rsc.max_rows = o->db_buffer;
	r->runner = run_runner(o);
	r->rsc.runner = r->runner;
	/* One connection writes, two answer the API; the URL
	 * parses, since the migration just used it. */
	pool = pg_pool_new(eb, db, 3, err, sizeof err);
	AN(pool);
	store = rs_new(eb, pool, &r->rsc);
	http_api_metrics(api, rs_metrics, store);
	ret = retention_new(eb, pool, o->prune_every, 5000);
	http_api_metrics(api, retention_metrics, ret);
	rs_watch_jobs(store, &r->jc);
	r->pool = pool;
	r->store = store;
	r->ret = ret;
	cmd_notify_start(r->notify, eb, pool, o->allow_private);
	return (run_tenant(r, o));
}

/*--------------------------------------------------------------------
 * The instances, each with its index and its node, and the sitemap jobs
 * through those nodes.
 */

static void
run_instances(struct run *r, const struct run_opts *o)
{
	struct cmd_instance_conf ic;
	struct http_api *api;
	struct instance **inst;
	struct result_store *store;
	unsigned i;

	CHECK_OBJ_NOTNULL(r, RUN_MAGIC);
	CHECK_OBJ_NOTNULL(o, RUN_OPTS_MAGIC);
	api = r->api;
	inst = r->inst;
	store = r->store;
	/* One for all instances: N nodes in front of one origin. */
	r->guard = og_new(&o->cc.og);
	r->ninst = o->ninst;
	memset(&ic, 0, sizeof ic);
	ic.index_mb = o->index_mb;
	ic.refresh_before = o->refresh_before;
	ic.refresh_popularity = o->refresh_pop;
	ic.guard = r->guard;
	for (i = 0; i < r->ninst; i++) {
		r->nodes[i] = run_node_of(o, i);
		ic.name = o->names[i];
		ic.node = r->nodes[i];
		inst[i] = cmd_instance_new(r->eb, api, &o->cc, &ic, &r->rc[i]);
		if (store != NULL)
			rs_watch_instance(store, inst[i]);
	}
	for (i = 0; i < r->ninst; i++)
		if (r->nodes[i] != NULL) {
			r->jc.verify[r->jc.nnode] = instance_verify(inst[i]);
			r->jc.nodes[r->jc.nnode++] = r->nodes[i];
		}
	r->jc.key = o->cc.key;
	r->jc.keylen = o->cc.keylen;
	r->jc.concurrency = o->cc.concurrency;
	r->jobs = sj_new(r->eb, r->guard, &r->jc);
}

/*--------------------------------------------------------------------
 * The API's routes, and the --warm-sitemap schedule.
 */

static void
run_api(struct run *r, const struct run_opts *o)
{
	struct timeval tv = { 0, 0 };
	struct http_api *api;

	CHECK_OBJ_NOTNULL(r, RUN_MAGIC);
	CHECK_OBJ_NOTNULL(o, RUN_OPTS_MAGIC);
	api = r->api;
	r->actx = (struct api_ctx){ .magic = API_CTX_MAGIC,
		.inst = r->inst,
		.ninst = r->ninst,
		.guard = r->guard,
		.jobs = r->jobs,
		.pool = r->pool };
	api_routes_register(api, &r->actx);
	if (o->sitemap != NULL) {
		INIT_OBJ(&r->sched, SCHEDULE_MAGIC);
		r->sched.url = o->sitemap;
		r->sched.every = o->every;
		r->sched.jobs = r->jobs;
		r->sched.ev = event_new(r->eb, -1, 0, on_schedule, &r->sched);
		AN(r->sched.ev);
		/* The first run once the loop runs, so that it is logged. */
		AZ(event_add(r->sched.ev, &tv));
	}
	printf("stoked listening on %.*s:%u\n",
	    (int)(strrchr(o->listen, ':') - o->listen), o->listen,
	    http_api_port(api));
	fflush(stdout);
}

/*--------------------------------------------------------------------
 * The end, each part before what it reports to.
 */

static void
run_close(struct run *r)
{
	unsigned i;

	CHECK_OBJ_NOTNULL(r, RUN_MAGIC);
	if (r->bell != NULL)
		doorbell_free(&r->bell);
	http_api_free(&r->api);
	cmd_tenant_stop(&r->ct);
	if (r->sched.ev != NULL)
		event_free(r->sched.ev);
	/* Jobs stop before the guard they report to goes. */
	sj_free(&r->jobs);
	for (i = 0; i < r->ninst; i++)
		instance_free(&r->inst[i]);
	/* What waits is written while the loop runs a little longer. */
	if (r->store != NULL)
		(void)rs_drain(r->store, 10);
	cmd_notify_stop(r->notify);
	if (r->pool != NULL)
		pg_pool_free(&r->pool);
	cmd_notify_free(r->notify);
	cmd_tenant_free(&r->ct);
	if (r->store != NULL)
		rs_free(&r->store);
	retention_free(&r->ret);
	free(r->runner);
	event_base_free(r->eb);
	og_free(&r->guard);
	run_database_stop(r);
}

int
cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct run r;
	char err[256];
	int rv;

	INIT_OBJ(&o, RUN_OPTS_MAGIC);
	cmd_common_init(&o.cc);
	cmd_notify_init(&o.notify);
	o.listen = "127.0.0.1:6086";
	o.refresh_pop = 1.5;
	rv = run_options(&o, argc, argv);
	if (rv != 0)
		return (rv == 1 ? 0 : rv);

	INIT_OBJ(&r, RUN_MAGIC);
	INIT_OBJ(&r.ct, CMD_TENANT_MAGIC);
	r.notify = &o.notify;
	r.ct.trust = o.trust;
	r.ct.dashboard = o.dashboard;
	r.ct.test_clock = o.test_clock;
	/* Keys given are read first: a bad key file stops nothing running. */
	if (!o.cc.no_database &&
	    cmd_tenant_keys(&r.ct, "run", o.jwt_keys, NULL) < 0)
		return (1);
	r.eb = loop_new();
	if (r.eb == NULL) {
		log_error(NULL, "no event base");
		return (1);
	}
	r.api = http_api_new(r.eb, o.listen, err, sizeof err);
	if (r.api == NULL) {
		log_error("api", "%s", err);
		event_base_free(r.eb);
		return (1);
	}
	http_api_set_timeout(r.api, o.client_timeout);
	log_info("api", "%u connections at most",
	    http_api_set_max_connections(r.api, o.max_connections));
	if (o.doorbell != NULL) {
		r.bell = doorbell_new(r.eb, o.doorbell, run_on_ring, &r, err,
		    sizeof err);
		if (r.bell == NULL) {
			log_error("doorbell", "%s", err);
			http_api_free(&r.api);
			cmd_tenant_stop(&r.ct);
			cmd_tenant_free(&r.ct);
			event_base_free(r.eb);
			return (1);
		}
	}
	if (run_database(&r, &o) != 0) {
		if (r.bell != NULL)
			doorbell_free(&r.bell);
		free(r.runner);
		http_api_free(&r.api);
		cmd_tenant_stop(&r.ct);
		cmd_tenant_free(&r.ct);
		event_base_free(r.eb);
		return (1);
	}
	run_instances(&r, &o);
	run_api(&r, &o);

	if (loop_run(r.eb) != 0)
		log_error(NULL, "the event loop failed");
	run_close(&r);
	memset(o.cc.key, 0, sizeof o.cc.key);
	return (0);
}
