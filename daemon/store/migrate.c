/*
 * Each migration runs in a transaction together with the
 * schema_migrations row that records it, so that a failure leaves the
 * schema at the version before, never half-way.
 *
 * Each of those transactions first takes a transaction-level advisory
 * lock and only then reads which migrations are applied: processes that
 * start together queue on the lock, and whoever gets it next sees what
 * the one before committed, so a migration is applied once.  A
 * transaction lock rather than a session lock keeps this working
 * through transaction-pooling proxies such as pgbouncer.
 *
 * Only the migrations' own text (compiled in) and constants are sent as
 * SQL; anything variable goes as a parameter.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "migrate.h"

static const char create_table[] =
    "CREATE TABLE schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* The server's one-line reason, or libpq's when there is no result. */
static void
migrate_fail(PGconn *c, const PGresult *r, const char *what, char *err,
    size_t errlen)
{
	const char *msg = NULL;
	size_t n;

	if (r != NULL)
		msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	if (msg == NULL)
		msg = PQerrorMessage(c);
	n = strcspn(msg, "\n");
	snprintf(err, errlen, "%s: %.*s", what, (int)n, msg);
}

/* Runs sql; 0 if the result has the status wanted, else -1 (err). */
static int
run(PGconn *c, PGresult *r, ExecStatusType want, const char *what, char *err,
    size_t errlen)
{
	int ok = r != NULL && PQresultStatus(r) == want;

	if (!ok)
		migrate_fail(c, r, what, err, errlen);
	PQclear(r);
	return (ok ? 0 : -1);
}

static void
rollback(PGconn *c)
{
	PGTransactionStatusType ts = PQtransactionStatus(c);

	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		PQclear(PQexec(c, "ROLLBACK"));
}

/* The single value of a query; NULL after an error (err). */
static PGresult *
query(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);

	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK)
		return (r);
	migrate_fail(c, r, what, err, errlen);
	PQclear(r);
	return (NULL);
}

/* A migration's statements: PQexec() returns the last one's result. */
static int
apply(PGconn *c, const struct migration *m, const char *what, char *err,
    size_t errlen)
{
	PGresult *r = PQexec(c, m->sql);
	ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	    st == PGRES_EMPTY_QUERY) {
		PQclear(r);
		return (0);
	}
	migrate_fail(c, r, what, err, errlen);
	PQclear(r);
	return (-1);
}

static const struct migration *
known(int version)
{
	size_t i;

	for (i = 0; i < migrations_n; i++)
		if (migrations[i].version == version)
			return (&migrations[i]);
	return (NULL);
}

int
migrate_latest(void)
{
	return (migrations_n > 0 ? migrations[migrations_n - 1].version : 0);
}

/*
 * Checks what schema_migrations holds against what we know; done[i] is
 * set for each of our migrations applied.  0, or -1 (err).
 */
static int
check_applied(const PGresult *r, unsigned char *done, int *version, char *err,
    size_t errlen)
{
	const struct migration *m;
	const char *name;
	int i, v;

	*version = 0;
	for (i = 0; i < PQntuples(r); i++) {
		v = atoi(PQgetvalue(r, i, 0));
		name = PQgetvalue(r, i, 1);
		if (v > *version)
			*version = v;
		if (v > migrate_latest()) {
			snprintf(err, errlen,
			    "the database's schema is at version %d (%s), "
			    "newer than this stoked knows (%d): upgrade "
			    "stoked",
			    v, name, migrate_latest());
			return (-1);
		}
		m = known(v);
		if (m == NULL || strcmp(m->name, name) != 0) {
			snprintf(err, errlen,
			    "the database's migration %d is '%s', this "
			    "stoked's is '%s': not the same schema",
			    v, name, m != NULL ? m->name : "(none)");
			return (-1);
		}
		done[m - migrations] = 1;
	}
	return (0);
}

/*
 * One transaction: take the lock, see what is applied, apply the first
 * migration that is not.  *applied: that migration, or NULL when there
 * was none left.
 */
