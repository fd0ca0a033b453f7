/*
 * stoked: the Stoke control daemon.  This file only dispatches the
 * subcommands; each lives in its own cmd_*.c.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "cmd.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "agent", cmd_agent,
	    "watch one varnishd and report to a control plane" },
	{ "db", cmd_db,
	    "start, stop, check the embedded PostgreSQL; print its URL" },
	{ "events", cmd_events, "print what stoked reads from varnishd's log" },
	{ "index", cmd_index, "show what a running stoked knows is cached" },
	{ "job", cmd_job, "create a warm job for the workers, or show one" },
	{ "migrate", cmd_migrate, "bring the database's schema up to date" },
	{ "run", cmd_run, "watch varnishd and serve the API" },
	{ "serve", cmd_serve,
	    "serve the tenants' API: the hosted service's control plane" },
	{ "sign", cmd_sign,
	    "print a signed Stoke-Warm header for testing VCL" },
	{ "version", cmd_version, "print the version" },
	{ "warm", cmd_warm, "fetch URLs through each Varnish node now" },
	{ "worker", cmd_worker, "warm the tasks queued in the database" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: stoked <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f,
	    "\nThe database: --database-url URL, else $STOKE_DATABASE_URL,\n"
	    "else an embedded PostgreSQL that stoked runs in --state-dir\n"
	    "(/var/lib/stoke for root, else ~/.local/state/stoke).\n");
	fprintf(f, "\n'stoked <command> --help' describes a command.\n");
}

int
main(int argc, char **argv)
{
	static char prog[32];
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return (2);
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return (0);
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return (cmd_version(argc - 1, argv + 1));
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		/* Lines not read by journald say which command speaks. */
		snprintf(prog, sizeof prog, "stoked %s", cmds[i].name);
		log_setup(prog, LL_INFO);
		return (cmds[i].fn(argc - 1, argv + 1));
	}
	fprintf(stderr, "stoked: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return (2);
}
