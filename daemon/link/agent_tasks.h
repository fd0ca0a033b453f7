/*
 * The warm tasks the control plane gives this agent's node (agent
 * protocol v1, tasks): claimed through the control link as room allows
 * (the website's concurrency), each warmed through the node as its
 * re-warms are (node/instance.h's instance_warm(): a signed warm
 * request in the task's variant, the verdict from the node's log,
 * within the origin guard), and reported done, with its one result, in
 * a batch of its own that waits in the spool as every batch does: one
 * warmed while the control plane is away is reported once it is back,
 * and the control plane counts a task once however often it is said.
 *
 * A page the control plane says to render too (render mode) is, once
 * warm, loaded in headless Chromium through the node as stoked worker
 * loads it (render/render_pool.h), when rendering is on (at_render());
 * its result then goes with the render's report ("timings") and what
 * the page pulled in ("assets"), which the control plane makes tasks of
 * this agent's, to warm on its node.
 *
 * A task claimed again while still in hand (its lease ran out) is not
 * warmed twice.  Tasks in hand at exit are left: their leases run out
 * and the next run of the agent claims them again.
 */

#ifndef STOKE_AGENT_TASKS_H
#define STOKE_AGENT_TASKS_H

#include <jansson.h>

#include "core/metrics.h"

struct agent_tasks;
struct control_link;
struct event_base;
struct fetcher;
struct instance;
struct render_pool_conf;
struct spool;

/* run: this process's uuid, the first half of its batches' keys. */
struct agent_tasks *
at_new(struct event_base *, struct instance *, struct spool *, const char *run);
/* Claims through cl from now on. */
void at_link(struct agent_tasks *, struct control_link *);
/* The website's settings (hello, settings commands): its concurrency. */
void at_website(struct agent_tasks *, const json_t *website);
/*
 * Render the pages to render, on f's connections (its origin guard),
 * every request through node (http://ADDR:PORT), timeout seconds each;
 * the browsers start with the first page.  Without, those pages are
 * only warmed.
 */
void at_render(struct agent_tasks *, struct fetcher *f,
    const struct render_pool_conf *, const char *node, double timeout);
/* What is done goes to the spool now (at exit, before it is saved). */
void at_flush(struct agent_tasks *);
/* The instance must be freed first: nothing more comes of it. */
void at_free(struct agent_tasks **);
/* stoke_agent_tasks_* samples (priv: the agent_tasks). */
metrics_f at_metrics;

#endif
