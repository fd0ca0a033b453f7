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

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"

#include "store/db_url.h"
#include "store/default_project.h"
#include "store/pg_pool.h"
#include "store/task_queue.h"
#include "warm/variant_replay.h"
#include "cmd.h"

/*
 * The CLI's jobs belong to the default project, and the website is found
 * by its base URL or made.  DO UPDATE rather than DO NOTHING, so that an
 * existing website's id is returned too.
 */
static const struct pg_stmt st_create = { NULL,
	"WITH " SQL_DEFAULT_PROJECT ", w AS ("
	"  INSERT INTO websites (project_id, base_url)"
	"  SELECT id, $1 FROM default_project"
	"  ON CONFLICT (project_id, base_url)"
	"    DO UPDATE SET base_url = EXCLUDED.base_url"
	"  RETURNING id"
	")"
	"INSERT INTO cache_jobs (website_id, trigger, source)"
	" SELECT id, $2::job_trigger, $3 FROM w RETURNING id",
	3 };

static const struct pg_stmt st_show = { NULL,
	"SELECT json_build_object("
	"  'id', j.id, 'website', w.base_url, 'status', j.status,"
	"  'trigger', j.trigger, 'source', j.source,"
	"  'urls_total', j.urls_total, 'urls_completed', j.urls_completed,"
	"  'urls_failed', j.urls_failed, 'error', j.error,"
	"  'created_at', j.created_at, 'started_at', j.started_at,"
	"  'finished_at', j.finished_at,"
	"  'tasks', (SELECT coalesce(json_object_agg(state, n), '{}')"
	"    FROM (SELECT state, count(*) AS n FROM warm_tasks"
	"      WHERE job_id = j.id GROUP BY state) s))::text"
	" FROM cache_jobs j JOIN websites w ON w.id = j.website_id"
	" WHERE j.id = $1::bigint",
	1 };

#define MAX_VARIANTS 64

struct jmain {
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

static void
job_usage(FILE *f)
{
	fprintf(f,
	    "usage: stoked job create [--database-url URL | --state-dir DIR]\n"
	    "                         --website-url BASE [--trigger T] "
	    "[--source S]\n"
	    "                         [--variant V]... (--urls-file F | "
	    "URL...)\n"
	    "       stoked job show [--database-url URL | --state-dir DIR] "
	    "JOB_ID\n"
	    "\n"
	    "create: makes a warm job of the URLs (one per line in the file;\n"
	    "blank lines and #comments skipped; - reads stdin) for the\n"
	    "website BASE, made in the default project if new, queues its\n"
	    "tasks for the workers and prints the job's id.  Each URL is\n"
	    "warmed in each --variant, given as the variant's inputs\n"
	    "('currency=EUR', 'currency=EUR vary.accept-language=de'; values\n"
	    "percent-encoded; '' is the plain one, the default).  --trigger\n"
	    "is manual by default.  show: the job's state and counters as\n"
	    "JSON.  The database: --database-url, else $STOKE_DATABASE_URL,\n"
	    "else the embedded one in the state directory (see 'stoked\n"
	    "db').\n");
}

static int
is_http_url(const char *s)
{
	return (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8));
}

static struct pg_pool *
open_pool(struct jmain *m, const char *url_opt, const char *state_opt)
{
	char err[1024], *url;

	/* Before the loop: the embedded cluster starts blocking. */
	url = db_url_open("job", url_opt, state_opt, err, sizeof err);
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
	if (m->pool != NULL)
		pg_pool_free(&m->pool);
	if (m->eb != NULL)
		event_base_free(m->eb);
}

/*** create *********************************************************/

