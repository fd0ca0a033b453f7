/*
 * The tenants' API set up for a command: keys, threads, routes.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "api/api_agent_link.h"
#include "api/api_agent_poll.h"
#include "api/api_limits.h"
#include "api/api_scheduler.h"
#include "api/api_sse.h"
#include "api/api_static.h"
#include "api/client_addr.h"
#include "api/http_api.h"
#include "auth/password.h"
#include "auth/token.h"
#include "core/log.h"
#include "core/offload.h"
#include "fetch/fetcher.h"
#include "store/account_store.h"
#include "cmd_tenant.h"

#define CMD_TENANT_KEY_FILE "jwt.keys"
/* Connections to each Varnish node a purge keeps busy at most. */
#define CMD_TENANT_PURGE_PER_NODE 4
/* A revoked token's row is useless once the token has ended anyway. */
#define CMD_TENANT_PRUNE_EVERY 600
/* Seconds between the scheduler's looks: a slot starts this late at
 * most; a test clock's, as often as a test moves it. */
#define CMD_TENANT_SCHEDULE_EVERY 5.0
#define CMD_TENANT_SCHEDULE_TEST_EVERY 0.2

/* The state directory's key file, made (one fresh key) if missing. */
static int
cmd_tenant_key_file(const char *who, const char *dir, char *path, size_t len)
{
	char line[256 + 1];
	ssize_t w;
	int fd;

	if ((size_t)snprintf(path, len, "%s/%s", dir, CMD_TENANT_KEY_FILE) >=
	    len) {
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
	log_notice(who, "made the token key file %s", path);
	return (0);
}

int
cmd_tenant_keys(struct cmd_tenant *ct, const char *who, const char *key_file,
    const char *state_dir)
{
	char path[PATH_MAX], why[256];
	const char *env = getenv("STOKE_JWT_KEYS");

	CHECK_OBJ_NOTNULL(ct, CMD_TENANT_MAGIC);
	AZ(ct->keys);
	if (key_file != NULL) {
		ct->keys = token_keys_load(key_file, why, sizeof why);
	} else if (env != NULL && *env != '\0') {
		ct->keys = token_keys_parse(env, why, sizeof why);
	} else if (state_dir != NULL) {
		if (cmd_tenant_key_file(who, state_dir, path, sizeof path) !=
		    0) {
			log_error(who, "%s: %s", path, strerror(errno));
			return (-1);
		}
		ct->keys = token_keys_load(path, why, sizeof why);
	} else {
		return (1);
	}
	if (ct->keys == NULL) {
		log_error(who, "token keys: %s", why);
		return (-1);
	}
	return (0);
}

static void
cmd_tenant_pruned(void *priv, enum as_status st, const char *json,
    const char *err)
{
	struct cmd_tenant *ct;

	CAST_OBJ_NOTNULL(ct, priv, CMD_TENANT_MAGIC);
	if (st != AS_OK)
		log_warning("api", "forgetting expired revoked tokens: %s",
		    err != NULL ? err : "?");
	else
		log_debug("api", "revoked tokens pruned: %s", json);
}

static void
cmd_tenant_prune(evutil_socket_t fd, short what, void *priv)
{
	struct cmd_tenant *ct;
	const char *err;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(ct, priv, CMD_TENANT_MAGIC);
	if (as_tokens_prune(ct->tenant.pool, cmd_tenant_pruned, ct, &err) != 0)
		log_debug("api", "pruning revoked tokens later: %s", err);
}

int
cmd_tenant_trusted_proxy(void *var, const char *arg, char *why, size_t whylen)
{
	struct client_trust **tp = var;

	AN(tp);
	if (*tp == NULL)
		*tp = client_trust_new();
	return (client_trust_add(*tp, arg, why, whylen));
}

const char *
cmd_tenant_dashboard_dir(const char *dir)
{
	struct stat sb;

	if (dir != NULL)
		return (dir);
	if (stat(STOKE_DASHBOARD_DIR "/index.html", &sb) == 0)
		return (STOKE_DASHBOARD_DIR);
	return (STOKE_DASHBOARD_SRC);
}

int
cmd_tenant_start(struct cmd_tenant *ct, struct event_base *eb,
    struct http_api *api, struct pg_pool *pool, double token_ttl,
    unsigned threads, int allow_private, double user_rate, double user_burst,
    double sse_heartbeat)
{
	struct api_tenant *t;

	CHECK_OBJ_NOTNULL(ct, CMD_TENANT_MAGIC);
	AN(ct->keys);
	if (password_init() != 0) {
		log_error("api", "libsodium cannot run here");
		return (-1);
	}
	t = &ct->tenant;
	INIT_OBJ(t, API_TENANT_MAGIC);
	t->pool = pool;
	t->eb = eb;
	t->keys = ct->keys;
	t->token_ttl = token_ttl;
	t->allow_private = allow_private;
	/* Blocks for as long as a login's check: once, before the loop. */
	if (password_hash("not a password of anyone's", t->dummy_hash) != 0) {
		log_error("api", "hashing a password failed");
		return (-1);
	}
	t->offload = offload_new(eb, threads);
	t->purger = fetcher_new(eb, CMD_TENANT_PURGE_PER_NODE);
	fetcher_check_addresses(t->purger, allow_private);
	t->limits = api_limits_new(eb, pool, user_rate, user_burst);
	http_api_metrics(api, api_limits_metrics, t->limits);
	t->sse = api_sse_new(eb, pool, sse_heartbeat);
	http_api_metrics(api, api_sse_metrics, t->sse);
	t->polls = api_agent_polls_new(eb, pool);
	http_api_metrics(api, api_agent_link_metrics, t);
	t->test_clock = ct->test_clock;
	/* A test's clock moves in jumps: looked at more often. */
	t->scheduler = api_scheduler_new(eb, pool, ct->test_clock,
	    ct->test_clock != NULL ? CMD_TENANT_SCHEDULE_TEST_EVERY
	                           : CMD_TENANT_SCHEDULE_EVERY);
	http_api_metrics(api, api_scheduler_metrics, t->scheduler);
	api_tenant_register(api, t);
	ct->files = api_static_new(cmd_tenant_dashboard_dir(ct->dashboard));
	http_api_fallback(api, api_static_get, ct->files);
	log_info("api", "the dashboard from %s", api_static_dir(ct->files));
	if (ct->trust != NULL) {
		http_api_trust(api, ct->trust);
		log_info("api",
		    "clients' addresses from X-Forwarded-For "
		    "through %u trusted network(s)",
		    client_trust_n(ct->trust));
	}
	ct->prune = event_new(eb, -1, EV_PERSIST, cmd_tenant_prune, ct);
	AN(ct->prune);
	AZ(event_add(ct->prune,
	    &(struct timeval){ .tv_sec = CMD_TENANT_PRUNE_EVERY }));
	return (0);
}

void
cmd_tenant_stop(struct cmd_tenant *ct)
{
	struct fetcher *f;

	CHECK_OBJ_NOTNULL(ct, CMD_TENANT_MAGIC);
	if (ct->prune != NULL) {
		event_free(ct->prune);
		ct->prune = NULL;
	}
	if (ct->tenant.offload != NULL)
		offload_free(&ct->tenant.offload);
	if (ct->tenant.sse != NULL)
		api_sse_stop(ct->tenant.sse);
	if (ct->tenant.polls != NULL)
		api_agent_polls_stop(ct->tenant.polls);
	if (ct->tenant.scheduler != NULL)
		api_scheduler_stop(ct->tenant.scheduler);
	/* Purges under way end now, each node's answer "stopped"; none
	 * starts after (api_purge.c sees NULL). */
	f = ct->tenant.purger;
	ct->tenant.purger = NULL;
	fetcher_free(&f);
}

void
cmd_tenant_free(struct cmd_tenant *ct)
{
	CHECK_OBJ_NOTNULL(ct, CMD_TENANT_MAGIC);
	AZ(ct->prune);
	if (ct->tenant.sse != NULL)
		api_sse_free(&ct->tenant.sse);
	if (ct->tenant.polls != NULL)
		api_agent_polls_free(&ct->tenant.polls);
	if (ct->tenant.scheduler != NULL)
		api_scheduler_free(&ct->tenant.scheduler);
	if (ct->tenant.limits != NULL)
		api_limits_free(&ct->tenant.limits);
	if (ct->keys != NULL)
		token_keys_free(&ct->keys);
	if (ct->trust != NULL)
		client_trust_free(&ct->trust);
	if (ct->files != NULL)
		api_static_free(&ct->files);
}
