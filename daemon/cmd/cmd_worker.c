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
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "vtim.h"

#include "fetch/fetcher.h"
#include "fetch/origin_guard.h"
#include "proto/secret.h"
#include "proto/warm_sig.h"
#include "queue/worker.h"
#include "store/db_url.h"
#include "store/pg_pool.h"
#include "store/task_queue.h"
#include "warm/variant_replay.h"
#include "cmd.h"

struct wmain {
	struct event_base *eb;
	struct worker *w;
	unsigned signals;
	int ended;
};

static void
worker_usage(FILE *f)
{
	fprintf(f,
	    "usage: stoked worker [--database-url URL | --state-dir DIR]\n"
	    "                     [--node URL]... [--secret-file F] "
	    "[--dims DIMS]\n"
	    "                     [--concurrency N] [--batch N] [--lease S]\n"
	    "                     [--timeout S] [--poll S] [--id NAME] "
	    "[--exit-when-idle]\n"
	    "                     [--origin-max N] [--origin-rate R]\n"
	    "\n"
	    "Claims warm tasks from the queue in the database (else\n"
	    "$STOKE_DATABASE_URL's, else the embedded one in the state\n"
	    "directory, see 'stoked db'), --batch (64) at a time with a\n"
	    "--lease (60 s) renewed while it works, and fetches each through\n"
	    "every --node, or the website's Varnish nodes, or else the URL\n"
	    "itself, --concurrency (16) at a time, as signed warm requests\n"
	    "with the VCL's --secret-file.  A task's variant is sent as the\n"
	    "cookies and headers it stands for: --dims says where each\n"
	    "dimension the VCL declares comes from, as its dims record does\n"
	    "('currency=cookie:sw-currency device=header:X-Device'); Vary\n"
	    "headers need none.  A variant that cannot be sent so fails.\n"
	    "The origin is spared as stoked run spares it: at most\n"
	    "--origin-max (the concurrency) in flight and --origin-rate a\n"
	    "second per origin, fewer when it slows down or fails, none\n"
	    "while it is down; a fetch that fails is tried once more.\n"
	    "Any number of workers may share a queue; a task whose worker\n"
	    "died is taken over once its lease runs out.  Idle, it waits\n"
	    "for new tasks to be announced and looks every --poll (2)\n"
	    "seconds.  --exit-when-idle: exit once no task is left queued\n"
	    "or leased, for anyone.\n");
}

static void
on_end(void *priv)
{
	struct wmain *m = priv;

	m->ended = 1;
	event_base_loopbreak(m->eb);
}

static void
on_signal(evutil_socket_t sig, short what, void *priv)
{
	struct wmain *m = priv;

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
	struct wmain *m = priv;

	(void)channel;
	(void)payload;
	/* Also on (re)LISTEN: whatever came meanwhile was missed. */
	worker_wake(m->w);
}

