/*
 * The tenants' API: accounts, projects and what hangs off them, served
 * by stoked serve (and stoked run beside the operator's).  What its
 * handlers share: the database, the token keys, the threads that hash
 * passwords.  Its routes are in routes.c with the operator's.
 */

#ifndef STOKE_API_TENANT_H
#define STOKE_API_TENANT_H

#include <stdint.h>

#include "auth/password.h"

struct api_agent_polls;
struct api_limits;
struct api_scheduler;
struct api_sse;
struct event_base;
struct fetcher;
struct http_api;
struct offload;
struct pg_pool;
struct token_keys;

/* What agents' batches brought to this replica (api_agent_link.c). */
enum api_agent_rows {
	AAR_JOBS,
	AAR_INVALIDATIONS,
	AAR_RESULTS,
	AAR_TRAFFIC,
	AAR_TASKS,
	AAR_POPULAR,
	AAR_SEARCHES,
	AAR__MAX
};

struct api_agent_stats {
	uint64_t stored, duplicate; /* batches */
	uint64_t rows[AAR__MAX];
};

struct api_tenant {
	unsigned magic;
#define API_TENANT_MAGIC 0x5e7a0c31
	struct pg_pool *pool;
	struct event_base *eb;
	/* Purges to the tenants' Varnish nodes, held to the address
	 * policy below; NULL once stopping. */
	struct fetcher *purger;
	const struct token_keys *keys;
	struct offload *offload;
	struct api_limits *limits; /* logins, sign-ups, each user's rate */
	struct api_sse *sse; /* the event streams, and their LISTEN */
	struct api_agent_polls *polls; /* agents' held polls, and theirs */
	struct api_scheduler *scheduler; /* websites' scheduled jobs */
	struct api_agent_stats agent_stats;
	/* --test-clock: the file whose seconds are now for schedules
	 * (core/test_clock.h); NULL: the real time. */
	const char *test_clock;
	double token_ttl; /* seconds an access token lasts */
	/* Tenants may name loopback and private addresses (self-hosting,
	 * tests); never link-local, metadata and the like. */
	int allow_private;
	/* Verified when a login names nobody, so that a wrong e-mail
	 * takes as long as a wrong password. */
	char dummy_hash[PASSWORD_HASH_MAX];
};

/* Routes, and who says who is asking; t stays the caller's. */
void api_tenant_register(struct http_api *, struct api_tenant *t);

#endif
