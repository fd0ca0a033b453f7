/*
 * stoked job: create a warm job in the database, or show one.
 *
 *   stoked job create --database-url URL --website-url https://shop/ \
 *       --urls-file urls.txt [--variant 'currency=EUR']...
 *   stoked job show --database-url URL 42
 *
 * The queue's workers (stoked worker) do the warming; a job made here is
 * theirs as soon as its first tasks are in.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/url_list.h"
#include "store/db_url.h"
#include "store/job_store.h"
#include "store/pg_pool.h"
#include "store/task_queue.h"
#include "warm/variant_replay.h"
#include "cmd.h"
#include "cmd_opts.h"

#define MAX_VARIANTS 64

struct jmain {
	unsigned magic;
#define JMAIN_MAGIC 0x70b3a1e2
	struct cmd_common cc;
	struct event_base *eb;
	struct pg_pool *pool;
	struct tq_new_task *tasks;
	unsigned ntask;
	char **lines;
	unsigned nline;
	const char *variants[MAX_VARIANTS];
	unsigned nvariant;
	int rc;
};

static const char job_synopsis[] =
    "create [OPTIONS] --website-url BASE (--urls-file F | URL...)\n"
    "       stoked job show [OPTIONS] JOB_ID";

static const char job_about[] =
    "create: makes a warm job of the URLs (one per line in the file;\n"
    "blank lines and lines starting with # skipped; - reads stdin) for\n"
    "the website BASE, made in the default project if new, queues its\n"
    "tasks for the workers and prints the job's id.  Each URL is\n"
    "warmed in each --variant, given as the variant's inputs\n"
    "('currency=EUR', 'currency=EUR vary.accept-language=de'; values\n"
    "percent-encoded; '' is the plain one, the default).\n"
    "show: the job's state and counters as JSON.\n"
    "The database: --database-url, else $STOKE_DATABASE_URL, else the\n"
    "embedded one in the state directory (see 'stoked db').\n";

static void
job_usage(FILE *f)
{
	struct cmd_common cc;
	const struct cmd_opt opts[] = {
		CMD_OPT_DATABASE_URL(&cc),
		CMD_OPT_STATE_DIR(&cc),
		CMD_OPT_END,
	};

	cmd_common_init(&cc);
	cmd_opts_usage(f, "job", job_synopsis, job_about, opts);
}

static int
is_http_url(const char *s)
{
	return (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8));
}

static struct pg_pool *
open_pool(struct jmain *m)
{
	char err[1024], *url;

	CHECK_OBJ_NOTNULL(m, JMAIN_MAGIC);
	/* Before the loop: the embedded cluster starts blocking. */
	url = db_url_open(m->cc.database_url, m->cc.state_dir, err, sizeof err);
	if (url == NULL) {
		fprintf(stderr, "stoked job: %s\n", err);
		return (NULL);
	}
	m->eb = event_base_new();
	AN(m->eb);
	m->pool = pg_pool_new(m->eb, url, 2, err, sizeof err);
	free(url);
	if (m->pool == NULL) {
		fprintf(stderr, "stoked job: %s\n", err);
		return (NULL);
	}
	/* A command should say the database is away, not wait for it. */
	pg_pool_set_wait(m->pool, 15);
	return (m->pool);
}

static void
close_pool(struct jmain *m)
{
	CHECK_OBJ_NOTNULL(m, JMAIN_MAGIC);
	if (m->pool != NULL)
		pg_pool_free(&m->pool);
	if (m->eb != NULL)
		event_base_free(m->eb);
}

/*--------------------------------------------------------------------
 * Create
 */

static void
on_enqueued(void *priv, unsigned inserted, const char *err)
{
	struct jmain *m;

	CAST_OBJ_NOTNULL(m, priv, JMAIN_MAGIC);
	if (err != NULL) {
		fprintf(stderr, "stoked job: queueing the tasks: %s\n", err);
		m->rc = 1;
	} else {
		if (inserted < m->ntask)
			fprintf(stderr,
			    "stoked job: %u duplicate URLs left out\n",
			    m->ntask - inserted);
		m->rc = 0;
	}
	event_base_loopbreak(m->eb);
}

static void
on_created(void *priv, int64_t id, const char *err)
{
	struct jmain *m;

	CAST_OBJ_NOTNULL(m, priv, JMAIN_MAGIC);
	if (err != NULL) {
		fprintf(stderr, "stoked job: creating the job: %s\n", err);
		m->rc = 1;
		event_base_loopbreak(m->eb);
		return;
	}
	/* The id first: the job exists whatever happens next. */
	printf("%jd\n", (intmax_t)id);
	fflush(stdout);
	tq_enqueue(m->pool, id, m->tasks, m->ntask, 1, on_enqueued, m);
}

/* A task for u in each variant. */
static int
add_url(struct jmain *m, const char *u)
{
	unsigned v;

	CHECK_OBJ_NOTNULL(m, JMAIN_MAGIC);
	if (!is_http_url(u)) {
		fprintf(stderr, "stoked job: not an http(s) URL: %s\n", u);
		return (-1);
	}
	for (v = 0; v < m->nvariant; v++) {
		if (m->ntask % 1024 == 0) {
			m->tasks = realloc(m->tasks,
			    (m->ntask + 1024) * sizeof *m->tasks);
			AN(m->tasks);
		}
		memset(&m->tasks[m->ntask], 0, sizeof m->tasks[0]);
		m->tasks[m->ntask].url = u;
		m->tasks[m->ntask++].variant = m->variants[v];
	}
	return (0);
}