static int
num_opt(const char *name, const char *arg, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end != '\0' || !(v >= min && v <= max)) {
		fprintf(stderr, "stoked worker: --%s must be %g to %g\n", name,
		    min, max);
		return (-1);
	}
	*out = v;
	return (0);
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
	static const struct option opts[] = {
		{ "database-url", required_argument, NULL, 'd' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "dims", required_argument, NULL, 'D' },
		{ "node", required_argument, NULL, 'n' },
		{ "secret-file", required_argument, NULL, 'f' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "lease", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "poll", required_argument, NULL, 'p' },
		{ "id", required_argument, NULL, 'i' },
		{ "exit-when-idle", no_argument, NULL, 'x' },
		{ "origin-max", required_argument, NULL, 'O' },
		{ "origin-rate", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url_opt = NULL, *state_opt = NULL, *id = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	char key[WARM_KEY_MAX + 1], err[1024], idbuf[320];
	char *url;
	struct worker_stats ws;
	struct worker_cfg cfg;
	struct tq_stats js;
	struct pg_pool_stats ps;
	struct pg_pool *pool;
	struct task_queue *q;
	struct fetcher *f;
	struct origin_guard *guard;
	struct og_conf ogc;
	struct wmain m;
	double v, lease = 60, t0;
	int c;

	memset(&cfg, 0, sizeof cfg);
	memset(&m, 0, sizeof m);
	og_conf_default(&ogc);
	ogc.ceiling = 0;
	cfg.concurrency = 16;
	cfg.batch = 64;
	cfg.timeout = 30;
	cfg.poll = 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			url_opt = optarg;
			break;
		case 's':
			state_opt = optarg;
			break;
		case 'D':
			if (variant_dims_check(optarg, err, sizeof err) != 0) {
				fprintf(stderr, "stoked worker: --dims: %s\n",
				    err);
				return (2);
			}
			cfg.dims = optarg;
			break;
		case 'n':
			if (cfg.nnode == WORKER_MAX_NODES) {
				fprintf(stderr,
				    "stoked worker: too many nodes\n");
				return (2);
			}
			cfg.nodes[cfg.nnode++] = optarg;
			break;
		case 'f':
			if (secret_read_file(optarg, key, sizeof key,
			        &cfg.keylen, err, sizeof err) != 0) {
				fprintf(stderr, "stoked worker: %s\n", err);
				return (2);
			}
			cfg.key = key;
			break;
		case 'c':
			if (num_opt("concurrency", optarg, 1, 1024, &v))
				return (2);
			cfg.concurrency = (unsigned)v;
			break;
		case 'O':
		case 'R':
			if (og_conf_option(&ogc,
			        c == 'O' ? "origin-max" : "origin-rate", optarg,
			        err, sizeof err) != 0) {
				fprintf(stderr, "stoked worker: %s\n", err);
				return (2);
			}
			break;
		case 'b':
			if (num_opt("batch", optarg, 1, 10000, &v))
				return (2);
			cfg.batch = (unsigned)v;
			break;
		case 'l':
			if (num_opt("lease", optarg, 1, 86400, &lease))
				return (2);
			break;
		case 't':
			if (num_opt("timeout", optarg, 0.1, 3600, &cfg.timeout))
				return (2);
			break;
		case 'p':
			if (num_opt("poll", optarg, 0.1, 3600, &cfg.poll))
				return (2);
			break;
		case 'i':
			id = optarg;
			break;
		case 'x':
			cfg.exit_when_idle = 1;
			break;
		case 'h':
			worker_usage(stdout);
			return (0);
		default:
			worker_usage(stderr);
			return (2);
		}
	}
	if (optind != argc || (url_opt != NULL && state_opt != NULL)) {
		worker_usage(stderr);
		return (2);
	}
	if (id == NULL) {
		default_id(idbuf, sizeof idbuf);
		id = idbuf;
	}
	/* Before the loop: the embedded cluster starts blocking. */
	url = db_url_open("worker", url_opt, state_opt, err, sizeof err);
	if (url == NULL) {
		fprintf(stderr, "stoked worker: %s\n", err);
		return (1);
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	m.eb = event_base_new();
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
	if (ogc.ceiling == 0)
		ogc.ceiling = cfg.concurrency;
	guard = og_new(&ogc);
	fetcher_set_guard(f, guard);
	q = tq_new(m.eb, pool, id, lease, cfg.batch);
	m.w = worker_new(m.eb, q, f, &cfg, on_end, &m);
	pg_pool_listen(pool, TQ_CHANNEL, on_notify, &m);
	sigint = evsignal_new(m.eb, SIGINT, on_signal, &m);
	sigterm = evsignal_new(m.eb, SIGTERM, on_signal, &m);
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
	    "%ju lost to other workers, %ju database reconnects, in %.1f s\n",
	    id, (uintmax_t)ws.tasks, (uintmax_t)ws.tasks_failed,
	    (uintmax_t)ws.fetches, (uintmax_t)ws.outcome[WO_CACHED],
	    (uintmax_t)ws.outcome[WO_FRESH],
	    (uintmax_t)ws.outcome[WO_UNCACHEABLE],
	    (uintmax_t)ws.outcome[WO_ORIGIN_ERROR],
	    (uintmax_t)ws.outcome[WO_TIMEOUT], (uintmax_t)ws.outcome[WO_FAILED],
	    (uintmax_t)ws.retried, (uintmax_t)js.released, (uintmax_t)js.lost,
	    (uintmax_t)ps.reconnects, VTIM_mono() - t0);
	/* Whose callbacks use whom: each goes before what it calls. */
	worker_close(m.w);
	fetcher_free(&f);
	og_free(&guard);
	pg_pool_free(&pool);
	tq_free(&q);
	worker_free(&m.w);
	event_free(sigint);
	event_free(sigterm);
	event_base_free(m.eb);
	memset(key, 0, sizeof key);
	curl_global_cleanup();
	return (m.ended ? 0 : 1);
}
