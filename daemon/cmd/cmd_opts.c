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
#include "render/render_pool.h"
#include "cmd_config.h"
#include "cmd_man.h"
#include "cmd_opts.h"

/* getopt's value for row i, when it has no letter of its own. */
#define CO_VAL0 256
/* --man, hidden: the build makes the manual pages with it. */
#define CO_MAN 255

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

/* A flag, or a call that names no argument ("--head"), takes none. */
static int
co_takes_arg(const struct cmd_opt *o)
{
	return (o->kind != CO_FLAG && !(o->kind == CO_CALL && o->arg == NULL));
}

/* at: where arg comes from, "" (argv) or "FILE:LINE: ". */
static int
co_set(const char *who, const char *at, const struct cmd_opt *o,
    const char *arg)
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
			fprintf(stderr,
			    "stoked %s: %s--%s must be %g to %g%s\n", who, at,
			    o->name, o->min, o->max,
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
		fprintf(stderr, "stoked %s: %s%s\n", who, at, why);
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
	fprintf(f, "  %-28s %s (default: %s)\n", "    --config FILE",
	    "the config file (the command line wins)", STOKE_CONFIG_FILE);
	fprintf(f, "  %-28s %s\n", "-h, --help", "this text");
}

/*--------------------------------------------------------------------
 * getopt's tables from ours.
 */

struct co_getopt {
	unsigned magic;
#define CO_GETOPT_MAGIC 0x5c0d0b7a
	struct option *lo; /* n rows, --help, --man, the end */
	char shorts[64];
	size_t n;
};

static void
co_getopt_init(struct co_getopt *g, const struct cmd_opt *opts)
{
	size_t i, ns = 0;

	INIT_OBJ(g, CO_GETOPT_MAGIC);
	for (g->n = 0; opts[g->n].name != NULL; g->n++)
		continue;
	g->lo = calloc(g->n + 3, sizeof *g->lo);
	AN(g->lo);
	g->shorts[ns++] = 'h';
	for (i = 0; i < g->n; i++) {
		g->lo[i].name = opts[i].name;
		g->lo[i].has_arg =
		    co_takes_arg(&opts[i]) ? required_argument : no_argument;
		g->lo[i].val =
		    opts[i].letter != 0 ? opts[i].letter : CO_VAL0 + (int)i;
		if (opts[i].letter != 0) {
			assert(ns + 3 < sizeof g->shorts);
			g->shorts[ns++] = (char)opts[i].letter;
			if (co_takes_arg(&opts[i]))
				g->shorts[ns++] = ':';
		}
	}
	g->shorts[ns] = '\0';
	g->lo[g->n].name = "help";
	g->lo[g->n].val = 'h';
	g->lo[g->n + 1].name = "man";
	g->lo[g->n + 1].val = CO_MAN;
}

/* The row of getopt's value c, or n (unknown). */
static size_t
co_row(const struct co_getopt *g, int c)
{
	size_t i;

	CHECK_OBJ_NOTNULL(g, CO_GETOPT_MAGIC);
	for (i = 0; i < g->n; i++)
		if (g->lo[i].val == c)
			break;
	return (i);
}

/*
 * A first, quiet look at argv: which rows it gives (seen[]), so that
 * the config file's lines for those are left out, repeated options
 * included: the command line wins whole.  1 when --help or --man is
 * asked (no config then: the manual must not depend on the machine).
 */
static int
co_scan(const struct co_getopt *g, int argc, char **argv, char *seen)
{
	int c, opterr0 = opterr, rv = 0;
	size_t i;

	CHECK_OBJ_NOTNULL(g, CO_GETOPT_MAGIC);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, g->shorts, g->lo, NULL)) != -1) {
		if (c == 'h' || c == CO_MAN)
			rv = 1;
		i = co_row(g, c);
		if (i < g->n)
			seen[i] = 1;
	}
	opterr = opterr0;
	return (rv);
}

/* The config file's lines for who, as if given before argv.  0 or 2. */
static int
co_conf(const char *who, const struct cmd_opt *opts, const char *seen)
{
	const struct cmd_conf *cf;
	const struct cmd_conf_line *l;
	const struct cmd_opt *o;
	char at[512];
	unsigned u;
	int b;

	cf = cmd_conf_current();
	if (cf == NULL)
		return (0);
	CHECK_OBJ(cf, CMD_CONF_MAGIC);
	for (u = 0; u < cf->nline; u++) {
		l = &cf->line[u];
		if (*l->section != '\0' && strcmp(l->section, who))
			continue;
		snprintf(at, sizeof at, "%s:%u: ", cf->path, l->lineno);
		for (o = opts; o->name != NULL; o++)
			if (!strcmp(o->name, l->key))
				break;
		if (o->name == NULL) {
			/* A shared key goes where it is taken. */
			if (*l->section == '\0')
				continue;
			fprintf(stderr, "stoked %s: %sno option '%s' in [%s]\n",
			    who, at, l->key, who);
			return (2);
		}
		if (seen[o - opts])
			continue;
		b = 1;
		if (!co_takes_arg(o) && (b = cmd_conf_bool(l->value)) < 0) {
			fprintf(stderr, "stoked %s: %s%s is yes or no\n", who,
			    at, l->key);
			return (2);
		}
		if (b && co_set(who, at, o, l->value) != 0)
			return (2);
	}
	return (0);
}

int
cmd_opts_parse(const char *who, const char *synopsis, const char *about,
    const struct cmd_opt *opts, int argc, char **argv, int *optind_out)
{
	struct co_getopt g;
	char *seen;
	size_t i;
	int c, rv, man = 0, unknown = 0;

	AN(who);
	AN(opts);
	co_getopt_init(&g, opts);
	seen = calloc(g.n + 1, 1);
	AN(seen);
	co_defaults(opts);
	/* With --help or --man, the loop below answers. */
	rv = co_scan(&g, argc, argv, seen) ? 0 : co_conf(who, opts, seen);
	free(seen);
	optind = 1;
	while (rv != 2 &&
	    (c = getopt_long(argc, argv, g.shorts, g.lo, NULL)) != -1) {
		if (c == 'h' || c == CO_MAN) {
			man = c == CO_MAN;
			rv = 1;
			break;
		}
		i = co_row(&g, c);
		unknown = i == g.n;
		if (unknown || co_set(who, "", &opts[i], optarg) != 0)
			rv = 2;
	}
	free(g.lo);
	/* A bad value was said; an unknown option gets the usage. */
	if (man)
		cmd_man_command(stdout, who, synopsis, about, opts);
	else if (rv == 1)
		cmd_opts_usage(stdout, who, synopsis, about, opts);
	else if (unknown)
		cmd_opts_usage(stderr, who, synopsis, about, opts);
	*optind_out = optind;
	return (rv);
}

void
cmd_render_conf(const struct cmd_render *cr, struct render_pool_conf *pc)
{
	AN(cr);
	AN(pc);
	memset(pc, 0, sizeof *pc);
	pc->cdp.chromium = cr->chromium;
	pc->cdp.heap_mb = cr->heap_mb;
	pc->browsers = cr->browsers;
	pc->tabs = cr->tabs;
	pc->pages = cr->pages;
	pc->rss_max_mb = cr->rss_max_mb;
}
