/*
 * GET /api/v1/results: what stoked run stored, read back from the
 * database, so that it is there after a restart too.
 */

#ifndef STOKE_API_RESULTS_H
#define STOKE_API_RESULTS_H

struct http_api;
struct pg_pool;

/* The pool is the caller's, freed after the API. */
void api_results_register(struct http_api *, struct pg_pool *);

#endif