/* --variant: one more variant of each URL. */
static int
add_variant(void *priv, const char *v, char *why, size_t whylen)
{
	struct jmain *m;
	char err[256];

	CAST_OBJ_NOTNULL(m, priv, JMAIN_MAGIC);
	if (variant_check(v, err, sizeof err) != 0) {
		snprintf(why, whylen, "--variant '%s': %s", v, err);
		return (-1);
	}
	if (m->nvariant == MAX_VARIANTS) {
		snprintf(why, whylen, "more than %d variants", MAX_VARIANTS);
		return (-1);
	}
	m->variants[m->nvariant++] = v;
	return (0);
}

/* A URL of --urls-file, kept for as long as its task is. */
static int
add_file_url(void *priv, const char *url)
{
	struct jmain *m;

	CAST_OBJ_NOTNULL(m, priv, JMAIN_MAGIC);
	if (m->nline % 1024 == 0) {
		m->lines =
		    realloc(m->lines, (m->nline + 1024) * sizeof *m->lines);
		AN(m->lines);
	}
	m->lines[m->nline] = strdup(url);
	AN(m->lines[m->nline]);
	return (add_url(m, m->lines[m->nline++]));
}

static int
job_create(int argc, char **argv)
{
	const char *site = NULL, *trigger = "manual", *source = NULL;
	const char *file = NULL;
	char err[512];
	struct jmain m;
	unsigned u;
	int bad = 0, arg0;
	const struct cmd_opt opts[] = {
		CMD_OPT_DATABASE_URL(&m.cc),
		CMD_OPT_STATE_DIR(&m.cc),
		{ "website-url", 0, CO_STRING, "BASE", 0, 0, NULL,
		    "the website's base URL (required)", &site, NULL },
		{ "variant", 0, CO_CALL, "V", 0, 0, "'' (the plain one)",
		    "warm each URL in this variant too (repeatable)", &m,
		    add_variant },
		{ "trigger", 0, CO_STRING, "T", 0, 0, "manual",
		    "what made the job", &trigger, NULL },
		{ "source", 0, CO_STRING, "S", 0, 0, NULL,
		    "where its URLs come from, for the record", &source, NULL },
		{ "urls-file", 0, CO_STRING, "F", 0, 0, NULL,
		    "the URLs, one a line ('-': standard input)", &file, NULL },
		CMD_OPT_END,
	};

	INIT_OBJ(&m, JMAIN_MAGIC);
	cmd_common_init(&m.cc);
	switch (cmd_opts_parse("job", job_synopsis, job_about, opts, argc, argv,
	    &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	if (site == NULL || (file == NULL) == (arg0 == argc)) {
		job_usage(stderr);
		return (2);
	}
	if (cmd_common_check("job", &m.cc) != 0)
		return (2);
	if (m.nvariant == 0)
		m.variants[m.nvariant++] = "";
	if (!is_http_url(site)) {
		fprintf(stderr, "stoked job: --website-url must be http(s)\n");
		return (2);
	}
	if (file != NULL) {
		switch (
		    url_list_read(file, add_file_url, &m, err, sizeof err)) {
		case 0:
			break;
		case -1:
			fprintf(stderr, "stoked job: %s\n", err);
			/* FALLTHROUGH */
		default:
			bad = 1;
		}
	}
	for (; !bad && arg0 < argc; arg0++)
		if (add_url(&m, argv[arg0]) != 0)
			bad = 1;
	m.rc = bad ? 2 : 1;
	if (!bad && open_pool(&m) != NULL) {
		job_store_create(m.pool, site, trigger, source, on_created, &m);
		(void)event_base_dispatch(m.eb);
	}
	close_pool(&m);
	for (u = 0; u < m.nline; u++)
		free(m.lines[u]);
	free(m.lines);
	free(m.tasks);
	return (m.rc);
}

/*--------------------------------------------------------------------
 * Show
 */

static void
on_show(void *priv, const char *json, const char *err)
{
	struct jmain *m;
	json_error_t jerr;
	json_t *j;
	char *s;

	CAST_OBJ_NOTNULL(m, priv, JMAIN_MAGIC);
	event_base_loopbreak(m->eb);
	if (err != NULL) {
		fprintf(stderr, "stoked job: %s\n", err);
		return;
	}
	if (json == NULL) {
		fprintf(stderr, "stoked job: no such job\n");
		return;
	}
	j = json_loads(json, 0, &jerr);
	s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
	              : NULL;
	printf("%s\n", s != NULL ? s : json);
	free(s);
	json_decref(j);
	m->rc = 0;
}

static int
job_show(int argc, char **argv)
{
	struct jmain m;
	long long id = 0;
	char *end = NULL;
	int arg0;
	const struct cmd_opt opts[] = {
		CMD_OPT_DATABASE_URL(&m.cc),
		CMD_OPT_STATE_DIR(&m.cc),
		CMD_OPT_END,
	};

	INIT_OBJ(&m, JMAIN_MAGIC);
	cmd_common_init(&m.cc);
	m.rc = 1;
	switch (cmd_opts_parse("job", job_synopsis, job_about, opts, argc, argv,
	    &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	if (arg0 + 1 == argc)
		id = strtoll(argv[arg0], &end, 10);
	if (arg0 + 1 != argc || id <= 0 || *end != '\0') {
		job_usage(stderr);
		return (2);
	}
	if (cmd_common_check("job", &m.cc) != 0)
		return (2);
	if (open_pool(&m) != NULL) {
		job_store_show(m.pool, (int64_t)id, on_show, &m);
		(void)event_base_dispatch(m.eb);
	}
	close_pool(&m);
	return (m.rc);
}

int
cmd_job(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "create"))
		return (job_create(argc - 1, argv + 1));
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return (job_show(argc - 1, argv + 1));
	if (argc >= 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		job_usage(stdout);
		return (0);
	}
	job_usage(stderr);
	return (2);
}
