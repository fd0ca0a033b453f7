/*
 * stoked serve: the control plane of the hosted service.  The tenants'
 * API (accounts, projects...) and /metrics on one port, no Varnish log
 * of its own, and no state another replica would need: any number of
 * them share one PostgreSQL behind a load balancer, and what one
 * replica does (a logout) the others see at once.
 *
 * Access tokens are signed with the keys of --jwt-keys (or the lines of
 * $STOKE_JWT_KEYS), which every replica must share.  With the embedded
 * database (one machine), a key file is made in the state directory
 * when none is given.
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

#include "api/http_api.h"
#include "api/routes.h"
#include "auth/token.h"
#include "core/log.h"
#include "core/loop.h"
#include "store/db_url.h"
#include "store/pg_embed.h"
#include "store/pg_pool.h"
#include "store/queue_stats.h"
#include "cmd.h"
#include "cmd_opts.h"
#include "cmd_tenant.h"

#define SERVE_LISTEN "127.0.0.1:6087"
/* How often the queue's depth and the jobs are read for /metrics. */
#define SERVE_QUEUE_STATS_PERIOD 5.0

struct serve {
	unsigned magic;
#define SERVE_MAGIC 0x5e7e0001
	struct cmd_common cc;
	const char *listen;
	const char *metrics_listen;
	const char *key_file;
	double token_ttl;
	unsigned threads, conns;
	int new_key;
	int print_routes;
	int allow_private;
	double user_rate, user_burst; /* hidden: tests lower them */
	double sse_heartbeat;
	double client_timeout;
	unsigned max_connections;
	/* what it runs */
	struct pg_embed *pe;
	int db_started;
	struct event_base *eb;
	struct pg_pool *pool;
	struct http_api *api;
	struct cmd_tenant ct;
	struct queue_stats *qs;
};

static const char serve_synopsis[] =
    "[--listen ADDR:PORT] [--metrics-listen ADDR:PORT]\n"
    "                  [--database-url URL | --state-dir DIR]\n"
    "                  [--jwt-keys FILE] [--token-ttl S] [--threads N]\n"
    "                  [--allow-private] [--trusted-proxy CIDR]...\n"
    "                  [--sse-heartbeat S] [--max-connections N]\n"
    "                  [--dashboard DIR]\n"
    "       stoked serve --new-jwt-key";

static const char serve_about[] =
    "Serves the tenants' API (accounts, projects, their members) and\n"
    "/metrics on --listen (/metrics on --metrics-listen instead, when\n"
    "given, so that the API's port may face the world and the\n"
    "scraper's not), over the database (else $STOKE_DATABASE_URL's,\n"
    "else the embedded one in the state directory, see 'stoked db'),\n"
    "whose schema it brings up to date.  Replicas share nothing but the\n"
    "database and the token keys: --jwt-keys names a file of lines\n"
    "'KID SECRET' (the first signs, all verify; put a new key first to\n"
    "rotate), else $STOKE_JWT_KEYS holds the lines; with the embedded\n"
    "database and neither, a key file is made in the state directory.\n"
    "--new-jwt-key prints a new key line and exits.  Tenants' URLs (a\n"
    "website, its sitemap, its Varnish nodes) may not resolve to loopback\n"
    "or private addresses unless --allow-private is given (one's own\n"
    "sites, tests); link-local and metadata addresses never.  Behind a\n"
    "load balancer, --trusted-proxy names its networks: the client whose\n"
    "address limits sign-ins is then the one its X-Forwarded-For names.\n"
    "Jobs' progress is streamed as Server-Sent Events, a ping every\n"
    "--sse-heartbeat seconds keeping each stream open.  At most\n"
    "--max-connections clients are served at once (by default the\n"
    "open-file limit less 256: raise it, LimitNOFILE=, for thousands of\n"
    "open dashboards); past it, newcomers are answered 503 and closed.\n"
    "The dashboard, the tenants' web UI, is served at / from --dashboard\n"
    "(by default the one installed in " STOKE_DASHBOARD_DIR ",\n"
    "else the one built in " STOKE_DASHBOARD_SRC ");\n"
    "without a build, / says how to make one.\n";

/*--------------------------------------------------------------------
 * The database
 */

/* The URL to use, migrated; the embedded cluster started if it is the
 * one (dir, as db_url_choose() gave it).  Blocks: before the loop.
 * NULL: said why. */
