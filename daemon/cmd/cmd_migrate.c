/*
 * stoked migrate: bring the database's schema up to this stoked's
 * version.  The database is --database-url, else $STOKE_DATABASE_URL,
 * else the embedded cluster in --state-dir, started for the while if it
 * is not running and stopped again after.
 */

#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include "store/db_url.h"
#include "store/migrate.h"
#include "store/pg_embed.h"
#include "cmd.h"

static void
migrate_usage(FILE *f)
{
	fprintf(f,
	    "usage: stoked migrate [--database-url URL | --state-dir DIR]\n"
	    "\n"
	    "Applies the schema migrations the database lacks, each in a\n"
	    "transaction of its own; several stoked starting at once apply\n"
	    "each one once.  Refuses a database whose schema is newer than\n"
	    "this stoked.  The database: --database-url, else\n"
	    "$STOKE_DATABASE_URL, else the embedded PostgreSQL in the state\n"
	    "directory (see 'stoked db').\n");
}

static void
print_applied(void *priv, const struct migration *m)
{
	unsigned *n = priv;

	printf("%s%s", (*n)++ == 0 ? "applied " : ", ", m->name);
	fflush(stdout);
}

int
cmd_migrate_url(const char *who, const char *url)
{
	char err[1024];
	unsigned n = 0;
	int version, rv;
	PGconn *c;

	c = db_url_connect(url, err, sizeof err);
	if (c == NULL) {
		fprintf(stderr, "stoked %s: %s\n", who, err);
		return (1);
	}
	rv = migrate_run(c, print_applied, &n, &version, err, sizeof err);
	PQfinish(c);
	if (n > 0)
		printf("\n");
	if (rv != 0) {
		fprintf(stderr, "stoked %s: %s\n", who, err);
		return (1);
	}
	if (n == 0)
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
	static const struct option opts[] = {
		{ "database-url", required_argument, NULL, 'd' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url_opt = NULL, *state_opt = NULL, *url;
	char dir[PATH_MAX], err[1024];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			url_opt = optarg;
			break;
		case 's':
			state_opt = optarg;
			break;
		case 'h':
			migrate_usage(stdout);
			return (0);
		default:
			migrate_usage(stderr);
			return (2);
		}
	}
	if (optind != argc || (url_opt != NULL && state_opt != NULL)) {
		migrate_usage(stderr);
		return (2);
	}
	if (db_url_choose(url_opt, state_opt, &url, dir, sizeof dir, err,
	        sizeof err) != 0) {
		fprintf(stderr, "stoked migrate: %s\n", err);
		return (1);
	}
	if (url != NULL)
		return (cmd_migrate_url("migrate", url));
	return (migrate_embedded(dir));
}
