/*
 * Bringing a database's schema up to the version this stoked knows
 * (migrations.h), with blocking libpq: run it as a command or once at
 * start-up, never on the event loop.
 */

#ifndef STOKE_MIGRATE_H
#define STOKE_MIGRATE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "migrations.h"

/*
 * The advisory lock key every migration transaction takes ("stoke" in
 * ASCII), so that stoked processes starting at once apply each
 * migration once.  Tests hold it to make migrations queue.
 */
#define MIGRATE_LOCK_KEY 0x73746f6b65LL

/* Called once each migration this call applied is committed. */
typedef void migrate_applied_f(void *priv, const struct migration *);

/*
 * Applies the pending migrations, each in a transaction of its own.
 * Refuses a database whose schema is newer than this binary's, or whose
 * migrations are not the same ones.  *version: the schema's version
 * after.  0, or -1 (err; what was committed before stays).
 */
int migrate_run(PGconn *, migrate_applied_f *, void *priv, int *version,
    char *err, size_t errlen);

/* The schema's version, 0 for none.  0, or -1 (err). */
int migrate_version(PGconn *, int *version, char *err, size_t errlen);

/* The newest version this stoked knows. */
int migrate_latest(void);

#endif
