/*
 * Unit tests for cmd/cmd_config.c and its use by cmd_opts_parse(): the
 * file's lines, sections and comments; what is refused, naming the file
 * and the line; --config taken out of argv; then the options of a
 * command read from the file through the same code as argv's, the
 * command line winning whole (a repeated option too), its own section
 * only, shared keys where they are taken.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "cmd/cmd_config.h"
#include "cmd/cmd_opts.h"
#include "unit.h"

static const char *const sections[] = { "serve", "worker", NULL };
static char err[512];
static struct cmd_conf *cur; /* run()'s, until done() */

static struct cmd_conf *
parse(const char *text)
{
	err[0] = '\0';
	return (cmd_conf_parse("t.conf", text, sections, err, sizeof err));
}

static void
test_lines(void)
{
	struct cmd_conf *cf;

	cf = parse("# a comment\n"
	           "\n"
	           "  ; another\r\n"
	           "database-url =  postgresql://u@/db#x \r\n"
	           "[serve]\n"
	           "listen=127.0.0.1:6087\n"
	           "[ worker ]\n"
	           "node = http://a\n"
	           "node = http://b");
	CHECK(cf != NULL);
	if (cf == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_INT_EQ(cf->nline, 4);
	CHECK_STR_EQ(cf->line[0].section, "");
	CHECK_STR_EQ(cf->line[0].key, "database-url");
	/* A '#' in a value is no comment: URLs have them. */
	CHECK_STR_EQ(cf->line[0].value, "postgresql://u@/db#x");
	CHECK_INT_EQ(cf->line[0].lineno, 4);
	CHECK_STR_EQ(cf->line[1].section, "serve");
	CHECK_STR_EQ(cf->line[1].value, "127.0.0.1:6087");
	CHECK_STR_EQ(cf->line[2].section, "worker");
	CHECK_STR_EQ(cf->line[3].value, "http://b");
	CHECK_INT_EQ(cf->line[3].lineno, 9);
	cmd_conf_free(&cf);
	CHECK(cf == NULL);
	cf = parse("");
	CHECK(cf != NULL && cf->nline == 0);
	if (cf != NULL)
		cmd_conf_free(&cf);
}

static void
refused(const char *text, const char *why)
{
	struct cmd_conf *cf;

	cf = parse(text);
	CHECK(cf == NULL);
	if (cf != NULL) {
		cmd_conf_free(&cf);
		return;
	}
	if (!CHECK(strstr(err, why) != NULL))
		fprintf(stderr, "  said: %s\n  want: %s\n", err, why);
}

static void
test_refused(void)
{
	refused("[serve]\n[serv]\n", "t.conf:2: no command is called 'serv'");
	refused("listen = :1\n",
	    "t.conf:1: 'listen' is not shared by the commands");
	refused("\n\n[serve]\nlisten\n", "t.conf:4: not 'option = value'");
	refused("[serve]\nlisten =\n", "t.conf:2: 'listen' has no value");
	refused("[serve]\nListen = x\n", "t.conf:2: 'Listen' is no option");
	refused("[serve]\n--listen = x\n", "t.conf:2: '--listen' is no");
	refused("[]\n", "t.conf:1: a section is [COMMAND]");
	refused("[serve\n", "t.conf:1: a section is [COMMAND]");
}

static void
test_args(void)
{
	char a0[] = "stoked", a1[] = "serve", a2[] = "--config", a3[] = "f",
	     a4[] = "--listen", a5[] = "x", a6[] = "--config=g", a7[] = "--",
	     a8[] = "--config";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL };
	char *bad[] = { a0, a1, a8, NULL };
	const char *path;
	int argc = 9, explicit, n = 3;

	CHECK(cmd_conf_args(&argc, argv, &path, &explicit) == 0);
	/* The last one before "--" wins; what follows "--" is kept. */
	CHECK_STR_EQ(path, "g");
	CHECK(explicit);
	CHECK_INT_EQ(argc, 6);
	CHECK_STR_EQ(argv[2], "--listen");
	CHECK_STR_EQ(argv[3], "x");
	CHECK_STR_EQ(argv[4], "--");
	CHECK_STR_EQ(argv[5], "--config");
	CHECK(argv[6] == NULL);
	CHECK(cmd_conf_args(&n, bad, &path, &explicit) == -1);

	argc = 2;
	argv[2] = NULL;
	setenv("STOKE_CONFIG", "/from/env", 1);
	CHECK(cmd_conf_args(&argc, argv, &path, &explicit) == 0);
	CHECK_STR_EQ(path, "/from/env");
	CHECK(explicit);
	unsetenv("STOKE_CONFIG");

	CHECK_INT_EQ(cmd_conf_bool("yes"), 1);
	CHECK_INT_EQ(cmd_conf_bool("On"), 1);
	CHECK_INT_EQ(cmd_conf_bool("0"), 0);
	CHECK_INT_EQ(cmd_conf_bool("false"), 0);
	CHECK_INT_EQ(cmd_conf_bool("maybe"), -1);
}

/*--------------------------------------------------------------------
 * A command's options, from the file and argv.
 */

struct opts {
	const char *listen;
	const char *db;
	unsigned threads;
	double ttl;
	int allow;
	const char *nodes[8];
	unsigned nnode;
};

