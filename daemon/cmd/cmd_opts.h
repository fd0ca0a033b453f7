/*
 * Options are data: a subcommand lists its options as rows of a table,
 * and cmd_opts_parse() gets getopt's table, the range checks, the
 * defaults and the usage's option list from it.  The options several
 * subcommands take (the database, the nodes, the secret, the
 * concurrency, how hard an origin may be pushed) are rows written once
 * here, CMD_OPT_*(), which fill in a struct cmd_common.
 */

#ifndef STOKE_CMD_OPTS_H
#define STOKE_CMD_OPTS_H

#include <stddef.h>
#include <stdio.h>

#include "fetch/origin_guard.h"
#include "proto/warm_sig.h"

enum cmd_opt_kind {
	CO_FLAG, /* no argument: *(int *)var = 1 */
	CO_STRING, /* *(const char **)var = the argument */
	CO_UINT, /* *(unsigned *)var, an integer from min to max */
	CO_REAL, /* *(double *)var, a number from min to max */
	CO_CALL, /* fn(var, arg, ...): repeated, or checked by its owner */
};

/* 0, or -1 with why (the command's name is added before it). */
typedef int cmd_opt_f(void *var, const char *arg, char *why, size_t whylen);

struct cmd_opt {
	const char *name; /* --name */
	int letter; /* -l as well; 0: none */
	enum cmd_opt_kind kind;
	const char *arg; /* the argument in the usage: "N", "URL" */
	double min, max; /* CO_UINT and CO_REAL */
	/*
	 * The default, as the usage says it.  A number is also set before
	 * the command line is read (CO_UINT, CO_REAL); words ("none") are
	 * what the command does without the option.
	 */
	const char *def;
	const char *help; /* one line; NULL: hidden (tests, debugging) */
	void *var;
	cmd_opt_f *fn; /* CO_CALL */
};

#define CMD_OPT_END                                                            \
	{                                                                      \
		NULL, 0, CO_FLAG, NULL, 0, 0, NULL, NULL, NULL, NULL           \
	}

#define CMD_MAX_NODES 32

/* What the shared rows fill in. */
struct cmd_common {
	unsigned magic;
#define CMD_COMMON_MAGIC 0x5c0d01e5
	const char *database_url; /* --database-url */
	const char *state_dir; /* --state-dir */
	int no_database; /* --no-database */
	const char *nodes[CMD_MAX_NODES]; /* --node, in order */
	unsigned nnode;
	char key[WARM_KEY_MAX + 1]; /* --secret-file */
	size_t keylen;
	unsigned concurrency;
	struct og_conf og; /* --origin-max, --origin-rate */
};

int cmd_common_node(void *, const char *, char *, size_t);
int cmd_common_secret_file(void *, const char *, char *, size_t);
int cmd_common_origin_max(void *, const char *, char *, size_t);
int cmd_common_origin_rate(void *, const char *, char *, size_t);

/*--------------------------------------------------------------------
 * The shared rows
 */

#define CMD_OPT_DATABASE_URL(cc)                                               \
	{                                                                      \
		"database-url", 0, CO_STRING, "URL", 0, 0,                     \
		    "$STOKE_DATABASE_URL", "the PostgreSQL database to use",   \
		    &(cc)->database_url, NULL                                  \
	}
#define CMD_OPT_STATE_DIR(cc)                                                  \
	{                                                                      \
		"state-dir", 0, CO_STRING, "DIR", 0, 0, NULL,                  \
		    "use the embedded PostgreSQL in DIR (see 'stoked db')",    \
		    &(cc)->state_dir, NULL                                     \
	}
#define CMD_OPT_NO_DATABASE(cc)                                                \
	{                                                                      \
		"no-database", 0, CO_FLAG, NULL, 0, 0, NULL, "store nothing",  \
		    &(cc)->no_database, NULL                                   \
	}
#define CMD_OPT_NODE(cc, help)                                                 \
	{                                                                      \
		"node", 0, CO_CALL, "URL", 0, 0, NULL, help, (cc),             \
		    cmd_common_node                                            \
	}
#define CMD_OPT_SECRET_FILE(cc)                                                \
	{                                                                      \
		"secret-file", 0, CO_CALL, "F", 0, 0, NULL,                    \
		    "the VCL's secret, to sign warm requests", (cc),           \
		    cmd_common_secret_file                                     \
	}
#define CMD_OPT_CONCURRENCY(cc, name, def)                                     \
	{                                                                      \
		name, 0, CO_UINT, "N", 1, 1024, def,                           \
		    "fetches in flight, at most", &(cc)->concurrency, NULL     \
	}
#define CMD_OPT_ORIGIN_MAX(cc, def)                                            \
	{                                                                      \
		"origin-max", 0, CO_CALL, "N", 0, 0, def,                      \
		    "fetches in flight per origin, at most (1 to 1024)", (cc), \
		    cmd_common_origin_max                                      \
	}
