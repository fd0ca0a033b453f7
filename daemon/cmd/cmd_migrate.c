/*
 * stoked migrate: bring the database's schema up to this stoked's
 * version.  The database is --database-url, else $STOKE_DATABASE_URL,
 * else the embedded cluster in --state-dir, started for the while if it
 * is not running and stopped again after.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "store/db_url.h"
#include "store/migrate.h"
#include "store/pg_embed.h"
#include "cmd.h"
#include "cmd_opts.h"

static const char migrate_synopsis[] = "[--database-url URL | --state-dir DIR]";

static const char migrate_about[] =
    "Applies the schema migrations the database lacks, each in a\n"
    "transaction of its own; several stoked starting at once apply\n"
    "each one once.  Refuses a database whose schema is newer than\n"
    "this stoked.  The database: --database-url, else\n"
    "$STOKE_DATABASE_URL, else the embedded PostgreSQL in the state\n"
    "directory (see 'stoked db').\n";

/* How many migrations were applied, as they are. */
struct applied {
	unsigned magic;
#define APPLIED_MAGIC 0x0a7b1ed5
	unsigned n;
};

static void
print_applied(void *priv, const struct migration *m)
{
	struct applied *a;

	CAST_OBJ_NOTNULL(a, priv, APPLIED_MAGIC);
	AN(m);
	printf("%s%s", a->n++ == 0 ? "applied " : ", ", m->name);
	fflush(stdout);
}

int
cmd_migrate_url(const char *who, const char *url)
{
	char err[1024];
	struct applied a;
	int version, rv;
	PGconn *c;

	INIT_OBJ(&a, APPLIED_MAGIC);
	c = db_url_connect(url, err, sizeof err);
	if (c == NULL) {
		fprintf(stderr, "stoked %s: %s\n", who, err);
		return (1);
	}
	rv = migrate_run(c, print_applied, &a, &version, err, sizeof err);
	PQfinish(c);
	if (a.n > 0)
		printf("\n");
	if (rv != 0) {
		fprintf(stderr, "stoked %s: %s\n", who, err);
		return (1);
	}
	if (a.n == 0)
		printf("schema up to date (version %d)\n", version);
	return (0);
}

/* The embedded cluster, running for as long as the migration takes. */
static int
migrate_embedded(const char *dir)
{
	char err[1024];
	struct pg_embed *pe;
	int started, stopped, rv;

	pe = pg_embed_new(dir, err, sizeof err);
	if (pe == NULL || pg_embed_start(pe, &started, err, sizeof err) != 0) {
		fprintf(stderr, "stoked migrate: %s\n", err);
		pg_embed_free(&pe);
		return (1);
	}
	rv = cmd_migrate_url("migrate", pg_embed_url(pe));
	if (started && pg_embed_stop(pe, &stopped, err, sizeof err) != 0) {
		fprintf(stderr, "stoked migrate: %s\n", err);
		rv = 1;
	}
	pg_embed_free(&pe);
	return (rv);
}

int
cmd_migrate(int argc, char **argv)
{
	struct cmd_common cc;
	const char *url;
	char dir[PATH_MAX], err[1024];
	int arg0;
	const struct cmd_opt opts[] = {
		CMD_OPT_DATABASE_URL(&cc),
		CMD_OPT_STATE_DIR(&cc),
		CMD_OPT_END,
	};

	cmd_common_init(&cc);
	switch (cmd_opts_parse("migrate", migrate_synopsis, migrate_about, opts,
	    argc, argv, &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	if (arg0 != argc) {
		cmd_opts_usage(stderr, "migrate", migrate_synopsis,
		    migrate_about, opts);
		return (2);
	}
	if (cmd_common_check("migrate", &cc) != 0)
		return (2);
	if (db_url_choose(cc.database_url, cc.state_dir, &url, dir, sizeof dir,
	        err, sizeof err) != 0) {
		fprintf(stderr, "stoked migrate: %s\n", err);
		return (1);
	}
	if (url != NULL)
		return (cmd_migrate_url("migrate", url));
	return (migrate_embedded(dir));
}