static int
migrate_step(PGconn *c, unsigned char *done, const struct migration **applied,
    int *version, char *err, size_t errlen)
{
	const struct migration *m = NULL;
	char key[32], ver[16], what[128];
	const char *pv[2];
	PGresult *r;
	size_t i;
	int missing;

	*applied = NULL;
	if (run(c, PQexec(c, "BEGIN"), PGRES_COMMAND_OK, "BEGIN", err,
	        errlen) != 0)
		return (-1);
	snprintf(key, sizeof key, "%lld", MIGRATE_LOCK_KEY);
	pv[0] = key;
	if (run(c,
	        PQexecParams(c, "SELECT pg_advisory_xact_lock($1::bigint)", 1,
	            NULL, pv, NULL, NULL, 0),
	        PGRES_TUPLES_OK, "taking the migration lock", err, errlen) != 0)
		goto fail;
	/* Under the lock: two processes cannot both find it missing. */
	r = query(c, "SELECT to_regclass('schema_migrations') IS NULL",
	    "looking for schema_migrations", err, errlen);
	if (r == NULL)
		goto fail;
	missing = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (missing &&
	    run(c, PQexec(c, create_table), PGRES_COMMAND_OK,
	        "creating schema_migrations", err, errlen) != 0)
		goto fail;
	r = query(c, "SELECT version, name FROM schema_migrations",
	    "reading schema_migrations", err, errlen);
	if (r == NULL)
		goto fail;
	memset(done, 0, migrations_n);
	missing = check_applied(r, done, version, err, errlen);
	PQclear(r);
	if (missing != 0)
		goto fail;
	for (i = 0; i < migrations_n && m == NULL; i++)
		if (!done[i])
			m = &migrations[i];
	if (m != NULL) {
		snprintf(what, sizeof what, "migration %s", m->name);
		if (apply(c, m, what, err, errlen) != 0)
			goto fail;
		snprintf(ver, sizeof ver, "%d", m->version);
		pv[0] = ver;
		pv[1] = m->name;
		if (run(c,
		        PQexecParams(c,
		            "INSERT INTO schema_migrations (version, name) "
		            "VALUES ($1, $2)",
		            2, NULL, pv, NULL, NULL, 0),
		        PGRES_COMMAND_OK, what, err, errlen) != 0)
			goto fail;
	}
	if (run(c, PQexec(c, "COMMIT"), PGRES_COMMAND_OK, "COMMIT", err,
	        errlen) != 0)
		goto fail;
	if (m != NULL && m->version > *version)
		*version = m->version;
	*applied = m;
	return (0);
fail:
	rollback(c);
	return (-1);
}

int
migrate_run(PGconn *c, migrate_applied_f *cb, void *priv, int *version,
    char *err, size_t errlen)
{
	const struct migration *m;
	unsigned char *done;
	size_t i;
	int rv = 0;

	AN(c);
	AN(version);
	for (i = 1; i < migrations_n; i++)
		assert(migrations[i].version > migrations[i - 1].version);
	done = calloc(migrations_n + 1, 1);
	AN(done);
	/* Each step applies one more or finds none left. */
	for (i = 0; i <= migrations_n; i++) {
		rv = migrate_step(c, done, &m, version, err, errlen);
		if (rv != 0 || m == NULL)
			break;
		if (cb != NULL)
			cb(priv, m);
	}
	free(done);
	return (rv);
}

int
migrate_version(PGconn *c, int *version, char *err, size_t errlen)
{
	PGresult *r;
	int none;

	AN(c);
	AN(version);
	*version = 0;
	r = query(c, "SELECT to_regclass('schema_migrations') IS NULL",
	    "looking for schema_migrations", err, errlen);
	if (r == NULL)
		return (-1);
	none = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (none)
		return (0);
	r = query(c, "SELECT coalesce(max(version), 0) FROM schema_migrations",
	    "reading schema_migrations", err, errlen);
	if (r == NULL)
		return (-1);
	*version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return (0);
}
