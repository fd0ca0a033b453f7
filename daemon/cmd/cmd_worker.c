/*
 * stoked worker: take warm tasks from the durable queue in PostgreSQL and
 * fetch them, side by side with any number of other workers.
 *
 *   stoked worker --database-url postgresql://... \
 *       --node http://10.0.0.1:6081 --secret-file /etc/varnish/stoke.secret \
 *       --dims 'currency=cookie:sw-currency'
 *
 * SIGTERM or SIGINT: claim no more, give back what has not started,
 * finish what has, write it all back, exit 0.  A second one exits now;
 * the leases left run out and other workers take the tasks over.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
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
#include "fetch/fetcher.h"
#include "fetch/origin_guard.h"
#include "proto/secret.h"
#include "proto/warm_sig.h"
#include "queue/worker.h"
#include "store/db_url.h"
#include "store/pg_pool.h"
#include "store/retention.h"
#include "store/task_queue.h"
#include "warm/variant_replay.h"
#include "cmd.h"
#include "cmd_notify.h"
#include "cmd_opts.h"

struct wmain {
	unsigned magic;
#define WMAIN_MAGIC 0x3f0a2e51
	struct event_base *eb;
	struct worker *w;
	unsigned signals;
	int ended;
};

static const char worker_synopsis[] = "[OPTIONS]";

static const char worker_about[] =
    "Claims warm tasks from the queue in the database (else\n"
    "$STOKE_DATABASE_URL's, else the embedded one in the state\n"
    "directory, see 'stoked db'), a batch at a time with a lease\n"
    "renewed while it works, and fetches each through every --node,\n"
    "or the website's Varnish nodes, or else the URL itself, as\n"
    "signed warm requests with the VCL's --secret-file.  A task's\n"
    "variant is sent as the cookies and headers it stands for: --dims\n"
    "says where each dimension the VCL declares comes from, as its\n"
    "dims record does ('currency=cookie:sw-currency\n"
    "device=header:X-Device'); Vary headers need none.\n"
    "The origin is spared as stoked run spares it; a fetch that fails\n"
    "is tried once more.  Any number of workers may share a queue; a\n"
    "task whose worker died is taken over once its lease runs out.\n"
    "Tasks are claimed as each project's plan allows: no more of its\n"
    "warm requests in flight than its concurrency, none past its day's;\n"
    "those held back wait for a slot or the next UTC day.\n"
    "A page of a website (or job) in render mode is then loaded in\n"
    "headless Chromium through its first node: what it pulls in from\n"
    "the website's host and asset hosts is queued as tasks of its job,\n"
    "each once per variant, and its timings are kept with its result.\n"
    "Idle, it waits for new tasks to be announced and looks every\n"
    "--poll seconds.\n"
    "A job of a website's sitemap is one task that reads the sitemap\n"
    "(robots.txt, indexes, gzip) and queues its URLs.  A website's\n"
    "nodes, its sitemaps and its URLs fetched straight are tenants'\n"
    "words: each address is checked as it is connected to, and loopback\n"
    "and private ones are refused unless --allow-private is given\n"
    "(self-hosting, tests); link-local and metadata addresses always.\n"
    "--node is the operator's, never checked.\n"
    "It also delivers the projects' notifications (webhooks, Slack,\n"
    "Teams, e-mail through --smtp-url), tried again later each time\n"
    "they fail, and looks for anomalies every --notify-watch seconds;\n"
    "links in them lead to --public-url, the dashboard.  Channels'\n"
    "addresses are checked as websites' are (--allow-private).\n"
    "Every --prune-every seconds (0: never), page results older than\n"
    "their project's plan keeps them are deleted, in batches, by one\n"
    "worker (or stoked run) at a time.\n";

static int
worker_dims(void *priv, const char *arg, char *why, size_t whylen)
{
	struct worker_cfg *cfg = priv;
	char err[256];

	AN(cfg);
	if (variant_dims_check(arg, err, sizeof err) != 0) {
		snprintf(why, whylen, "--dims: %s", err);
		return (-1);
	}
	cfg->dims = arg;
	return (0);
}

static void
worker_on_end(void *priv)
{
	struct wmain *m;

	CAST_OBJ_NOTNULL(m, priv, WMAIN_MAGIC);

	m->ended = 1;
	event_base_loopbreak(m->eb);
}

static void
worker_on_signal(evutil_socket_t sig, short what, void *priv)
{
	struct wmain *m;

	CAST_OBJ_NOTNULL(m, priv, WMAIN_MAGIC);

	(void)sig;
	(void)what;
	if (m->signals++ == 0)
		worker_stop(m->w);
	else
		event_base_loopbreak(m->eb);
}

static void
on_notify(void *priv, const char *channel, const char *payload)
{
	struct wmain *m;

	CAST_OBJ_NOTNULL(m, priv, WMAIN_MAGIC);

	(void)channel;
	(void)payload;
	/* Also on (re)LISTEN: whatever came meanwhile was missed. */
	worker_wake(m->w);
}

