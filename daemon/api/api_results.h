/*
 * GET /api/v1/results: what stoked run stored, read back from the
 * database, so that it is there after a restart too.
 *
 *   ?job=N[&after=ID]  a stored job, what invalidation started it if one
 *                      did, and its results oldest first, from after
 *                      result ID
 *   (no job)           the latest results of every job, newest first
 *
 * limit: how many results, 100 by default, 1000 at most.  Without a
 * database (stoked run --no-db) there is no such endpoint.
 */

#ifndef STOKE_API_RESULTS_H
#define STOKE_API_RESULTS_H

#include "http_api.h"

api_handler_f api_results_get;

#endif
