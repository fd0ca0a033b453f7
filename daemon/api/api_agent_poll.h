/*
 * The agents' long polls of their commands on one replica
 * (GET /api/agent/v1/commands, api_agent_link.c has the protocol).  A
 * poll that finds nothing is held, its answer started, until a command
 * comes for its agent or its wait runs out; at most one per agent here,
 * the next ending the one before.  ONE LISTEN, on the pool's listening
 * connection, hears of every agent's new commands (agent_store.h's
 * channel) and wakes the poll of that agent, whichever replica made
 * the command; a LISTEN made again (the database was away) wakes them
 * all.
 */

#ifndef STOKE_API_AGENT_POLL_H
#define STOKE_API_AGENT_POLL_H

#include "http_api.h"

struct api_agent_polls;
struct event_base;
struct pg_pool;

/* Seconds a poll may be held, at most. */
#define AGENT_POLL_WAIT_MAX 30

struct api_agent_polls *
api_agent_polls_new(struct event_base *, struct pg_pool *);
/* Every held poll ends: now, or once its read is over (the pool's free
 * ends it).  Then api_agent_polls_free(), after the pool's. */
void api_agent_polls_stop(struct api_agent_polls *);
void api_agent_polls_free(struct api_agent_polls **);

/* The route; priv: the struct api_tenant. */
api_handler_f api_agent_commands_get;

#endif
