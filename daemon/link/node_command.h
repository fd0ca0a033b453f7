/*
 * What the control plane asks of this agent's node (agent protocol v1,
 * commands): "purge" (PURGE of each URL, xkey tags as the website's VCL
 * takes them: fetch/purger.h), "invalidate" (a tag invalidation or a
 * purge another node of the website saw, done here too), "settings"
 * (the website's: concurrency and rate to the origin guard, the variant
 * inputs to the dims re-warming replays variants with), all without a
 * restart.  The results of a purge come back as any invalidation does:
 * the node's log tells the instance, which re-warms and records.
 */

#ifndef STOKE_NODE_COMMAND_H
#define STOKE_NODE_COMMAND_H

#include <jansson.h>

struct event_base;
struct instance;
struct node_command;
struct origin_guard;

struct node_command *nc_new(struct event_base *, const char *node,
    struct instance *, struct origin_guard *);
void nc_free(struct node_command **);
/* control_link.h's hooks (priv: the node_command). */
int nc_command(void *priv, const json_t *command);
void nc_website(void *priv, const json_t *website);
/*
 * Was the invalidation the node's log tells of (kind "purge": subject a
 * URL; "tag": a comma-separated, percent-encoded list) one of this
 * node's commands carried out, within the last minute?  batch.h's echo
 * hook (priv: the node_command).
 */
int nc_echo(void *priv, const char *kind, const char *subject);

#endif
