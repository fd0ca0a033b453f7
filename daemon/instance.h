/*
 * One varnishd that stoked watches: its log reader, the observer turning
 * the log into events, and what those events are applied to.  Each
 * Varnish node is a cache of its own, so each gets its own instance.
 */

#ifndef STOKE_INSTANCE_H
#define STOKE_INSTANCE_H

struct event_base;
struct http_api;
struct instance;

struct index_apply;

struct rewarm_conf;
struct warm_verify;

/* rc: how to re-warm what the instance loses, or NULL not to. */
struct instance *instance_new(struct event_base *, const char *name,
    size_t index_bytes, const struct rewarm_conf *rc);
void instance_free(struct instance **);
const char *instance_name(const struct instance *);
struct index_apply *instance_apply(const struct instance *);
int instance_attached(const struct instance *);
const char *instance_dims(const struct instance *);
/* Matches warm requests through this node with their log. */
struct warm_verify *instance_verify(const struct instance *);
/* Adds the instance's metrics to the API. */
void instance_register(struct instance *, struct http_api *);

#endif
