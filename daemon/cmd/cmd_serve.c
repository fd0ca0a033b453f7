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

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "api/api_tenant.h"
#include "api/http_api.h"
#include "auth/password.h"
#include "auth/token.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/offload.h"
#include "store/db_url.h"
#include "store/pg_embed.h"
#include "store/pg_pool.h"
#include "cmd.h"
#include "cmd_opts.h"

#define SERVE_LISTEN "127.0.0.1:6087"
#define SERVE_KEY_FILE "jwt.keys"

struct serve {
	unsigned magic;
#define SERVE_MAGIC 0x5e7e0001
	struct cmd_common cc;
	const char *listen;
	const char *key_file;
	double token_ttl;
	unsigned threads, conns;
	int new_key;
	/* what it runs */
	struct pg_embed *pe;
	int db_started;
	struct event_base *eb;
	struct pg_pool *pool;
	struct token_keys *keys;
	struct offload *offload;
	struct http_api *api;
	struct api_tenant tenant;
};

static const char serve_synopsis[] =
    "[--listen ADDR:PORT] [--database-url URL | --state-dir DIR]\n"
    "                  [--jwt-keys FILE] [--token-ttl S] [--threads N]\n"
    "       stoked serve --new-jwt-key";

static const char serve_about[] =
    "Serves the tenants' API (accounts, projects, their members) and\n"
    "/metrics on --listen, over the database (else $STOKE_DATABASE_URL's,\n"
    "else the embedded one in the state directory, see 'stoked db'),\n"
    "whose schema it brings up to date.  Replicas share nothing but the\n"
    "database and the token keys: --jwt-keys names a file of lines\n"
    "'KID SECRET' (the first signs, all verify; put a new key first to\n"
    "rotate), else $STOKE_JWT_KEYS holds the lines; with the embedded\n"
    "database and neither, a key file is made in the state directory.\n"
    "--new-jwt-key prints a new key line and exits.\n";

/*--------------------------------------------------------------------
 * The token keys
 */

/* The state directory's key file, made (one fresh key) if missing. */
static int
serve_key_file_make(const char *dir, char *path, size_t len)
{
	char line[256 + 1];
	ssize_t w;
	int fd;

	if ((size_t)snprintf(path, len, "%s/%s", dir, SERVE_KEY_FILE) >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return (errno == EEXIST ? 0 : -1);
	if (token_key_line(line, sizeof line - 1) != 0) {
		(void)close(fd);
		return (-1);
	}
	/* The line comes without its end. */
	strcat(line, "\n");
	w = write(fd, line, strlen(line));
	if (close(fd) != 0 || w != (ssize_t)strlen(line))
		return (-1);
	log_notice("serve", "made the token key file %s", path);
	return (0);
}

/*
 * The keys --jwt-keys or $STOKE_JWT_KEYS give; else, with the embedded
 * database (state_dir, once it is running), the state directory's.
 * 1: none given, and none to make yet.
 */
static int
serve_keys(struct serve *s, const char *state_dir)
{
	char path[PATH_MAX], why[256];
	const char *env = getenv("STOKE_JWT_KEYS");

	CHECK_OBJ_NOTNULL(s, SERVE_MAGIC);
	if (s->key_file != NULL) {
		s->keys = token_keys_load(s->key_file, why, sizeof why);
	} else if (env != NULL && *env != '\0') {
		s->keys = token_keys_parse(env, why, sizeof why);
	} else if (state_dir != NULL) {
		if (serve_key_file_make(state_dir, path, sizeof path) != 0) {
			log_error("serve", "%s: %s", path, strerror(errno));
			return (-1);
		}
		s->keys = token_keys_load(path, why, sizeof why);
	} else {
		return (1);
	}
	if (s->keys == NULL) {
		log_error("serve", "token keys: %s", why);
		return (-1);
	}
	return (0);
}

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
	if (password_init() != 0) {
		log_error("serve", "libsodium cannot run here");
		return (-1);
	}
	if (db_url_choose(s->cc.database_url, s->cc.state_dir, &url, dir,
	        sizeof dir, err, sizeof err) != 0) {
		log_error("database", "%s", err);
		return (-1);
	}
	/* The keys first: a bad key file is said before anything starts. */
	rv = serve_keys(s, NULL);
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
	if (rv > 0 && serve_keys(s, dir) != 0)
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
	s->offload = offload_new(s->eb, s->threads);
	INIT_OBJ(&s->tenant, API_TENANT_MAGIC);
	s->tenant.pool = s->pool;
	s->tenant.keys = s->keys;
	s->tenant.offload = s->offload;
	s->tenant.token_ttl = s->token_ttl;
	/* Blocks for as long as a login's check: once, before the loop. */
	if (password_hash("not a password of anyone's", s->tenant.dummy_hash) !=
	    0) {
		log_error("serve", "hashing a password failed");
		return (-1);
	}
	api_tenant_register(s->api, &s->tenant);
	printf("stoked listening on %.*s:%u\n",
	    (int)(strrchr(s->listen, ':') - s->listen), s->listen,
	    http_api_port(s->api));
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
	if (s->offload != NULL)
		offload_free(&s->offload);
	if (s->pool != NULL)
		pg_pool_free(&s->pool);
	if (s->keys != NULL)
		token_keys_free(&s->keys);
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
		CMD_OPT_DATABASE_URL(&s.cc),
		CMD_OPT_STATE_DIR(&s.cc),
		{ "jwt-keys", 0, CO_STRING, "FILE", 0, 0, "$STOKE_JWT_KEYS",
		    "the token keys, 'KID SECRET' a line, the first signing",
		    &s.key_file, NULL },
		{ "token-ttl", 0, CO_REAL, "S", 60, 30 * 86400, "43200",
		    "seconds an access token lasts", &s.token_ttl, NULL },
		{ "threads", 0, CO_UINT, "N", 1, 64, "2",
		    "threads that hash passwords", &s.threads, NULL },
		{ "db-connections", 0, CO_UINT, "N", 1, 64, "4",
		    "connections to the database", &s.conns, NULL },
		{ "new-jwt-key", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "print a new key line for --jwt-keys and exit", &s.new_key,
		    NULL },
		CMD_OPT_END,
	};

	memset(&s, 0, sizeof s);
	s.magic = SERVE_MAGIC;
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
	if (s.new_key) {
		if (password_init() != 0 ||
		    token_key_line(line, sizeof line) != 0)
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