static void
default_id(char *buf, size_t len)
{
	char host[256];

	if (gethostname(host, sizeof host) != 0)
		strcpy(host, "worker");
	host[sizeof host - 1] = '\0';
	/* Unique even when a pid comes round again. */
	snprintf(buf, len, "%s-%ld-%lx", host, (long)getpid(),
	    (unsigned long)(VTIM_real() * 1e3));
}

int
cmd_worker(int argc, char **argv)
{
	const char *id = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	char err[1024], idbuf[320];
	char *url;
	struct worker_stats ws;
	struct worker_cfg cfg;
	struct tq_stats js;
	struct pg_pool_stats ps;
	struct pg_pool *pool;
	struct retention *ret = NULL;
	struct task_queue *q;
	struct fetcher *f, *sf;
	struct origin_guard *guard;
	struct cmd_common cc;
	struct cmd_notify cn;
	struct cmd_render cr;
	struct wmain m;
	double lease = 60, prune_every = 300, t0;
	unsigned i;
	int arg0;
	const struct cmd_opt opts[] = {
		CMD_OPT_DATABASE_URL(&cc),
		CMD_OPT_STATE_DIR(&cc),
		CMD_OPT_NODE(&cc, "a Varnish to warm through (repeatable)"),
		CMD_OPT_SECRET_FILE(&cc),
		{ "dims", 0, CO_CALL, "DIMS", 0, 0, NULL,
		    "where each variant dimension comes from", &cfg,
		    worker_dims },
		CMD_OPT_CONCURRENCY(&cc, "concurrency", "16"),
		{ "batch", 0, CO_UINT, "N", 1, 10000, "64",
		    "tasks claimed at a time", &cfg.batch, NULL },
		{ "lease", 0, CO_REAL, "S", 1, 86400, "60",
		    "seconds a claim lasts unless renewed", &lease, NULL },
		{ "timeout", 0, CO_REAL, "S", 0.1, 3600, "30",
		    "seconds a fetch may take", &cfg.timeout, NULL },
		{ "poll", 0, CO_REAL, "S", 0.1, 3600, "2",
		    "seconds between looks at the queue when idle", &cfg.poll,
		    NULL },
		{ "id", 0, CO_STRING, "NAME", 0, 0, "host-pid-time",
		    "this worker's name in the queue", &id, NULL },
		{ "exit-when-idle", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "exit once no task is left queued or leased, for anyone",
		    &cfg.exit_when_idle, NULL },
		{ "allow-private", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "let tenants' nodes, sitemaps and URLs be loopback or "
		    "private",
		    &cfg.allow_private, NULL },
		{ "prune-every", 0, CO_REAL, "S", 0, 86400, "300",
		    "seconds between deletions of old results; 0: never",
		    &prune_every, NULL },
		CMD_OPT_ORIGIN_MAX(&cc, "the concurrency"),
		CMD_OPT_ORIGIN_RATE(&cc),
		CMD_OPT_NOTIFY(&cn),
		CMD_OPT_RENDER(&cr),
		CMD_OPT_END,
	};

	memset(&cfg, 0, sizeof cfg);
	memset(&cr, 0, sizeof cr);
	cmd_notify_init(&cn);
	INIT_OBJ(&m, WMAIN_MAGIC);
	cmd_common_init(&cc);
	cc.og.ceiling = 0;
	switch (cmd_opts_parse("worker", worker_synopsis, worker_about, opts,
	    argc, argv, &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	if (arg0 != argc) {
		cmd_opts_usage(stderr, "worker", worker_synopsis, worker_about,
		    opts);
		return (2);
	}
	if (cmd_common_check("worker", &cc) != 0 ||
	    cmd_notify_check(&cn, "worker") != 0)
		return (2);
	cfg.concurrency = cc.concurrency;
	cmd_render_conf(&cr, &cfg.render);
	cfg.render_timeout = cr.timeout;
	assert(CMD_MAX_NODES <= WORKER_MAX_NODES);
	for (i = 0; i < cc.nnode; i++)
		cfg.nodes[i] = cc.nodes[i];
	cfg.nnode = cc.nnode;
	if (cc.keylen > 0) {
		cfg.key = cc.key;
		cfg.keylen = cc.keylen;
	}
	if (id == NULL) {
		default_id(idbuf, sizeof idbuf);
		id = idbuf;
	}
	/* Before the loop: the embedded cluster starts blocking. */
	url = db_url_open(cc.database_url, cc.state_dir, err, sizeof err);
	if (url == NULL) {
		fprintf(stderr, "stoked worker: %s\n", err);
		return (1);
	}

	/* Before any thread is started: they take its policy. */
	if (sched_batch() != 0)
		fprintf(stderr, "stoked worker: not run as SCHED_BATCH: %s\n",
		    strerror(errno));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m.eb = loop_new();
	if (m.eb == NULL) {
		fprintf(stderr, "stoked worker: no event base\n");
		free(url);
		return (1);
	}
	/* One connection claims while the other writes back. */
	pool = pg_pool_new(m.eb, url, 2, err, sizeof err);
	free(url);
	if (pool == NULL) {
		fprintf(stderr, "stoked worker: %s\n", err);
		event_base_free(m.eb);
		return (2);
	}
	f = fetcher_new(m.eb, cfg.concurrency);
	/* Several workers spare an origin each on its own: share --origin-max. */
	if (cc.og.ceiling == 0)
		cc.og.ceiling = cfg.concurrency;
	guard = og_new(&cc.og);
	fetcher_set_guard(f, guard);
	/* A sitemap's documents, one at a time a task, from tenants' hosts:
	 * connections of their own, each address judged. */
	sf = fetcher_new(m.eb, 2);
	fetcher_check_addresses(sf, cfg.allow_private);
	q = tq_new(m.eb, pool, id, lease, cfg.batch);
	m.w = worker_new(m.eb, q, f, sf, &cfg, worker_on_end, &m);
	pg_pool_listen(pool, TQ_CHANNEL, on_notify, &m);
	cmd_notify_start(&cn, m.eb, pool, cfg.allow_private);
	if (prune_every > 0)
		ret = retention_new(m.eb, pool, prune_every, 5000);
	sigint = evsignal_new(m.eb, SIGINT, worker_on_signal, &m);
	sigterm = evsignal_new(m.eb, SIGTERM, worker_on_signal, &m);
	AN(sigint);
	AN(sigterm);
	AZ(event_add(sigint, NULL));
	AZ(event_add(sigterm, NULL));
	fprintf(stderr, "stoked worker %s: started\n", id);
	t0 = VTIM_mono();
	worker_start(m.w);
	(void)event_base_dispatch(m.eb);

	worker_stats(m.w, &ws);
	tq_stats(q, &js);
	pg_pool_stats(pool, &ps);
	fprintf(stderr,
	    "stoked worker %s: %ju tasks (%ju failed), %ju fetches "
	    "(%ju cached, %ju fresh, %ju uncacheable, %ju origin errors, "
	    "%ju timeouts, %ju failed; %ju tried again), %ju given back, "
	    "%ju lost to other workers, %ju database reconnects, %ju old "
	    "results deleted, %ju pages rendered (%ju not in full, %ju "
	    "assets queued), in %.1f s\n",
	    id, (uintmax_t)ws.tasks, (uintmax_t)ws.tasks_failed,
	    (uintmax_t)ws.fetches, (uintmax_t)ws.outcome[WO_CACHED],
	    (uintmax_t)ws.outcome[WO_FRESH],
	    (uintmax_t)ws.outcome[WO_UNCACHEABLE],
	    (uintmax_t)ws.outcome[WO_ORIGIN_ERROR],
	    (uintmax_t)ws.outcome[WO_TIMEOUT], (uintmax_t)ws.outcome[WO_FAILED],
	    (uintmax_t)ws.retried, (uintmax_t)js.released, (uintmax_t)js.lost,
	    (uintmax_t)ps.reconnects,
	    (uintmax_t)(ret != NULL ? retention_pruned(ret) : 0),
	    (uintmax_t)ws.rendered, (uintmax_t)ws.render_failed,
	    (uintmax_t)ws.assets, VTIM_mono() - t0);
	/* Whose callbacks use whom: each goes before what it calls. */
	worker_close(m.w);
	fetcher_free(&f);
	fetcher_free(&sf);
	og_free(&guard);
	cmd_notify_stop(&cn);
	pg_pool_free(&pool);
	retention_free(&ret);
	cmd_notify_free(&cn);
	tq_free(&q);
	worker_free(&m.w);
	event_free(sigint);
	event_free(sigterm);
	event_base_free(m.eb);
	memset(cc.key, 0, sizeof cc.key);
	curl_global_cleanup();
	return (m.ended ? 0 : 1);
}
