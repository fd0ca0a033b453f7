/*
 * Stored results read back, as JSON that PostgreSQL builds itself
 * (json_agg): one statement with parameters each, through the daemon's
 * pool, answered when the database answers.
 *
 *   rq_job      a stored job (cache_jobs.id, as the results name it),
 *               what invalidation started it if one did, and its
 *               results oldest first, after result id after:
 *               {"job": {...} or null, "results": [...]}
 *   rq_latest   the latest results of every job, newest first:
 *               {"results": [...]}
 *
 * A result is {id, job, url, variant, node, status, outcome, reason,
 * cache_status, ttl, load_ms, ttfb_ms, recorded_at}.
 */

#ifndef STOKE_RESULT_QUERY_H
#define STOKE_RESULT_QUERY_H

#include <stddef.h>
#include <stdint.h>

struct pg_pool;

/*
 * The answer: json, the JSON text (NULL if the database answered no
 * row), or err (the database's error).  Both live for the call only.
 */
typedef void rq_json_f(void *priv, const char *json, const char *err);

/*
 * 0, and cb will be called once; or -1 with *err ("the database is
 * unreachable", said at once rather than after a wait; "stopping"), and
 * cb will not be.
 */
int rq_job(struct pg_pool *, int64_t job, int64_t after, int64_t limit,
    rq_json_f *cb, void *priv, const char **err);
int rq_latest(struct pg_pool *, int64_t limit, rq_json_f *cb, void *priv,
    const char **err);

#endif
