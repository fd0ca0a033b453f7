/*
 * The tenants' API as stoked serve and stoked run both set it up: the
 * token keys, the threads that hash passwords, the routes and the
 * authenticator, on an API and a database pool of the command's.
 */

#ifndef STOKE_CMD_TENANT_H
#define STOKE_CMD_TENANT_H

#include <stddef.h>

#include "api/api_tenant.h"

struct api_static;
struct client_trust;
struct event;
struct event_base;
struct http_api;
struct pg_pool;

struct cmd_tenant {
	unsigned magic;
#define CMD_TENANT_MAGIC 0x5e7e0002
	struct token_keys *keys;
	struct api_tenant tenant;
	struct event *prune; /* revoked tokens past their end, forgotten */
	struct client_trust *trust; /* --trusted-proxy; NULL: none */
	const char *dashboard; /* --dashboard; NULL: the default's */
	struct api_static *files; /* the dashboard's, served at / */
	const char *test_clock; /* --test-clock; NULL: the real time */
};

/*
 * Hidden, for tests only: --test-clock FILE, whose whole number of
 * seconds since the epoch is "now" for websites' schedules (the
 * scheduler and GET /api/websites/:id/schedule), read at each look, so
 * that a test moves replicas over simulated hours.  No variable or
 * default enables it; a replica given it says so in its log.
 */
#define CMD_OPT_TEST_CLOCK(var)                                                \
	{                                                                      \
		"test-clock", 0, CO_STRING, "FILE", 0, 0, NULL, NULL, (var),   \
		    NULL                                                       \
	}

/* --trusted-proxy CIDR, repeated: var is a struct client_trust **,
 * NULL until the first; cmd_tenant_free() frees ct->trust. */
int
cmd_tenant_trusted_proxy(void *var, const char *arg, char *why, size_t whylen);
#define CMD_OPT_TRUSTED_PROXY(tp)                                              \
	{                                                                      \
		"trusted-proxy", 0, CO_CALL, "CIDR", 0, 0, "none",             \
		    "a load balancer's network: its X-Forwarded-For names "    \
		    "the client (repeat)",                                     \
		    (tp), cmd_tenant_trusted_proxy                             \
	}

/*
 * --dashboard DIR: the built dashboard served at /.  Without it, the
 * one installed in the package's data directory if there is one, else
 * the one built in the source tree this stoked was built from.
 */
#define CMD_OPT_DASHBOARD(var)                                                 \
	{                                                                      \
		"dashboard", 0, CO_STRING, "DIR", 0, 0,                        \
		    "PKGDATADIR/dashboard, else the source's dashboard/dist",  \
		    "the built dashboard to serve at /", (var), NULL           \
	}
/* The directory the dashboard is served from: dir, or the default. */
const char *cmd_tenant_dashboard_dir(const char *dir);

/*
 * The keys of key_file (--jwt-keys), else of $STOKE_JWT_KEYS; else,
 * when state_dir is given (one machine, the embedded database), those of
 * its key file, made with a fresh key if missing.  0; 1: none given and
 * no state_dir; -1: said why.
 */
int cmd_tenant_keys(struct cmd_tenant *, const char *who, const char *key_file,
    const char *state_dir);

/*
 * With the keys: threads, limits, the routes, the authenticator, and
 * the dashboard at / (ct->dashboard's, or the default's).
 * allow_private: tenants may name loopback and private addresses (their
 * own machine's Varnish, self-hosted).  user_rate, user_burst: each
 * user's requests a second; 0: the policy's (api_limits.h).
 * sse_heartbeat: seconds between an event stream's pings.  0, or -1.
 */
int
cmd_tenant_start(struct cmd_tenant *, struct event_base *, struct http_api *,
    struct pg_pool *, double token_ttl, unsigned threads, int allow_private,
    double user_rate, double user_burst, double sse_heartbeat);

/* After the API and before the pool: hashing may still be under way;
 * the event streams end (those reading, once the pool ends their read). */
void cmd_tenant_stop(struct cmd_tenant *);
/* After the pool, whose last callbacks still use the limits and keys. */
void cmd_tenant_free(struct cmd_tenant *);

#endif
