/*
 * Live progress over the tenants' API, as Server-Sent Events:
 *
 *	GET /api/jobs/:id/events	a job's progress, each of its
 *					results, and its end
 *	GET /api/websites/:id/events	the progress and end of the
 *					website's jobs, and its invalidations
 *
 * Either is for any member of the project, with a token in the
 * Authorization header or, for a browser's EventSource, in
 * ?access_token=.  What a stream may not see is refused before it
 * starts, as on any route (401, 404, 429).
 *
 * Event ids let a client resume, on this replica or another: a job
 * stream's are its results' ids, a website stream's its invalidation
 * events' ids; Last-Event-ID (or ?last_event_id=, which EventSource
 * cannot send as a header on its first connection) says where to go
 * on from, and what came after it is sent, then what comes.  progress
 * and end carry no id: on resuming, each job is told as it is now.
 * priv: the struct api_tenant.
 */

#ifndef STOKE_API_EVENTS_H
#define STOKE_API_EVENTS_H

#include "http_api.h"

api_handler_f api_job_events_get;
api_handler_f api_website_events_get;

#endif