static const char *
serve_database(struct serve *s, const char *url, const char *dir)
{
	char err[1024], masked[512];

	CHECK_OBJ_NOTNULL(s, SERVE_MAGIC);
	if (url == NULL) {
		s->pe = pg_embed_new(dir, err, sizeof err);
		if (s->pe == NULL ||
		    pg_embed_start(s->pe, &s->db_started, err, sizeof err) !=
		        0) {
			log_error("database", "%s", err);
			return (NULL);
		}
		url = pg_embed_url(s->pe);
		log_info("database", "the embedded PostgreSQL in %s%s",
		    pg_embed_data_dir(s->pe), s->db_started ? ", started" : "");
	} else {
		db_url_mask(url, masked, sizeof masked);
		log_info("database", "%s", masked);
	}
	if (cmd_migrate_url("serve", url) != 0)
		return (NULL);
	return (url);
}

/*--------------------------------------------------------------------
 * Up and down
 */

static int
serve_start(struct serve *s)
{
	char dir[PATH_MAX], err[1024];
	const char *url;
	int rv;

	CHECK_OBJ_NOTNULL(s, SERVE_MAGIC);
	if (db_url_choose(s->cc.database_url, s->cc.state_dir, &url, dir,
	        sizeof dir, err, sizeof err) != 0) {
		log_error("database", "%s", err);
		return (-1);
	}
	/* The keys first: a bad key file is said before anything starts. */
	rv = cmd_tenant_keys(&s->ct, "serve", s->key_file, NULL);
	if (rv < 0)
		return (-1);
	if (rv > 0 && url != NULL) {
		log_error("serve",
		    "no token keys: give --jwt-keys FILE (the same on every "
		    "replica; 'stoked serve --new-jwt-key' makes a line)");
		return (-1);
	}
	url = serve_database(s, url, dir);
	if (url == NULL)
		return (-1);
	/* One machine: the state directory keeps a key of its own. */
	if (rv > 0 && cmd_tenant_keys(&s->ct, "serve", NULL, dir) != 0)
		return (-1);
	s->eb = event_base_new();
	AN(s->eb);
	s->pool = pg_pool_new(s->eb, url, s->conns, err, sizeof err);
	if (s->pool == NULL) {
		log_error("database", "%s", err);
		return (-1);
	}
	s->api = http_api_new(s->eb, s->listen, err, sizeof err);
	if (s->api == NULL) {
		log_error("api", "%s", err);
		return (-1);
	}
	http_api_set_timeout(s->api, s->client_timeout);
	log_info("api", "%u connections at most",
	    http_api_set_max_connections(s->api, s->max_connections));
	if (s->metrics_listen != NULL &&
	    http_api_listen_metrics(s->api, s->metrics_listen, err,
	        sizeof err) != 0) {
		log_error("api", "--metrics-listen: %s", err);
		return (-1);
	}
	if (s->allow_private)
		log_notice("serve",
		    "tenants may name loopback and private addresses");
	if (cmd_tenant_start(&s->ct, s->eb, s->api, s->pool, s->token_ttl,
	        s->threads, s->allow_private, s->user_rate, s->user_burst,
	        s->sse_heartbeat) != 0)
		return (-1);
	s->qs = qs_new(s->eb, s->pool, SERVE_QUEUE_STATS_PERIOD);
	api_metrics_register(s->api);
	http_api_metrics(s->api, qs_metrics, s->qs);
	printf("stoked listening on %.*s:%u\n",
	    (int)(strrchr(s->listen, ':') - s->listen), s->listen,
	    http_api_port(s->api));
	if (s->metrics_listen != NULL)
		printf("stoked metrics on %.*s:%u\n",
		    (int)(strrchr(s->metrics_listen, ':') - s->metrics_listen),
		    s->metrics_listen, http_api_metrics_port(s->api));
	fflush(stdout);
	return (0);
}

