/*
 * stoked agent: beside a tenant's varnishd, it watches that node and
 * re-warms it as stoked run does (the same instance, cmd_instance.c),
 * and sends what it records to the control plane instead of a database
 * (link/: batches, spool, control link), doing what the control plane
 * asks of the node (link/node_command.c).  No database, no tenant API:
 * only /metrics and /healthz on --listen.
 */

#include "config.h"

#include <sys/random.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "api/api_origins.h"
#include "api/http_api.h"
#include "api/routes.h"
#include "core/log.h"
#include "core/loop.h"
#include "fetch/fetcher.h"
#include "fetch/origin_guard.h"
#include "link/agent_tasks.h"
#include "link/batch.h"
#include "link/control_link.h"
#include "link/node_command.h"
#include "link/spool.h"
#include "link/traffic.h"
#include "node/instance.h"
#include "vsl/doorbell.h"
#include "render/render_pool.h"
#include "store/result_rows.h"
#include "store/result_store.h"
#include "warm/rewarm.h"
#include "cmd.h"
#include "cmd_instance.h"
#include "cmd_opts.h"

#define TOKEN_PREFIX "sta_"
#define TOKEN_CHARS 40

struct agent_opts {
	unsigned magic;
#define AGENT_OPTS_MAGIC 0x6a9e7001
	struct cmd_common cc;
	const char *name; /* -n: the varnishd */
	const char *agent_name;
	const char *control;
	const char *token_file;
	const char *state_dir;
	const char *listen;
	const char *doorbell; /* --doorbell, or NULL */
	const char *ca_file;
	int insecure;
	double spool_memory, spool_disk;
	unsigned index_mb;
	double refresh_before, refresh_pop;
	unsigned poll_wait;
	double popular_every;
	struct cmd_render cr;
	int render, no_render;
	char token[128];
	char host[256];
};

struct agent {
	unsigned magic;
#define AGENT_MAGIC 0x6a9e7002
	struct event_base *eb;
	struct http_api *api;
	struct doorbell *bell;
	struct origin_guard *guard;
	struct rewarm_conf rc;
	struct instance *inst;
	struct traffic *traffic;
	struct spool *spool;
	struct result_store *store;
	struct node_command *nc;
	struct agent_tasks *tasks;
	struct fetcher *rf; /* the pages it renders */
	struct control_link *cl;
	char run[40];
};

static const char agent_synopsis[] =
    "[-n NAME] --node URL --secret-file F\n"
    "                  --control URL --token-file T [--state-dir DIR]\n"
    "                  [--listen ADDR:PORT] [--spool-memory BYTES] "
    "[--spool-disk BYTES]\n"
    "                  [--control-ca FILE] [--insecure-control]\n"
    "                  [--render | --no-render] [--chromium PATH]";

static const char agent_about[] =
    "Runs beside one varnishd (-n NAME, the default instance when not\n"
    "given; it listens at --node): reads its log, keeps its index and\n"
    "re-warms what it loses at once, as 'stoked run' does.  What it\n"
    "records (jobs, invalidations, every warm result, and per minute\n"
    "and host the visitors' hits, misses and passes, per hour their\n"
    "most asked paths and search terms) goes to the\n"
    "control plane at --control, in batches, with the agent token in\n"
    "--token-file; it does the purges and settings the control plane\n"
    "sends.  While the control plane is away, batches wait in memory\n"
    "(--spool-memory), then in files under --state-dir (--spool-disk),\n"
    "and are sent in order once it is back; with --state-dir they\n"
    "survive a restart.  The control plane must be https unless it is\n"
    "on loopback or --insecure-control is given; --control-ca adds a\n"
    "CA to trust.  Serves only /metrics and /healthz on --listen.\n"
    "A page of a website (or job) in render mode is loaded in headless\n"
    "Chromium too, through the node, once warm, when --chromium is there\n"
    "(--render: it must be; --no-render: never); what it pulls in from\n"
    "the website's hosts is warmed on the node as tasks of its job.\n";

/*--------------------------------------------------------------------
 * Options
 */

/* The token: sta_ and 40 base62 characters; never printed. */
static int
agent_token(struct agent_opts *o)
{
	size_t l, i;
	FILE *f;

	f = fopen(o->token_file, "re");
	if (f == NULL) {
		fprintf(stderr, "stoked agent: %s: %s\n", o->token_file,
		    strerror(errno));
		return (-1);
	}
	if (fgets(o->token, sizeof o->token, f) == NULL)
		o->token[0] = '\0';
	(void)fclose(f);
	l = strlen(o->token);
	while (l > 0 && isspace((unsigned char)o->token[l - 1]))
		o->token[--l] = '\0';
	for (i = strlen(TOKEN_PREFIX); i < l; i++)
		if (!isalnum((unsigned char)o->token[i]))
			break;
	if (l != strlen(TOKEN_PREFIX) + TOKEN_CHARS ||
	    strncmp(o->token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) || i != l) {
		memset(o->token, 0, sizeof o->token);
		fprintf(stderr,
		    "stoked agent: %s: not an agent token (sta_ and %d "
		    "letters or digits)\n",
		    o->token_file, TOKEN_CHARS);
		return (-1);
	}
	return (0);
}

