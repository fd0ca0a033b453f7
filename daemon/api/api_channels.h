/*
 * A project's notification channels (webhook, Slack, Teams, e-mail),
 * a test of one, and what was delivered: routes of the tenants' API.
 */

#ifndef STOKE_API_CHANNELS_H
#define STOKE_API_CHANNELS_H

#include "http_api.h"

/* GET, POST /api/projects/:id/channels */
api_handler_f api_channels_get;
api_handler_f api_channels_post;
/* PATCH, DELETE /api/projects/:id/channels/:channel_id */
api_handler_f api_channel_patch;
api_handler_f api_channel_delete;
/* POST /api/projects/:id/channels/:channel_id/test */
api_handler_f api_channel_test_post;
/* GET /api/projects/:id/deliveries */
api_handler_f api_deliveries_get;

#endif
