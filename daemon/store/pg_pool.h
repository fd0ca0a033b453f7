/*
 * A few PostgreSQL connections on the event loop: libpq's asynchronous
 * API driven by libevent, so that no query ever blocks the loop.
 *
 * Queries wait in one FIFO for a free connection and each ends in its
 * callback, exactly once, with its result or an error.  Statements carry
 * parameters only ($1, $2...), never values spliced into SQL; a named
 * statement is prepared once per connection.  A connection that drops is
 * made again with a capped exponential backoff, and the query it was
 * running fails: whether it committed is unknown, so callers write
 * statements that may safely run twice and decide themselves to retry.
 * One more connection, made on the first pg_pool_listen(), only LISTENs.
 *
 * Callbacks run from the event loop, never from inside a pg_pool call,
 * so a callback may submit the next query.  Freeing the pool ends what is
 * waiting or in flight with the error "stopped": free the pool before
 * the objects its callbacks use.
 */

#ifndef STOKE_PG_POOL_H
#define STOKE_PG_POOL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct pg_pool;
struct pg_result; /* libpq's PGresult */

struct pg_stmt {
	const char *name; /* unique in the pool; NULL: not prepared */
	const char *sql;
	int nparams;
};

/*
 * err is NULL on success (res holds the rows), else why it failed; res
 * is then the server's error result (PQresultErrorField() gives the
 * SQLSTATE) or NULL when no answer came.  res is freed on return.
 */
typedef void
pg_result_f(void *priv, const struct pg_result *res, const char *err);

/*
 * A notification on a channel; payload NULL means the channel has just
 * been (re)LISTENed, and anything sent while it was not may be missed.
 */
typedef void pg_notify_f(void *priv, const char *channel, const char *payload);

struct pg_pool_stats {
	unsigned connected; /* query connections up */
	unsigned listening; /* 1: the LISTEN connection is up */
	unsigned waiting; /* queries waiting for a connection */
	uint64_t queries; /* ended, either way */
	uint64_t errors; /* ended with an error */
	uint64_t reconnects; /* connections made again after a loss */
};

/* conninfo: a postgresql:// URL or "key=value ..."; NULL and err if bad. */
struct pg_pool *pg_pool_new(struct event_base *, const char *conninfo,
    unsigned nconn, char *err, size_t errlen);
void pg_pool_free(struct pg_pool **);

/* How long a query may wait for a connection before it fails (30 s). */
void pg_pool_set_wait(struct pg_pool *, double seconds);

/*
 * Queue a statement with st->nparams values (NULL: SQL NULL), copied.
 * 0, or -1 when the pool is being freed (then cb is never called).
 */
int pg_pool_query(struct pg_pool *, const struct pg_stmt *st,
    const char *const *values, pg_result_f *cb, void *priv);

/*
 * The same for someone waiting on the answer (an API request): while no
 * connection is up it is refused at once, *err "the database is
 * unreachable", rather than queued to wait; *err "stopping" when the
 * pool is being freed.  0, or -1 with *err (then cb is never called).
 */
int pg_pool_ask(struct pg_pool *, const struct pg_stmt *st,
    const char *const *values, pg_result_f *cb, void *priv, const char **err);
/* LISTEN on a channel, on the pool's own connection, kept after drops. */
void pg_pool_listen(struct pg_pool *, const char *channel, pg_notify_f *,
    void *priv);

void pg_pool_stats(const struct pg_pool *, struct pg_pool_stats *);
/* The last connection error, "" if none. */
const char *pg_pool_last_error(const struct pg_pool *);

#endif