/* https, or loopback, or --insecure-control. */
static int
agent_control_ok(const struct agent_opts *o)
{
	const char *h;
	size_t l;

	if (!strncmp(o->control, "https://", 8))
		return (0);
	if (strncmp(o->control, "http://", 7)) {
		fprintf(stderr,
		    "stoked agent: --control: not an http(s) URL\n");
		return (-1);
	}
	if (o->insecure)
		return (0);
	h = o->control + 7;
	l = strcspn(h, "/?#");
	if ((l >= 10 && !strncmp(h, "127.0.0.1", 9) &&
	        (h[9] == ':' || l == 9)) ||
	    (l >= 9 && !strncmp(h, "localhost", 9) &&
	        (h[9] == ':' || l == 9)) ||
	    !strncmp(h, "[::1]", 5))
		return (0);
	fprintf(stderr,
	    "stoked agent: --control must be https (the token goes with "
	    "every request), unless on loopback or with --insecure-control\n");
	return (-1);
}

static int
agent_options(struct agent_opts *o, int argc, char **argv)
{
	struct cmd_common *cc = &o->cc;
	const struct cmd_opt opts[] = {
		{ "name", 'n', CO_STRING, "NAME", 0, 0, NULL,
		    "the varnishd to watch (none: the default one)", &o->name,
		    NULL },
		CMD_OPT_NODE(cc, "where that varnishd listens"),
		CMD_OPT_SECRET_FILE(cc),
		{ "control", 0, CO_STRING, "URL", 0, 0, NULL,
		    "the control plane (stoked serve)", &o->control, NULL },
		{ "token-file", 0, CO_STRING, "T", 0, 0, NULL,
		    "the agent token (sta_...), made in the API",
		    &o->token_file, NULL },
		{ "agent-name", 0, CO_STRING, "NAME", 0, 0, "the host name",
		    "how the control plane names this agent", &o->agent_name,
		    NULL },
		{ "state-dir", 0, CO_STRING, "DIR", 0, 0, NULL,
		    "the spool's files and the commands' cursor", &o->state_dir,
		    NULL },
		{ "listen", 'l', CO_STRING, "ADDR:PORT", 0, 0, "127.0.0.1:6089",
		    "where /metrics and /healthz listen", &o->listen, NULL },
		CMD_OPT_DOORBELL(&o->doorbell),
		{ "spool-memory", 0, CO_REAL, "BYTES", 0, 1e12, "67108864",
		    "batches waiting in memory, at most", &o->spool_memory,
		    NULL },
		{ "spool-disk", 0, CO_REAL, "BYTES", 0, 1e13, "1073741824",
		    "then in files under --state-dir, at most", &o->spool_disk,
		    NULL },
		{ "control-ca", 0, CO_STRING, "FILE", 0, 0, NULL,
		    "a CA to trust for the control plane, beside the system's",
		    &o->ca_file, NULL },
		{ "insecure-control", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "allow a control plane over plain http (tests)",
		    &o->insecure, NULL },
		{ "index-mb", 'm', CO_UINT, "MB", 1, 1048576, "256",
		    "the index, at most", &o->index_mb, NULL },
		CMD_OPT_CONCURRENCY(cc, "warm-concurrency", "8"),
		{ "refresh-before", 0, CO_REAL, "S", 0, 86400, "10",
		    "seconds before a TTL ends to refresh (0: never)",
		    &o->refresh_before, NULL },
		{ "refresh-popularity", 0, CO_REAL, "P", 0, 1e9, "1.5",
		    "how popular an object refreshed is, at least",
		    &o->refresh_pop, NULL },
		CMD_OPT_ORIGIN_MAX(cc, "16"),
		CMD_OPT_ORIGIN_RATE(cc),
		{ "poll-wait", 0, CO_UINT, "S", 1, 30, "25", NULL,
		    &o->poll_wait, NULL },
		{ "popular-every", 0, CO_REAL, "S", 1, 3600, "60",
		    "how often the popular paths and search terms are sent",
		    &o->popular_every, NULL },
		{ "render", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "render the pages of render mode; --chromium must run",
		    &o->render, NULL },
		{ "no-render", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "only warm them, even with a --chromium", &o->no_render,
		    NULL },
		CMD_OPT_RENDER(&o->cr),
		CMD_OPT_END,
	};
	int arg0, rv;

	CHECK_OBJ_NOTNULL(o, AGENT_OPTS_MAGIC);
	rv = cmd_opts_parse("agent", agent_synopsis, agent_about, opts, argc,
	    argv, &arg0);
	if (rv != 0)
		return (rv);
	if (arg0 != argc || cc->nnode != 1 || cc->keylen == 0 ||
	    o->control == NULL || o->token_file == NULL) {
		fprintf(stderr,
		    "stoked agent: needs one --node, "
		    "--secret-file, --control and --token-file\n");
		cmd_opts_usage(stderr, "agent", agent_synopsis, agent_about,
		    opts);
		return (2);
	}
	if (agent_control_ok(o) != 0 || agent_token(o) != 0)
		return (2);
	if (o->render && o->no_render) {
		fprintf(stderr,
		    "stoked agent: --render or --no-render, not both\n");
		return (2);
	}
	if (o->cr.chromium == NULL)
		o->cr.chromium = CDP_CHROMIUM;
	/* Said: it must work.  Not said: when there is a browser. */
	if (o->render && access(o->cr.chromium, X_OK) != 0) {
		fprintf(stderr, "stoked agent: --render: %s: %s\n",
		    o->cr.chromium, strerror(errno));
		return (2);
	}
	o->render = !o->no_render && access(o->cr.chromium, X_OK) == 0;
	if (o->agent_name == NULL) {
		if (gethostname(o->host, sizeof o->host - 1) != 0)
			snprintf(o->host, sizeof o->host, "agent");
		o->agent_name = o->host;
	}
	return (0);
}