#define CMD_OPT_ORIGIN_RATE(cc)                                                \
	{                                                                      \
		"origin-rate", 0, CO_CALL, "R", 0, 0, "no limit",              \
		    "requests a second per origin, at most", (cc),             \
		    cmd_common_origin_rate                                     \
	}

/*
 * Rendering in headless Chromium (render/render_pool.h): the same rows
 * for stoked warm --render and stoked worker.
 */
struct cmd_render {
	const char *chromium;
	unsigned browsers, tabs, pages, heap_mb, rss_max_mb;
	double timeout; /* seconds a page may take */
};

#define CMD_OPT_RENDER(cr)                                                     \
	{ "chromium", 0, CO_STRING, "PATH", 0, 0, "/usr/bin/chromium",         \
		"the headless browser that renders pages", &(cr)->chromium,    \
		NULL },                                                        \
	    { "render-browsers", 0, CO_UINT, "N", 1, 16, "1",                  \
		    "browser processes that render pages, at most",            \
		    &(cr)->browsers, NULL },                                   \
	    { "render-tabs", 0, CO_UINT, "N", 1, 64, "4",                      \
		    "pages rendered at once in each browser", &(cr)->tabs,     \
		    NULL },                                                    \
	    { "render-pages", 0, CO_UINT, "N", 1, 100000, "200",               \
		    "pages a browser renders before it is restarted",          \
		    &(cr)->pages, NULL },                                      \
	    { "render-heap", 0, CO_UINT, "MB", 16, 65536, "256",               \
		    "a page's JavaScript heap, at most: past it the tab "      \
		    "crashes",                                                 \
		    &(cr)->heap_mb, NULL },                                    \
	    { "render-rss-max", 0, CO_UINT, "MB", 0, 1048576, "2048",          \
		    "a browser past this resident size (all its processes) "   \
		    "is "                                                      \
		    "restarted; 0: never",                                     \
		    &(cr)->rss_max_mb, NULL },                                 \
	{                                                                      \
		"render-timeout", 0, CO_REAL, "S", 1, 600, "30",               \
		    "seconds a page may take to load, scroll and go quiet",    \
		    &(cr)->timeout, NULL                                       \
	}

/*--------------------------------------------------------------------
 * Using a table
 */

/* The tenants' event streams: seconds between their pings. */
/* stoked run and stoked agent: where the VCL's stoke.doorbell() rings. */
#define CMD_OPT_DOORBELL(var)                                                  \
	{                                                                      \
		"doorbell", 0, CO_STRING, "PATH", 0, 0, NULL,                  \
		    "a socket for the VCL's stoke.doorbell(): invalidations "  \
		    "read from the log at once",                               \
		    (var), NULL                                                \
	}

#define CMD_OPT_SSE_HEARTBEAT(var)                                             \
	{                                                                      \
		"sse-heartbeat", 0, CO_REAL, "S", 0.1, 3600, "15",             \
		    "seconds between an event stream's pings", (var), NULL     \
	}

#define CMD_OPT_CLIENT_TIMEOUT(var)                                            \
	{                                                                      \
		"client-timeout", 0, CO_REAL, "S", 1, 3600, "30",              \
		    "seconds an API client may stay silent, sending its "      \
		    "request or kept alive",                                   \
		    (var), NULL                                                \
	}

/* The API's client connections at once (api/api_conns.h); 0, the
 * default, is the open-file limit less a reserve. */
#define CMD_OPT_MAX_CONNECTIONS(var)                                           \
	{                                                                      \
		"max-connections", 0, CO_UINT, "N", 1, 1000000,                \
		    "the open-file limit less 256",                            \
		    "API connections at once; past it, newcomers are "         \
		    "answered 503 and closed",                                 \
		    (var), NULL                                                \
	}

struct render_pool_conf;
/* The pool's settings from the rows above. */
void cmd_render_conf(const struct cmd_render *, struct render_pool_conf *);

/* Defaults for the shared rows: og_conf_default(), 8 fetches. */
void cmd_common_init(struct cmd_common *);
/* --database-url and --state-dir (and --no-database) exclude each other. */
int cmd_common_check(const char *who, const struct cmd_common *);

/*
 * Reads argv's options by the table, from argv[1], as "stoked who"; then
 * *optind_out is the first operand.  0; 1 when --help was asked (the
 * usage is then printed on stdout: the caller returns 0); 2 on bad usage
 * (said on stderr, with the usage).
 */
int cmd_opts_parse(const char *who, const char *synopsis, const char *about,
    const struct cmd_opt *, int argc, char **argv, int *optind_out);

/* "usage: stoked who SYNOPSIS", about, then one line per option. */
void cmd_opts_usage(FILE *, const char *who, const char *synopsis,
    const char *about, const struct cmd_opt *);

#endif
