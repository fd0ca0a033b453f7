/*
 * stoked: the Stoke control daemon.  This file only dispatches the
 * subcommands; each lives in its own cmd_*.c.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "cmd.h"
#include "cmd_config.h"
#include "cmd_man.h"

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
	    "($STATE_DIRECTORY under systemd, /var/lib/stoke for root,\n"
	    "else ~/.local/state/stoke).\n");
	fprintf(f,
	    "\nEvery command reads its options from " STOKE_CONFIG_FILE "\n"
	    "(else --config FILE, $STOKE_CONFIG) first; the command line\n"
	    "wins.\n");
	fprintf(f, "\n'stoked <command> --help' describes a command.\n");
}

/* stoked(1): the commands, the config file. */
static void
man(FILE *f)
{
	const char *const *k;
	size_t i;
	char name[32];

	cmd_man_head(f, "stoked", "the Stoke control daemon");
	cmd_man_section(f, "SYNOPSIS");
	fputs(".B stoked\n.I command\n[\\fIoptions\\fR]\n", f);
	cmd_man_section(f, "DESCRIPTION");
	cmd_man_text(f,
	    "stoked keeps Varnish warm: it reads what varnishd caches and\n"
	    "loses from its shared memory log and fetches again what a\n"
	    "purge, a ban or an expiry took, through signed warm requests\n"
	    "that vmod_stoke checks.  Each command is a page of its own.\n"
	    "\n"
	    "The database: --database-url URL, else $STOKE_DATABASE_URL,\n"
	    "else an embedded PostgreSQL that stoked runs in --state-dir\n"
	    "($STATE_DIRECTORY under systemd, /var/lib/stoke for root, else\n"
	    "~/.local/state/stoke).");
	cmd_man_section(f, "COMMANDS");
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		snprintf(name, sizeof name, "stoked %s", cmds[i].name);
		cmd_man_item(f, name, cmds[i].help);
	}
	cmd_man_section(f, "SHARED OPTIONS");
	cmd_man_text(f,
	    "The options a config file may give before any section: each\n"
	    "goes to the commands that take it.");
	fputs(".PP\n.nf\n", f);
	for (k = cmd_conf_common_keys; *k != NULL; k++)
		cmd_man_text(f, *k);
	fputs(".fi\n", f);
	cmd_man_tail(f, 0);
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, ".BR stoked\\-%s (1)%s\n", cmds[i].name,
		    i + 1 < sizeof cmds / sizeof cmds[0] ? "," : "");
}

/* The config file, for cmd_opts_parse().  0, or 2 (said why). */
static int
config(int *argc, char **argv)
{
	const char *sections[sizeof cmds / sizeof cmds[0] + 1];
	struct cmd_conf *cf;
	const char *path;
	char err[1024];
	int explicit;
	size_t i;

	if (cmd_conf_args(argc, argv, &path, &explicit) != 0) {
		fprintf(stderr, "stoked: --config needs a file\n");
		return (2);
	}
	if (path == NULL)
		return (0);
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		sections[i] = cmds[i].name;
	sections[i] = NULL;
	cf = cmd_conf_load(path, sections, err, sizeof err);
	if (cf == NULL) {
		fprintf(stderr, "stoked: %s\n", err);
		return (2);
	}
	/* Its strings are the options' values: it lives as long as we do. */
	cmd_conf_use(cf);
	return (0);
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
	if (!strcmp(argv[1], "--man")) {
		man(stdout);
		return (0);
	}
	if (config(&argc, argv) != 0)
		return (2);
	if (argc < 2) {
		usage(stderr);
		return (2);
	}
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		/* Lines not read by journald say which command speaks. */
		snprintf(prog, sizeof prog, "stoked %s", cmds[i].name);
		log_setup(prog, LL_INFO);
		cmd_man_summary(cmds[i].help);
		return (cmds[i].fn(argc - 1, argv + 1));
	}
	fprintf(stderr, "stoked: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return (2);
}