static int
opt_node(void *var, const char *arg, char *why, size_t whylen)
{
	struct opts *o = var;

	if (o->nnode == 8) {
		snprintf(why, whylen, "too many nodes");
		return (-1);
	}
	o->nodes[o->nnode++] = arg;
	return (0);
}

/* Parses argv (NULL-terminated) as "stoked who" with text as the file. */
static int
run(const char *who, const char *text, struct opts *o, char **argv)
{
	const struct cmd_opt table[] = {
		{ "listen", 'l', CO_STRING, "ADDR", 0, 0, NULL, "where",
		    &o->listen, NULL },
		{ "database-url", 0, CO_STRING, "URL", 0, 0, NULL, "db", &o->db,
		    NULL },
		{ "threads", 0, CO_UINT, "N", 1, 64, "4", "threads",
		    &o->threads, NULL },
		{ "token-ttl", 0, CO_REAL, "S", 1, 3600, "900", "ttl", &o->ttl,
		    NULL },
		{ "allow-private", 0, CO_FLAG, NULL, 0, 0, NULL, "allow",
		    &o->allow, NULL },
		{ "node", 0, CO_CALL, "URL", 0, 0, NULL, "node", o, opt_node },
		CMD_OPT_END,
	};
	int argc, arg0;

	memset(o, 0, sizeof *o);
	cur = parse(text);
	if (!CHECK(cur != NULL)) {
		fprintf(stderr, "  %s\n", err);
		return (-1);
	}
	cmd_conf_use(cur);
	for (argc = 0; argv[argc] != NULL; argc++)
		continue;
	/* The values point into the file: o is checked before done(). */
	return (cmd_opts_parse(who, "[options]", "A test.\n", table, argc, argv,
	    &arg0));
}

static const char conf[] = "database-url = postgresql://file\n"
                           "allow-private = yes\n"
                           "[serve]\n"
                           "listen = 127.0.0.1:6087\n"
                           "threads = 8\n"
                           "node = http://f1\n"
                           "node = http://f2\n"
                           "[worker]\n"
                           "threads = 2\n";

static void
done(void)
{
	if (cur != NULL)
		cmd_conf_free(&cur);
	CHECK(cmd_conf_current() == NULL);
}

static void
test_apply(void)
{
	char a0[] = "serve", a1[] = "--threads", a2[] = "16", a3[] = "--node",
	     a4[] = "http://c1", a5[] = "-l", a6[] = ":1", a7[] = "--help";
	char *none[] = { a0, NULL };
	char *some[] = { a0, a1, a2, a3, a4, a5, a6, NULL };
	char *help[] = { a0, a7, NULL };
	struct opts o;

	/* The file alone: its section and the shared keys. */
	CHECK_INT_EQ(run("serve", conf, &o, none), 0);
	CHECK_STR_EQ(o.listen, "127.0.0.1:6087");
	CHECK_STR_EQ(o.db, "postgresql://file");
	CHECK_INT_EQ(o.threads, 8);
	CHECK(o.ttl == 900);
	CHECK(o.allow);
	CHECK_INT_EQ(o.nnode, 2);
	CHECK_STR_EQ(o.nodes[1], "http://f2");
	done();

	/* The command line wins, every line of a repeated option. */
	CHECK_INT_EQ(run("serve", conf, &o, some), 0);
	CHECK_STR_EQ(o.listen, ":1");
	CHECK_INT_EQ(o.threads, 16);
	CHECK_INT_EQ(o.nnode, 1);
	CHECK_STR_EQ(o.nodes[0], "http://c1");
	CHECK_STR_EQ(o.db, "postgresql://file");
	done();

	/* Another command's section is not this one's. */
	CHECK_INT_EQ(run("worker", conf, &o, none), 0);
	CHECK_INT_EQ(o.threads, 2);
	CHECK(o.listen == NULL);
	CHECK_INT_EQ(o.nnode, 0);
	done();

	/* A shared key a command does not take is not its business. */
	CHECK_INT_EQ(run("serve", "jwt-keys = /k\n", &o, none), 0);
	done();

	/* Values are checked as argv's are, and said where. */
	CHECK_INT_EQ(run("serve", "[serve]\nthreads = 65\n", &o, none), 2);
	done();
	CHECK_INT_EQ(run("serve", "[serve]\nthreads = 2.5\n", &o, none), 2);
	done();
	CHECK_INT_EQ(run("serve", "[serve]\nlisten = x\nspeed = 9\n", &o, none),
	    2);
	done();
	CHECK_INT_EQ(run("serve", "allow-private = maybe\n", &o, none), 2);
	done();
	CHECK_INT_EQ(run("serve", "allow-private = no\n", &o, none), 0);
	CHECK(!o.allow);
	done();
	/* The file's line for an option argv gives is not even read. */
	CHECK_INT_EQ(run("serve", "[serve]\nthreads = 65\n", &o, some), 0);
	CHECK_INT_EQ(o.threads, 16);
	done();

	/* --help does not depend on the file. */
	CHECK_INT_EQ(run("serve", "[serve]\nspeed = 9\n", &o, help), 1);
	done();
}

int
main(void)
{
	test_lines();
	test_refused();
	test_args();
	test_apply();
	return (unit_done());
}
