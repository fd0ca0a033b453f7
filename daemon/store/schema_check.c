/*
 * The schema's version, as schema_migrations records it, against the
 * migrations compiled in.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "migrations.h"
#include "pg_pool.h"
#include "schema_check.h"

static const struct pg_stmt st_version = { "sc_version",
	"SELECT coalesce(max(version), 0) FROM schema_migrations", 0 };

struct schema_check {
	unsigned magic;
#define SCHEMA_CHECK_MAGIC 0x5c4e3a01
	schema_check_f *cb;
	void *priv;
};

static int
schema_want(void)
{
	assert(migrations_n > 0);
	return (migrations[migrations_n - 1].version);
}

static void
schema_checked(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *pr = (const PGresult *)res;
	struct schema_check *sc;
	int version = 0;

	CAST_OBJ_NOTNULL(sc, priv, SCHEMA_CHECK_MAGIC);
	if (err == NULL && PQntuples(pr) == 1)
		version = atoi(PQgetvalue(pr, 0, 0));
	sc->cb(sc->priv, version, schema_want(), err);
	FREE_OBJ(sc);
}

int
schema_check(struct pg_pool *pool, schema_check_f *cb, void *priv,
    const char **err)
{
	struct schema_check *sc;

	AN(cb);
	AN(err);
	ALLOC_OBJ(sc, SCHEMA_CHECK_MAGIC);
	AN(sc);
	sc->cb = cb;
	sc->priv = priv;
	if (pg_pool_ask(pool, &st_version, NULL, schema_checked, sc, err) !=
	    0) {
		FREE_OBJ(sc);
		return (-1);
	}
	return (0);
}
