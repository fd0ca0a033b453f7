/*
 * The embedded PostgreSQL: when no database is configured, stoked keeps
 * a private cluster of its own under its state directory, made and run
 * with Debian's server binaries (/usr/lib/postgresql/N/bin, the newest
 * N).  STATE/pg holds the Unix socket (no TCP), the logs and a lock;
 * STATE/pg/data the cluster.  As root, the server and its tools run as
 * the postgres user, since PostgreSQL refuses root.
 *
 * The calls block (initdb, pg_ctl): use them before the event loop.
 */

#ifndef STOKE_PG_EMBED_H
#define STOKE_PG_EMBED_H

#include <stddef.h>

struct pg_embed;

/* Touches nothing yet.  NULL on error (err). */
struct pg_embed *pg_embed_new(const char *state_dir, char *err, size_t errlen);
void pg_embed_free(struct pg_embed **);

/*
 * Makes the cluster the first time (initdb), starts it unless it is
 * running already (then it is reused), and makes the stoke database.
 * *started: whether this call started the server.  0, or -1 (err).
 * Concurrent calls for one state directory queue on the lock.
 */
int pg_embed_start(struct pg_embed *, int *started, char *err, size_t errlen);

/*
 * Stops the server (fast: sessions are ended, nothing committed is
 * lost) and waits until it is gone.  *stopped: whether it was running.
 */
int pg_embed_stop(struct pg_embed *, int *stopped, char *err, size_t errlen);

/* 1 running, 0 not (or not made yet), -1 error (err). */
int pg_embed_running(struct pg_embed *, char *err, size_t errlen);

/* The libpq URL of the stoke database, for psql and --database-url. */
const char *pg_embed_url(const struct pg_embed *);
const char *pg_embed_data_dir(const struct pg_embed *);

#endif
