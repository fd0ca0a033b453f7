/*
 * One varnishd watched, as stoked run and stoked agent both set it up:
 * how it re-warms (from the shared options), the instance, and its
 * samples on /metrics.
 */

#ifndef STOKE_CMD_INSTANCE_H
#define STOKE_CMD_INSTANCE_H

#include "warm/rewarm.h"

struct cmd_common;
struct event_base;
struct http_api;
struct instance;
struct origin_guard;

/* What an instance takes beyond the shared options. */
struct cmd_instance_conf {
	const char *name; /* -n, or NULL: the default varnishd */
	const char *node; /* where it listens, or NULL: no re-warming */
	unsigned index_mb;
	double refresh_before;
	double refresh_popularity;
	struct origin_guard *guard; /* shared by the instances */
};

/*
 * The instance, its samples registered with api.  rc is filled in and
 * must live as long as the instance.
 */
struct instance *cmd_instance_new(struct event_base *, struct http_api *api,
    const struct cmd_common *, const struct cmd_instance_conf *,
    struct rewarm_conf *rc);

#endif
