/*
 * One statement at a time: a round runs batches back to back (a second
 * apart, to leave the database room) until a batch comes back short,
 * then sleeps until the next round.  A failed statement ends the round;
 * the next round tries again.
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

#include "core/metrics.h"
#include "pg_pool.h"
#include "retention.h"

struct retention {
	unsigned magic;
#define RETENTION_MAGIC 0x7e7e0a11
	struct pg_pool *pool;
	struct event *timer;
	double every;
	unsigned batch;
	unsigned busy; /* a statement is out */
	uint64_t pruned, rounds, errors;
	uint64_t skipped; /* another was pruning */
};

/*
 * One pruner at a time over every replica and worker: the batch goes
 * to whoever holds 's' and "prun"; the others skip the round (-1).
 */
static const struct pg_stmt st_prune = { "retention_prune",
	"SELECT CASE WHEN pg_try_advisory_xact_lock(115, 1886549358)"
	" THEN prune_page_results($1::integer) ELSE -1 END",
	1 };

static void
later(struct retention *r, double s)
{
	struct timeval tv;

	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(r->timer, &tv));
}

static void
on_pruned(void *priv, const struct pg_result *pr, const char *err)
{
	struct retention *r;
	const PGresult *res = (const PGresult *)(const void *)pr;
	long long n;

	CAST_OBJ_NOTNULL(r, priv, RETENTION_MAGIC);
	r->busy = 0;
	if (err != NULL || PQntuples(res) != 1) {
		r->errors++;
		later(r, r->every);
		return;
	}
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (n > 0)
		r->pruned += (uint64_t)n;
	else if (n < 0)
		r->skipped++;
	/* A full batch: there is more; a short one: done for this round. */
	later(r, n >= (long long)r->batch ? 1.0 : r->every);
}

static void
retention_on_timer(evutil_socket_t fd, short what, void *priv)
{
	struct retention *r;
	char batch[16];
	const char *v[1] = { batch };

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(r, priv, RETENTION_MAGIC);
	snprintf(batch, sizeof batch, "%u", r->batch);
	r->rounds++;
	if (pg_pool_query(r->pool, &st_prune, v, on_pruned, r) == 0)
		r->busy = 1;
}

void
retention_metrics(void *priv, struct metrics *m)
{
	const struct retention *r;

	CAST_OBJ_NOTNULL(r, priv, RETENTION_MAGIC);
	metrics_u64(m, M_DB_RESULTS_PRUNED, r->pruned, NULL);
	metrics_u64(m, M_DB_PRUNE_ERRORS, r->errors, NULL);
}

struct retention *
retention_new(struct event_base *eb, struct pg_pool *pool, double every,
    unsigned batch)
{
	struct retention *r;

	AN(eb);
	AN(pool);
	assert(every > 0);
	assert(batch > 0);
	r = calloc(1, sizeof *r);
	AN(r);
	r->magic = RETENTION_MAGIC;
	r->pool = pool;
	r->every = every;
	r->batch = batch;
	r->timer = evtimer_new(eb, retention_on_timer, r);
	AN(r->timer);
	/* The first round soon after start: a restart may find a backlog. */
	later(r, every < 5 ? every : 5);
	return (r);
}

/* After the pool is freed: its callbacks have run by then. */
void
retention_free(struct retention **rp)
{
	struct retention *r;

	AN(rp);
	r = *rp;
	*rp = NULL;
	if (r == NULL)
		return;
	CHECK_OBJ_NOTNULL(r, RETENTION_MAGIC);
	assert(!r->busy);
	event_free(r->timer);
	r->magic = 0;
	free(r);
}

uint64_t
retention_pruned(const struct retention *r)
{
	CHECK_OBJ_NOTNULL(r, RETENTION_MAGIC);
	return (r->pruned);
}
