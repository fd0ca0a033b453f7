/*
 * stoked db: the embedded PostgreSQL, by hand.  stoked uses it when no
 * database is configured; these commands start and stop it, say whether
 * it runs, and give its URL for psql or --database-url.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "store/db_url.h"
#include "store/pg_embed.h"
#include "cmd.h"
#include "cmd_opts.h"

static const char db_synopsis[] = "start|stop|status|url [--state-dir DIR]";

static const char db_about[] =
    "The embedded PostgreSQL stoked uses when no database is\n"
    "configured: a private cluster in DIR/pg (default:\n"
    "$STATE_DIRECTORY under systemd, /var/lib/stoke for root, else\n"
    "$XDG_STATE_HOME/stoke or ~/.local/state/stoke), reached only by\n"
    "its Unix socket.\n"
    "\n"
    "  start   make it the first time, start it (or reuse it if it\n"
    "          runs), and apply the migrations\n"
    "  stop    stop it, waiting until it is gone\n"
    "  status  say whether it runs (exit 0) or not (exit 3)\n"
    "  url     print its URL, for psql and --database-url\n";

static int
db_start(struct pg_embed *pe)
{
	char err[1024];
	int started;

	if (pg_embed_start(pe, &started, err, sizeof err) != 0) {
		fprintf(stderr, "stoked db: %s\n", err);
		return (1);
	}
	printf("%s PostgreSQL in %s\n",
	    started ? "started" : "reusing the running", pg_embed_data_dir(pe));
	fflush(stdout);
	return (cmd_migrate_url("db", pg_embed_url(pe)));
}

static int
db_stop(struct pg_embed *pe)
{
	char err[1024];
	int stopped;

	if (pg_embed_stop(pe, &stopped, err, sizeof err) != 0) {
		fprintf(stderr, "stoked db: %s\n", err);
		return (1);
	}
	printf("%s PostgreSQL in %s\n", stopped ? "stopped" : "no running",
	    pg_embed_data_dir(pe));
	return (0);
}

static int
db_status(struct pg_embed *pe)
{
	char err[1024];
	int rv;

	rv = pg_embed_running(pe, err, sizeof err);
	if (rv < 0) {
		fprintf(stderr, "stoked db: %s\n", err);
		return (1);
	}
	printf("PostgreSQL in %s: %s\n", pg_embed_data_dir(pe),
	    rv ? "running" : "not running");
	return (rv ? 0 : 3);
}

int
cmd_db(int argc, char **argv)
{
	struct cmd_common cc;
	const char *what;
	char dir[PATH_MAX], err[1024];
	struct pg_embed *pe;
	int arg0, rv;
	const struct cmd_opt opts[] = {
		CMD_OPT_STATE_DIR(&cc),
		CMD_OPT_END,
	};

	cmd_common_init(&cc);
	switch (cmd_opts_parse("db", db_synopsis, db_about, opts, argc, argv,
	    &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	if (arg0 != argc - 1) {
		cmd_opts_usage(stderr, "db", db_synopsis, db_about, opts);
		return (2);
	}
	what = argv[arg0];
	if (strcmp(what, "start") && strcmp(what, "stop") &&
	    strcmp(what, "status") && strcmp(what, "url")) {
		fprintf(stderr, "stoked db: unknown action '%s'\n\n", what);
		cmd_opts_usage(stderr, "db", db_synopsis, db_about, opts);
		return (2);
	}
	if (db_url_state_dir(cc.state_dir, dir, sizeof dir, err, sizeof err) !=
	    0) {
		fprintf(stderr, "stoked db: %s\n", err);
		return (1);
	}
	pe = pg_embed_new(dir, err, sizeof err);
	if (pe == NULL) {
		fprintf(stderr, "stoked db: %s\n", err);
		return (1);
	}
	if (!strcmp(what, "start")) {
		rv = db_start(pe);
	} else if (!strcmp(what, "stop")) {
		rv = db_stop(pe);
	} else if (!strcmp(what, "status")) {
		rv = db_status(pe);
	} else {
		printf("%s\n", pg_embed_url(pe));
		rv = 0;
	}
	pg_embed_free(&pe);
	return (rv);
}