/* Whose callbacks use whom: each goes before what it calls. */
static void
serve_stop(struct serve *s)
{
	char err[1024];
	int stopped;

	CHECK_OBJ_NOTNULL(s, SERVE_MAGIC);
	http_api_free(&s->api);
	cmd_tenant_stop(&s->ct);
	if (s->pool != NULL)
		pg_pool_free(&s->pool);
	/* After the pool: its callbacks, ended by its free, use them. */
	if (s->qs != NULL)
		qs_free(&s->qs);
	cmd_tenant_free(&s->ct);
	if (s->eb != NULL)
		event_base_free(s->eb);
	if (s->db_started &&
	    pg_embed_stop(s->pe, &stopped, err, sizeof err) != 0)
		log_error("database", "%s", err);
	pg_embed_free(&s->pe);
}

int
cmd_serve(int argc, char **argv)
{
	struct serve s;
	char line[256];
	int arg0, rv;
	const struct cmd_opt opts[] = {
		{ "listen", 'l', CO_STRING, "ADDR:PORT", 0, 0, SERVE_LISTEN,
		    "where to serve (port 0: a free one)", &s.listen, NULL },
		{ "metrics-listen", 0, CO_STRING, "ADDR:PORT", 0, 0, "--listen",
		    "/metrics there, and only there", &s.metrics_listen, NULL },
		CMD_OPT_DATABASE_URL(&s.cc),
		CMD_OPT_STATE_DIR(&s.cc),
		{ "jwt-keys", 0, CO_STRING, "FILE", 0, 0, "$STOKE_JWT_KEYS",
		    "the token keys, 'KID SECRET' a line, the first signing",
		    &s.key_file, NULL },
		{ "token-ttl", 0, CO_REAL, "S", 60, 30 * 86400, "43200",
		    "seconds an access token lasts", &s.token_ttl, NULL },
		{ "threads", 0, CO_UINT, "N", 1, 64, "2",
		    "threads that hash passwords and resolve tenants' hosts",
		    &s.threads, NULL },
		{ "db-connections", 0, CO_UINT, "N", 1, 64, "4",
		    "connections to the database", &s.conns, NULL },
		{ "allow-private", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "let tenants name loopback and private addresses",
		    &s.allow_private, NULL },
		CMD_OPT_TRUSTED_PROXY(&s.ct.trust),
		CMD_OPT_SSE_HEARTBEAT(&s.sse_heartbeat),
		CMD_OPT_CLIENT_TIMEOUT(&s.client_timeout),
		CMD_OPT_MAX_CONNECTIONS(&s.max_connections),
		CMD_OPT_DASHBOARD(&s.ct.dashboard),
		/* Hidden: for tests only (cmd_tenant.h). */
		CMD_OPT_TEST_CLOCK(&s.ct.test_clock),
		{ "new-jwt-key", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "print a new key line for --jwt-keys and exit", &s.new_key,
		    NULL },
		/* Hidden: each user's requests a second, and burst, on each
		 * replica (api_limits.c has the policy); for tests. */
		{ "rate-user", 0, CO_REAL, "R", 0.001, 1e6, NULL, NULL,
		    &s.user_rate, NULL },
		{ "rate-user-burst", 0, CO_REAL, "N", 1, 1e6, NULL, NULL,
		    &s.user_burst, NULL },
		/* Hidden: every route, "METHOD PATH SCOPE KEY", for the test
		 * that holds api/openapi.json to them. */
		{ "print-routes", 0, CO_FLAG, NULL, 0, 0, NULL, NULL,
		    &s.print_routes, NULL },
		CMD_OPT_END,
	};

	memset(&s, 0, sizeof s);
	s.magic = SERVE_MAGIC;
	INIT_OBJ(&s.ct, CMD_TENANT_MAGIC);
	cmd_common_init(&s.cc);
	s.listen = SERVE_LISTEN;
	switch (cmd_opts_parse("serve", serve_synopsis, serve_about, opts, argc,
	    argv, &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	if (arg0 != argc) {
		cmd_opts_usage(stderr, "serve", serve_synopsis, serve_about,
		    opts);
		return (2);
	}
	if (s.print_routes) {
		api_routes_print(stdout);
		return (fflush(stdout) == 0 ? 0 : 1);
	}
	if (s.new_key) {
		/* token_key_line() sets libsodium up itself. */
		if (token_key_line(line, sizeof line) != 0)
			return (1);
		printf("%s\n", line);
		return (0);
	}
	if (cmd_common_check("serve", &s.cc) != 0)
		return (2);
	rv = serve_start(&s) == 0 && loop_run(s.eb) == 0 ? 0 : 1;
	serve_stop(&s);
	return (rv);
}
