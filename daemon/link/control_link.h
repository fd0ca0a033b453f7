/*
 * The agent's link to the control plane (agent protocol v1), always
 * connecting out, over libcurl on the event loop (fetch/fetcher.h):
 *
 *   hello    POST /api/agent/v1/hello, at start and after a refusal;
 *            its website's settings are handed to the website hook;
 *   batches  POST /api/agent/v1/batches, the spool's oldest, one at a
 *            time, the next only after the previous one's 200; a batch
 *            refused for its content (4xx but 401 and 429) is dropped
 *            and said, anything else is sent again, same key;
 *   commands GET /api/agent/v1/commands?after=CURSOR&wait=S, a long
 *            poll, each command handed to the command hook in order;
 *            the cursor is kept in the state directory, if any;
 *   tasks    POST /api/agent/v1/tasks/claim, with the tasks hook (if
 *            set): as many as it has room for, at once after hello,
 *            on a "tasks" command and on cl_claim(), and every 30 s
 *            while it has room; what is claimed is handed to it.
 *
 * Failures are retried with an exponential backoff from 0.5 s up to
 * 30 s, with full jitter.  A 401 (the token revoked) stops sending,
 * says so, and says hello again with the backoff.  The link going down
 * and coming back up is said once each, not per retry.  The token is
 * sent in its header and nowhere else: never logged.
 */

#ifndef STOKE_CONTROL_LINK_H
#define STOKE_CONTROL_LINK_H

#include <jansson.h>

#include "core/metrics.h"

struct event_base;
struct control_link;
struct spool;

struct cl_conf {
	const char *url; /* the control plane: scheme, host, port */
	const char *token; /* sta_... */
	const char *ca_file; /* trusted besides the system's, or NULL */
	const char *name, *version, *node, *run; /* what hello says */
	const char *state_dir; /* the cursor's file; NULL: none */
	unsigned poll_wait; /* seconds a long poll is held, at most */
};

/* A command as the control plane sent it; 0, or -1: a kind not known. */
typedef int cl_command_f(void *priv, const json_t *command);
/* The website's settings: from hello, and from each settings command. */
typedef void cl_website_f(void *priv, const json_t *website);

struct control_link *cl_new(struct event_base *, const struct cl_conf *,
    struct spool *, cl_command_f *, cl_website_f *, void *priv);

/* Who takes the tasks the control plane gives this agent's node. */
struct cl_tasks {
	/* How many more it would take now. */
	unsigned (*room)(void *priv);
	/* Tasks as the claim answered them (a JSON array, not empty). */
	void (*claimed)(void *priv, const json_t *tasks);
};
/* Kept; set before cl_start(). */
void cl_set_tasks(struct control_link *, const struct cl_tasks *, void *priv);
/* Claim now, if there is room (a task ended, or more were queued). */
void cl_claim(struct control_link *);
/* Starts: hello now. */
void cl_start(struct control_link *);
/*
 * At exit: the loop runs until the spool is empty and no batch is in
 * flight, timeout seconds at most.
 */
void cl_drain(struct control_link *, double timeout);
void cl_free(struct control_link **);
/* stoke_agent_* samples (priv: the link); register with /metrics. */
metrics_f cl_metrics;

#endif