static void
on_enqueued(void *priv, unsigned inserted, const char *err)
{
	struct jmain *m = priv;

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
on_created(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct jmain *m = priv;
	int64_t id;

	if (err == NULL && PQntuples(r) != 1)
		err = "no job made";
	if (err != NULL) {
		fprintf(stderr, "stoked job: creating the job: %s\n", err);
		m->rc = 1;
		event_base_loopbreak(m->eb);
		return;
	}
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	/* The id first: the job exists whatever happens next. */
	printf("%jd\n", (intmax_t)id);
	fflush(stdout);
	tq_enqueue(m->pool, id, m->tasks, m->ntask, on_enqueued, m);
}

/* A task for u in each variant. */
static int
add_url(struct jmain *m, const char *u)
{
	unsigned v;

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

static int
add_variant(struct jmain *m, const char *v)
{
	char err[256];

	if (variant_check(v, err, sizeof err) != 0) {
		fprintf(stderr, "stoked job: --variant '%s': %s\n", v, err);
		return (-1);
	}
	if (m->nvariant == MAX_VARIANTS) {
		fprintf(stderr, "stoked job: more than %d variants\n",
		    MAX_VARIANTS);
		return (-1);
	}
	m->variants[m->nvariant++] = v;
	return (0);
}

static int
read_urls(struct jmain *m, const char *path)
{
	char *line = NULL, *s, *e;
	size_t cap = 0;
	FILE *f;
	int r = 0;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (f == NULL) {
		fprintf(stderr, "stoked job: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	while (r == 0 && getline(&line, &cap, f) >= 0) {
		for (s = line; *s == ' ' || *s == '\t'; s++)
			continue;
		e = s + strcspn(s, "\r\n");
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (m->nline % 1024 == 0) {
			m->lines = realloc(m->lines,
			    (m->nline + 1024) * sizeof *m->lines);
			AN(m->lines);
		}
		m->lines[m->nline] = strdup(s);
		AN(m->lines[m->nline]);
		r = add_url(m, m->lines[m->nline++]);
	}
	if (r == 0 && ferror(f)) {
		fprintf(stderr, "stoked job: %s: %s\n", path, strerror(errno));
		r = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return (r);
}

static int
job_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "database-url", required_argument, NULL, 'd' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "variant", required_argument, NULL, 'v' },
		{ "website-url", required_argument, NULL, 'w' },
		{ "trigger", required_argument, NULL, 't' },
		{ "source", required_argument, NULL, 's' },
		{ "urls-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *site = NULL, *trigger = "manual", *source = NULL;
	const char *file = NULL, *url = NULL, *state = NULL, *v[3];
	struct jmain m;
	unsigned u;
	int c, bad = 0;

	memset(&m, 0, sizeof m);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			url = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'v':
			if (add_variant(&m, optarg) != 0)
				return (2);
			break;
		case 'w':
			site = optarg;
			break;
		case 't':
			trigger = optarg;
			break;
		case 's':
			source = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'h':
			job_usage(stdout);
			return (0);
		default:
			job_usage(stderr);
			return (2);
		}
	}
	if (site == NULL || (file == NULL) == (optind == argc) ||
	    (url != NULL && state != NULL)) {
		job_usage(stderr);
		return (2);
	}
	if (m.nvariant == 0)
		m.variants[m.nvariant++] = "";
	if (!is_http_url(site)) {
		fprintf(stderr, "stoked job: --website-url must be http(s)\n");
		return (2);
	}
	if (file != NULL && read_urls(&m, file) != 0)
		bad = 1;
	for (; !bad && optind < argc; optind++)
		if (add_url(&m, argv[optind]) != 0)
			bad = 1;
	m.rc = bad ? 2 : 1;
	if (!bad && open_pool(&m, url, state) != NULL) {
		v[0] = site;
		v[1] = trigger;
		v[2] = source;
		AZ(pg_pool_query(m.pool, &st_create, v, on_created, &m));
		(void)event_base_dispatch(m.eb);
	}
	close_pool(&m);
	for (u = 0; u < m.nline; u++)
		free(m.lines[u]);
	free(m.lines);
	free(m.tasks);
	return (m.rc);
}

/*** show ***********************************************************/

static void
on_show(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct jmain *m = priv;
	json_error_t jerr;
	json_t *j;
	char *s;

	event_base_loopbreak(m->eb);
	if (err != NULL) {
		fprintf(stderr, "stoked job: %s\n", err);
		return;
	}
	if (PQntuples(r) != 1) {
		fprintf(stderr, "stoked job: no such job\n");
		return;
	}
	j = json_loads(PQgetvalue(r, 0, 0), 0, &jerr);
	s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
	              : NULL;
	printf("%s\n", s != NULL ? s : PQgetvalue(r, 0, 0));
	free(s);
	json_decref(j);
	m->rc = 0;
}

static int
job_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "database-url", required_argument, NULL, 'd' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *state = NULL;
	struct jmain m;
	const char *v[1];
	char *end;
	int c;

	memset(&m, 0, sizeof m);
	m.rc = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			url = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'h':
			job_usage(stdout);
			return (0);
		default:
			job_usage(stderr);
			return (2);
		}
	}
	if ((url != NULL && state != NULL) || optind + 1 != argc ||
	    strtoll(argv[optind], &end, 10) <= 0 || *end != '\0') {
		job_usage(stderr);
		return (2);
	}
	if (open_pool(&m, url, state) != NULL) {
		v[0] = argv[optind];
		AZ(pg_pool_query(m.pool, &st_show, v, on_show, &m));
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