/*--------------------------------------------------------------------
 * The agent
 */

/* The control link's hooks: commands to the node, settings to both the
 * node and the tasks. */
static int
agent_command(void *priv, const json_t *command)
{
	struct agent *a;

	CAST_OBJ_NOTNULL(a, priv, AGENT_MAGIC);
	return (nc_command(a->nc, command));
}

static void
agent_website(void *priv, const json_t *website)
{
	struct agent *a;

	CAST_OBJ_NOTNULL(a, priv, AGENT_MAGIC);
	nc_website(a->nc, website);
	at_website(a->tasks, website);
}

/* A version 4 uuid: this run's, the first half of its batch keys. */
static void
agent_run_id(char *buf, size_t len)
{
	unsigned char b[16];
	unsigned i;

	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		for (i = 0; i < sizeof b; i++)
			b[i] = (unsigned char)(rand() ^ getpid());
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, len,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

/* The pages to render go through the node on connections of their own,
 * within the same origin guard as its re-warms. */
static void
agent_render(struct agent *a, const struct agent_opts *o)
{
	struct render_pool_conf pc;

	a->rf = fetcher_new(a->eb, o->cc.concurrency);
	AN(a->rf);
	fetcher_set_guard(a->rf, a->guard);
	cmd_render_conf(&o->cr, &pc);
	at_render(a->tasks, a->rf, &pc, o->cc.nodes[0], o->cr.timeout);
	log_info(NULL, "rendering pages with %s", o->cr.chromium);
}

/* The VCL rang: the log is read at once. */
static void
agent_on_ring(void *priv)
{
	struct agent *a;

	CAST_OBJ_NOTNULL(a, priv, AGENT_MAGIC);
	instance_wake(a->inst);
}

static int
agent_start(struct agent *a, struct agent_opts *o)
{
	struct cmd_instance_conf ic;
	struct spool_conf sc;
	struct rs_conf rsc;
	void *batch;
	struct cl_conf clc;
	char err[512];

	a->api = http_api_new(a->eb, o->listen, err, sizeof err);
	if (a->api == NULL) {
		log_error("api", "%s", err);
		return (-1);
	}
	memset(&sc, 0, sizeof sc);
	sc.mem_max = (size_t)o->spool_memory;
	sc.disk_max = (size_t)o->spool_disk;
	sc.dir = o->state_dir;
	a->spool = spool_new(&sc, err, sizeof err);
	if (a->spool == NULL) {
		log_error("spool", "%s", err);
		return (-1);
	}
	api_agent_register(a->api);
	agent_run_id(a->run, sizeof a->run);

	a->guard = og_new(&o->cc.og);
	memset(&ic, 0, sizeof ic);
	ic.name = o->name;
	ic.node = o->cc.nodes[0];
	ic.index_mb = o->index_mb;
	ic.refresh_before = o->refresh_before;
	ic.refresh_popularity = o->refresh_pop;
	ic.guard = a->guard;
	a->inst = cmd_instance_new(a->eb, a->api, &o->cc, &ic, &a->rc);
	if (o->doorbell != NULL) {
		a->bell = doorbell_new(a->eb, o->doorbell, agent_on_ring, a,
		    err, sizeof err);
		if (a->bell == NULL) {
			log_error("doorbell", "%s", err);
			return (-1);
		}
	}
	a->traffic = traffic_new(o->popular_every);
	instance_set_tap(a->inst, traffic_event, a->traffic);

	/* A batch a second, or at once when 1000 results wait. */
	memset(&rsc, 0, sizeof rsc);
	rsc.batch = 1000;
	rsc.interval = 1.0;
	batch = link_batch_new(a->run, a->spool, a->traffic);
	a->store = rs_new_writer(a->eb, &rsc, &link_batch_writer, batch);
	rs_watch_instance(a->store, a->inst);

	a->nc = nc_new(a->eb, o->cc.nodes[0], a->inst, a->guard);
	/* What it purges on command is not broadcast back by the control
	 * plane: its invalidations go as echoes. */
	link_batch_echo(batch, nc_echo, a->nc);
	memset(&clc, 0, sizeof clc);
	clc.url = o->control;
	clc.token = o->token;
	clc.ca_file = o->ca_file;
	clc.name = o->agent_name;
	clc.version = PACKAGE_VERSION;
	clc.node = o->cc.nodes[0];
	clc.run = a->run;
	clc.state_dir = o->state_dir;
	clc.poll_wait = o->poll_wait;
	/* The control plane's warm tasks, through the node as re-warms. */
	a->tasks = at_new(a->eb, a->inst, a->spool, a->run);
	if (o->render)
		agent_render(a, o);
	a->cl = cl_new(a->eb, &clc, a->spool, agent_command, agent_website, a);
	at_link(a->tasks, a->cl);
	http_api_metrics(a->api, cl_metrics, a->cl);
	http_api_metrics(a->api, at_metrics, a->tasks);
	/* What the guard allows the origin, as stoked run says it: an
	 * open breaker is for the operator to see. */
	http_api_metrics(a->api, api_origins_metrics, a->guard);
	cl_start(a->cl);
	printf("stoked agent %s (run %s) listening on %.*s:%u\n", o->agent_name,
	    a->run, (int)(strrchr(o->listen, ':') - o->listen), o->listen,
	    http_api_port(a->api));
	fflush(stdout);
	return (0);
}

/* The end: what is recorded goes to the spool, then to the control
 * plane for a few seconds, and what is left to the state directory. */
static void
agent_close(struct agent *a)
{
	CHECK_OBJ_NOTNULL(a, AGENT_MAGIC);
	if (a->bell != NULL)
		doorbell_free(&a->bell);
	http_api_free(&a->api);
	if (a->inst != NULL)
		instance_free(&a->inst);
	/* What is warmed is reported; what is not, its lease gives back. */
	if (a->tasks != NULL)
		at_flush(a->tasks);
	if (a->store != NULL)
		(void)rs_drain(a->store, 2);
	if (a->cl != NULL) {
		cl_drain(a->cl, 5);
		cl_free(&a->cl);
	}
	if (a->spool != NULL)
		spool_save(a->spool);
	/* The store's writer asks the commands what was an echo. */
	if (a->store != NULL)
		rs_free(&a->store);
	if (a->tasks != NULL)
		at_free(&a->tasks);
	/* After the tasks: their browsers fetch on it. */
	if (a->rf != NULL)
		fetcher_free(&a->rf);
	if (a->nc != NULL)
		nc_free(&a->nc);
	if (a->traffic != NULL)
		traffic_free(&a->traffic);
	if (a->spool != NULL)
		spool_free(&a->spool);
	if (a->guard != NULL)
		og_free(&a->guard);
	event_base_free(a->eb);
}

int
cmd_agent(int argc, char **argv)
{
	struct agent_opts o;
	struct agent a;
	int rv;

	INIT_OBJ(&o, AGENT_OPTS_MAGIC);
	cmd_common_init(&o.cc);
	o.listen = "127.0.0.1:6089";
	o.refresh_pop = 1.5;
	rv = agent_options(&o, argc, argv);
	if (rv != 0)
		return (rv == 1 ? 0 : rv);
	INIT_OBJ(&a, AGENT_MAGIC);
	a.eb = loop_new();
	if (a.eb == NULL) {
		log_error(NULL, "no event base");
		return (1);
	}
	rv = 0;
	if (agent_start(&a, &o) != 0)
		rv = 1;
	else if (loop_run(a.eb) != 0)
		log_error(NULL, "the event loop failed");
	agent_close(&a);
	memset(o.cc.key, 0, sizeof o.cc.key);
	memset(o.token, 0, sizeof o.token);
	return (rv);
}
