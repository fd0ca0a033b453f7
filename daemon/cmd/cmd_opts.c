/*
 * Subcommand options read from tables (cmd_opts.h).
 */

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "proto/secret.h"
#include "cmd_opts.h"

/* getopt's value for row i, when it has no letter of its own. */
#define CO_VAL0 256

/*--------------------------------------------------------------------
 * The shared rows' setters.
 */

int
cmd_common_node(void *var, const char *arg, char *why, size_t whylen)
{
	struct cmd_common *cc;

	CAST_OBJ_NOTNULL(cc, var, CMD_COMMON_MAGIC);
	if (cc->nnode == CMD_MAX_NODES) {
		snprintf(why, whylen, "too many nodes (%d at most)",
		    CMD_MAX_NODES);
		return (-1);
	}
	cc->nodes[cc->nnode++] = arg;
	return (0);
}

int
cmd_common_secret_file(void *var, const char *arg, char *why, size_t whylen)
{
	struct cmd_common *cc;

	CAST_OBJ_NOTNULL(cc, var, CMD_COMMON_MAGIC);
	return (secret_read_file(arg, cc->key, sizeof cc->key, &cc->keylen, why,
	    whylen));
}

int
cmd_common_origin_max(void *var, const char *arg, char *why, size_t whylen)
{
	struct cmd_common *cc;

	CAST_OBJ_NOTNULL(cc, var, CMD_COMMON_MAGIC);
	return (og_conf_option(&cc->og, "origin-max", arg, why, whylen));
}

int
cmd_common_origin_rate(void *var, const char *arg, char *why, size_t whylen)
{
	struct cmd_common *cc;

	CAST_OBJ_NOTNULL(cc, var, CMD_COMMON_MAGIC);
	return (og_conf_option(&cc->og, "origin-rate", arg, why, whylen));
}

void
cmd_common_init(struct cmd_common *cc)
{
	AN(cc);
	INIT_OBJ(cc, CMD_COMMON_MAGIC);
	og_conf_default(&cc->og);
	cc->concurrency = 8;
}

int
cmd_common_check(const char *who, const struct cmd_common *cc)
{
	CHECK_OBJ_NOTNULL(cc, CMD_COMMON_MAGIC);
	if (cc->database_url != NULL && cc->state_dir != NULL) {
		fprintf(stderr,
		    "stoked %s: --database-url or --state-dir, not both\n",
		    who);
		return (-1);
	}
	if (cc->no_database &&
	    (cc->database_url != NULL || cc->state_dir != NULL)) {
		fprintf(stderr,
		    "stoked %s: --no-database with a database option\n", who);
		return (-1);
	}
	return (0);
}

/*--------------------------------------------------------------------
 * Numbers: the whole argument, within the row's range.
 */

static int
co_number(const struct cmd_opt *o, const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end != '\0' || !(v >= o->min) ||
	    !(v <= o->max))
		return (-1);
	if (o->kind == CO_UINT && v != floor(v))
		return (-1);
	*out = v;
	return (0);
}

static int
co_set(const char *who, const struct cmd_opt *o, const char *arg)
{
	char why[512];
	double v;

	switch (o->kind) {
	case CO_FLAG:
		*(int *)o->var = 1;
		return (0);
	case CO_STRING:
		*(const char **)o->var = arg;
		return (0);
	case CO_UINT:
	case CO_REAL:
		if (co_number(o, arg, &v) != 0) {
			fprintf(stderr, "stoked %s: --%s must be %g to %g%s\n",
			    who, o->name, o->min, o->max,
			    o->kind == CO_UINT ? ", a whole number" : "");
			return (-1);
		}
		if (o->kind == CO_UINT)
			*(unsigned *)o->var = (unsigned)v;
		else
			*(double *)o->var = v;
		return (0);
	case CO_CALL:
		AN(o->fn);
		why[0] = '\0';
		if (o->fn(o->var, arg, why, sizeof why) == 0)
			return (0);
		fprintf(stderr, "stoked %s: %s\n", who, why);
		return (-1);
	}
	WRONG("option kind");
	return (-1);
}

/* The defaults that are numbers, before the command line. */
static void
co_defaults(const struct cmd_opt *opts)
{
	const struct cmd_opt *o;
	double v;

	for (o = opts; o->name != NULL; o++)
		if ((o->kind == CO_UINT || o->kind == CO_REAL) &&
		    o->def != NULL && co_number(o, o->def, &v) == 0) {
			if (o->kind == CO_UINT)
				*(unsigned *)o->var = (unsigned)v;
			else
				*(double *)o->var = v;
		}
}

void
cmd_opts_usage(FILE *f, const char *who, const char *synopsis,
    const char *about, const struct cmd_opt *opts)
{
	const struct cmd_opt *o;
	char left[64];

	fprintf(f, "usage: stoked %s %s\n\n%s\n", who, synopsis, about);
	for (o = opts; o->name != NULL; o++) {
		if (o->help == NULL)
			continue;
		if (o->letter != 0)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->letter,
			    o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
			    o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		fprintf(f, "  %-28s %s", left, o->help);
		if (o->def != NULL)
			fprintf(f, " (default: %s)", o->def);
		fprintf(f, "\n");
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "this text");
}

int
cmd_opts_parse(const char *who, const char *synopsis, const char *about,
    const struct cmd_opt *opts, int argc, char **argv, int *optind_out)
{
	struct option *lo;
	char shorts[64];
	size_t n, i, ns = 0;
	int c, rv = 0, unknown = 0;

	AN(who);
	AN(opts);
	for (n = 0; opts[n].name != NULL; n++)
		continue;
	lo = calloc(n + 2, sizeof *lo);
	AN(lo);
	shorts[ns++] = 'h';
	for (i = 0; i < n; i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg =
		    opts[i].kind == CO_FLAG ? no_argument : required_argument;
		lo[i].val =
		    opts[i].letter != 0 ? opts[i].letter : CO_VAL0 + (int)i;
		if (opts[i].letter != 0) {
			assert(ns + 3 < sizeof shorts);
			shorts[ns++] = (char)opts[i].letter;
			if (opts[i].kind != CO_FLAG)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	lo[n].name = "help";
	lo[n].val = 'h';
	co_defaults(opts);
	optind = 1;
	while (
	    rv == 0 && (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == 'h') {
			rv = 1;
			break;
		}
		for (i = 0; i < n; i++)
			if (lo[i].val == c)
				break;
		unknown = i == n;
		if (unknown || co_set(who, &opts[i], optarg) != 0)
			rv = 2;
	}
	free(lo);
	/* A bad value was said; an unknown option gets the usage. */
	if (rv == 1)
		cmd_opts_usage(stdout, who, synopsis, about, opts);
	else if (unknown)
		cmd_opts_usage(stderr, who, synopsis, about, opts);
	*optind_out = optind;
	return (rv);
}
