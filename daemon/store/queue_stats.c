/*
 * One statement a period: the claimable tasks (as task_queue.c claims
 * them: queued, or leased past their lease, each by its partial index)
 * and the jobs of each status.  The jobs are counted over the whole of
 * cache_jobs: a scan, bounded by the period and by retention.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "core/log.h"
#include "pg_pool.h"
#include "queue_stats.h"

/*
 * The job statuses counted, the statement's columns 1...: only the open
 * ones, which the partial index cache_jobs_active holds, so that the
 * count stays small however many jobs have ended.
 */
static const char *const qs_status[] = { "queued", "running" };
#define QS_NSTATUS (sizeof qs_status / sizeof qs_status[0])

static const struct pg_stmt qs_st_read = { "qs_read",
	"SELECT (SELECT count(*) FROM warm_tasks WHERE state = 'queued'"
	"    AND agent_id IS NULL)"
	"  + (SELECT count(*) FROM warm_tasks"
	"     WHERE state = 'leased' AND lease_until < now()"
	"       AND agent_id IS NULL),"
	" count(*) FILTER (WHERE status = 'queued'),"
	" count(*) FILTER (WHERE status = 'running')"
	" FROM cache_jobs WHERE status IN ('queued', 'running')",
	0 };

struct queue_stats {
	unsigned magic;
#define QUEUE_STATS_MAGIC 0x95e5a701
	struct pg_pool *pool;
	struct event *timer;
	double period;
	int asking; /* a statement in flight: not another */
	double read_at; /* VTIM_mono of the last answer; 0: none yet */
	uint64_t depth;
	uint64_t jobs[QS_NSTATUS];
};

static void
qs_on_rows(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct queue_stats *qs;
	unsigned i;

	CAST_OBJ_NOTNULL(qs, priv, QUEUE_STATS_MAGIC);
	qs->asking = 0;
	if (err != NULL) {
		log_warning("queue", "reading the queue's depth: %s", err);
		return;
	}
	if (PQntuples(r) != 1 || PQnfields(r) != 1 + (int)QS_NSTATUS)
		return;
	qs->depth = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	for (i = 0; i < QS_NSTATUS; i++)
		qs->jobs[i] = strtoull(PQgetvalue(r, 0, (int)i + 1), NULL, 10);
	qs->read_at = VTIM_mono();
}

static void
qs_on_timer(evutil_socket_t fd, short what, void *priv)
{
	struct pg_pool_stats ps;
	struct queue_stats *qs;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(qs, priv, QUEUE_STATS_MAGIC);
	pg_pool_stats(qs->pool, &ps);
	/* Not another in the queue of a pool that is away or slow. */
	if (qs->asking || ps.connected == 0)
		return;
	if (pg_pool_query(qs->pool, &qs_st_read, NULL, qs_on_rows, qs) == 0)
		qs->asking = 1;
}

struct queue_stats *
qs_new(struct event_base *eb, struct pg_pool *pool, double period)
{
	struct queue_stats *qs;
	struct timeval tv;

	AN(eb);
	AN(pool);
	assert(period > 0);
	ALLOC_OBJ(qs, QUEUE_STATS_MAGIC);
	AN(qs);
	qs->pool = pool;
	qs->period = period;
	qs->timer = event_new(eb, -1, EV_PERSIST, qs_on_timer, qs);
	AN(qs->timer);
	tv = VTIM_timeval(period);
	AZ(event_add(qs->timer, &tv));
	/* The first read now, not a period later. */
	event_active(qs->timer, EV_TIMEOUT, 0);
	return (qs);
}

/* The pool goes first (pg_pool.h): what it still had for us ended. */
void
qs_free(struct queue_stats **qsp)
{
	struct queue_stats *qs;

	TAKE_OBJ_NOTNULL(qs, qsp, QUEUE_STATS_MAGIC);
	event_free(qs->timer);
	FREE_OBJ(qs);
}

void
qs_metrics(void *priv, struct metrics *m)
{
	struct queue_stats *qs;
	unsigned i;

	CAST_OBJ_NOTNULL(qs, priv, QUEUE_STATS_MAGIC);
	if (qs->read_at == 0 || VTIM_mono() - qs->read_at > 3 * qs->period)
		return;
	metrics_u64(m, M_QUEUE_DEPTH, qs->depth, NULL);
	for (i = 0; i < QS_NSTATUS; i++)
		metrics_u64(m, M_JOBS, qs->jobs[i], "status", qs_status[i],
		    NULL);
}
