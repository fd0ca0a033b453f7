/*
 * What a website's agent (stoked agent) calls: hello, batches and the
 * claim of its tasks
 * (api_agent_link.c, whose header comment is the protocol), and the
 * long poll of its commands (api_agent_poll.h).  priv: the struct
 * api_tenant; the caller is the agent (api_session.c), its website its
 * own, never named in a request.
 */

#ifndef STOKE_API_AGENT_LINK_H
#define STOKE_API_AGENT_LINK_H

#include "core/metrics.h"
#include "http_api.h"

api_handler_f api_agent_hello_post;
api_handler_f api_agent_batches_post;
api_handler_f api_agent_tasks_claim_post;
/* The batches and rows agents sent this replica; priv the api_tenant. */
metrics_f api_agent_link_metrics;

#endif
