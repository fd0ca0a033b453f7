/*
 * A website's agents (stoked agent, one beside each of its Varnish
 * nodes), as its tenant manages them.  priv: the struct api_tenant.
 * Any member lists them, with what each said of itself and when it was
 * last heard of (never a token nor its hash: the prefix tells them
 * apart); an owner or an admin makes one, its token shown whole in that
 * answer only, and revokes one, refused from then on by every replica
 * (agent_store.h).  What an agent itself calls is api_agent_link.h's.
 */

#ifndef STOKE_API_AGENTS_H
#define STOKE_API_AGENTS_H

#include "http_api.h"

api_handler_f api_agents_get;
api_handler_f api_agents_post;
api_handler_f api_agent_delete;

#endif
