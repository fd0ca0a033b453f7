/*
 * The store's bookkeeping.  A job is kept in memory from its first
 * mention until its row is written in its final state and no waiting
 * row refers to it.  Invalidations and results wait in FIFOs until the
 * database has their job; the job's ids are then known here (from its
 * insert's RETURNING), so they are written with them and the database
 * looks nothing up.
 *
 * One write is in flight at a time, in this order: jobs (new ones, and
 * the counters of running ones every JOB_UPDATE seconds), invalidations,
 * results.  A write that fails is sent again, same rows, same keys,
 * after a backoff: rows that made it the first time are skipped
 * (ON CONFLICT (row_key) DO NOTHING), and a job's insert is an upsert.
 * Keys rather than a table of batches written: nothing more to prune,
 * and a row is written at most once whatever batch it travels in.  A
 * write the server refuses for its data (SQLSTATE classes 22 and 23)
 * would never pass: its rows are dropped and counted, not tried for
 * ever.  Strings are made valid UTF-8 first, so that one odd URL cannot
 * sink a batch.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/random.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <libpq-fe.h>
#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vsb.h"
#include "vtim.h"

#include "api/http_api.h"
#include "node/instance.h"
#include "sitemap/sitemap_jobs.h"
#include "warm/rewarm.h"
#include "warm/warm_batch.h"
#include "warm/warm_verdict.h"
#include "default_project.h"
#include "pg_array.h"
#include "pg_pool.h"
#include "result_store.h"

#define MAX_ROWS_DEFAULT 200000
#define BATCH_DEFAULT 1000
#define INTERVAL_DEFAULT 0.25
#define JOB_UPDATE 2.0 /* seconds between writes of a running job */
#define JOBS_MAX 1000 /* jobs per statement */
#define BACKOFF_MIN 0.25
#define BACKOFF_MAX 5.0
#define UNREACHABLE_AFTER 5.0 /* seconds down before it is said */
#define SJ_KEY (UINT64_C(1) << 62) /* a job table job's key: its id | */

/*
 * New jobs, each with its website found or made, and the counters of
 * jobs written before.  A job sent again after an unknown outcome is
 * updated, and its ids returned all the same.
 */
static const struct pg_stmt st_jobs = { "rs_jobs",
	"WITH " SQL_DEFAULT_PROJECT ", n AS ("
	"  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[],"
	"    $4::text[], $5::float8[], $6::text[], $7::float8[],"
	"    $8::integer[], $9::integer[], $10::integer[], $11::text[])"
	"  AS n(k, base, trig, source, t0, status, t1, total, done, failed,"
	"    error)"
	"), w AS ("
	"  INSERT INTO websites (project_id, base_url)"
	"  SELECT p.id, b.base FROM default_project p,"
	"    (SELECT DISTINCT base FROM n) b"
	"  ON CONFLICT (project_id, base_url)"
	"    DO UPDATE SET base_url = EXCLUDED.base_url"
	"  RETURNING id, base_url"
	"), u AS ("
	"  UPDATE cache_jobs c SET status = x.status::job_status,"
	"    finished_at = to_timestamp(x.t1), urls_total = x.total,"
	"    urls_completed = x.done, urls_failed = x.failed, error = x.error"
	"  FROM unnest($12::bigint[], $13::text[], $14::float8[],"
	"    $15::integer[], $16::integer[], $17::integer[], $18::text[])"
	"    AS x(id, status, t1, total, done, failed, error)"
	"  WHERE c.id = x.id"
	"  RETURNING 1"
	")"
	"INSERT INTO cache_jobs (row_key, website_id, trigger, source, status,"
	"  created_at, started_at, finished_at, urls_total, urls_completed,"
	"  urls_failed, error)"
	" SELECT n.k, w.id, n.trig::job_trigger, n.source,"
	"  n.status::job_status, to_timestamp(n.t0), to_timestamp(n.t0),"
	"  to_timestamp(n.t1), n.total, n.done, n.failed, n.error"
	" FROM n JOIN w ON w.base_url = n.base"
	" ON CONFLICT (row_key) WHERE row_key IS NOT NULL DO UPDATE SET"
	"  status = EXCLUDED.status, finished_at = EXCLUDED.finished_at,"
	"  urls_total = EXCLUDED.urls_total,"
	"  urls_completed = EXCLUDED.urls_completed,"
	"  urls_failed = EXCLUDED.urls_failed, error = EXCLUDED.error"
	" RETURNING row_key, id, website_id",
	18 };

static const struct pg_stmt st_invals = { "rs_invals",
	"INSERT INTO invalidation_events (row_key, website_id, job_id, kind,"
	"  soft, node, subject, objects_dropped, objects_queued, occurred_at)"
	" SELECT y.k, y.site, y.job, y.kind::invalidation_kind, y.soft,"
	"  y.node, y.subject, y.dropped, y.queued, to_timestamp(y.t)"
	" FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[],"
	"  $5::boolean[], $6::text[], $7::text[], $8::integer[],"
	"  $9::integer[], $10::float8[])"
	"  AS y(k, site, job, kind, soft, node, subject, dropped, queued, t)"
	" ON CONFLICT (row_key) WHERE row_key IS NOT NULL DO NOTHING",
	10 };

static const struct pg_stmt st_results = { "rs_results",
	"INSERT INTO page_results (row_key, job_id, website_id, url, variant,"
	"  node, status, load_ms, ttfb_ms, cache_status, outcome, reason, ttl,"
	"  recorded_at)"
	" SELECT r.k, r.job, r.site, r.url, r.variant, r.node, r.status,"
	"  r.load_ms, r.ttfb_ms, r.cs, r.outcome::warm_outcome, r.reason,"
	"  r.ttl, to_timestamp(r.t)"
	" FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[],"
	"  $5::text[], $6::text[], $7::integer[], $8::real[], $9::real[],"
	"  $10::text[], $11::text[], $12::text[], $13::real[], $14::float8[])"
	"  AS r(k, job, site, url, variant, node, status, load_ms, ttfb_ms,"
	"    cs, outcome, reason, ttl, t)"
	" ON CONFLICT (row_key) WHERE row_key IS NOT NULL DO NOTHING",
	14 };

struct rs_job {
	unsigned magic;
#define RS_JOB_MAGIC 0x5e7d0a01
	uint64_t key; /* the watcher's */
	uint64_t seq; /* its row key's */
	const char *trigger; /* static, as job_trigger names it */
	const char *status; /* static: running, done, failed, cancelled */
	char *base; /* http://HOST/ */
	char *source;
	char *error;
	char *node, *host; /* an expiry job's */
	int64_t hour; /* an expiry job's: since the epoch; else -1 */
	double created, finished;
	unsigned total, completed, failed;
	unsigned described : 1; /* told what it is: may be written */
	unsigned ended : 1; /* nothing more will be added */
	unsigned lost : 1; /* dropped: never written */
	unsigned written : 1; /* its row is in the database */
	unsigned sending : 1;
	uint64_t version, sent_version, written_version;
	double last_write;
	int64_t db_id, website_id;
	unsigned nrows; /* waiting rows that refer to it */
	UT_hash_handle hh; /* by key */
	VTAILQ_ENTRY(rs_job) list; /* in the order made */
	VTAILQ_ENTRY(rs_job) elist; /* expiry jobs */
};

struct rs_row {
	VTAILQ_ENTRY(rs_row) list;
	struct rs_job *job;
	uint64_t seq;
	const char *outcome, *cache_status;
	long status; /* 0: no answer */
	double load_ms, ttfb_ms, ttl; /* < 0: unknown */
	double t;
	char *url, *variant, *node, *reason; /* after the row */
};

struct rs_inval {
	VTAILQ_ENTRY(rs_inval) list;
	struct rs_job *job;
	uint64_t seq;
	const char *kind;
	unsigned soft, dropped, queued;
	double t;
	char *node, *subject; /* after it */
};

enum rs_writing { W_IDLE, W_JOBS, W_INVALS, W_RESULTS };

struct result_store {
	unsigned magic;
#define RESULT_STORE_MAGIC 0x5e7d0a02
	struct event_base *eb;
	struct pg_pool *pool;
	struct rs_conf conf;
	uint64_t run; /* every row key's first half */
	uint64_t seq; /* ... and the last one's second */
	uint64_t next_key;
	struct rs_job *jobs; /* by key */
	unsigned njob;
	VTAILQ_HEAD(, rs_job) joblist;
	VTAILQ_HEAD(, rs_job) expiring;
	VTAILQ_HEAD(, rs_row) rows;
	VTAILQ_HEAD(, rs_inval) invals;
	size_t nresult; /* results waiting */
	size_t nbuf; /* rows waiting: results, invalidations, new jobs */
	enum rs_writing writing;
	struct rs_job **sent; /* the jobs in flight, in order made */
	unsigned nsent, lsent;
	void **inflight; /* the invalidations or results in flight */
	unsigned nsend, linflight; /* rows in flight */
	double retry_at, backoff;
	double down_since; /* monotonic; 0: connected */
	unsigned said_down : 1;
	unsigned failing : 1; /* a write failed: said once */
	unsigned full : 1; /* rows dropped: said once */
	unsigned draining : 1;
	struct event *tick, *kick;
	uint64_t written, dropped, errors, dropped_episode;
};

#define CHECK_RS(rs) CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC)

static int
connected(const struct result_store *rs)
{
	struct pg_pool_stats st;

	pg_pool_stats(rs->pool, &st);
	return (st.connected > 0);
}

/*** strings ********************************************************/

/* The length of the valid UTF-8 sequence at p, 0 if there is none. */
static size_t
utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return ((p[1] & 0xc0) == 0x80 ? 2 : 0);
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0))
			return (0);
		return (3);
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80 || (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			return (0);
		return (4);
	}
	return (0);
}

/* Room for s as clean() writes it, its '\0' included. */
static size_t
clean_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 1, l;

	for (; *p != '\0'; p += l) {
		l = utf8_len(p);
		if (l == 0) {
			n += 3;
			l = 1;
		} else {
			n += l;
		}
	}
	return (n);
}

/* s with bytes that are not UTF-8 written %XX, as PostgreSQL takes it. */
static char *
clean(char *dst, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char *d = dst;
	size_t l;

	for (; *p != '\0'; p += l) {
		l = utf8_len(p);
		if (l == 0) {
			*d++ = '%';
			*d++ = hex[*p >> 4];
			*d++ = hex[*p & 15];
			l = 1;
		} else {
			memcpy(d, p, l);
			d += l;
		}
	}
	*d = '\0';
	return (dst);
}

static char *
clean_dup(const char *s)
{
	char *d;

	if (s == NULL)
		return (NULL);
	d = malloc(clean_len(s));
	AN(d);
	return (clean(d, s));
}

/* "http://host/", the host in lower case. */
static char *
base_of(const char *host)
{
	char *b, *p;

	b = malloc(strlen(host) + 9);
	AN(b);
	sprintf(b, "http://%s/", host);
	for (p = b + 7; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	p = clean_dup(b);
	free(b);
	return (p);
}

/* The host (and port) of an http(s) URL. */
static char *
host_of(const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;
	char *d;

	h = h != NULL ? h + 3 : url;
	n = strcspn(h, "/?#");
	d = malloc(n + 1);
	AN(d);
	memcpy(d, h, n);
	d[n] = '\0';
	return (d);
}

/* A row key: the run's half, then the row's, so that keys count up. */
static void
row_key(const struct result_store *rs, uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%08x-%04x-%04x-%04x-%04x%08x",
	    (unsigned)(rs->run >> 32), (unsigned)(rs->run >> 16) & 0xffff,
	    (unsigned)rs->run & 0xffff, (unsigned)(seq >> 48) & 0xffff,
	    (unsigned)(seq >> 32) & 0xffff, (unsigned)seq);
}

/* The row's half of a row key, as PostgreSQL writes uuids back. */
static uint64_t
key_seq(const char *uuid)
{
	char hex[17];

	if (strlen(uuid) != 36)
		return (0);
	memcpy(hex, uuid + 19, 4);
	memcpy(hex + 4, uuid + 24, 12);
	hex[16] = '\0';
	return (strtoull(hex, NULL, 16));
}

static void
arr_time(struct vsb *a, double t)
{
	char buf[32];

	if (t <= 0) {
		pg_array_null(a);
		return;
	}
	/* Not pg_array_real(): six digits would lose the seconds. */
	snprintf(buf, sizeof buf, "%.6f", t);
	pg_array_text(a, buf);
}

static void
arr_key(const struct result_store *rs, struct vsb *a, uint64_t seq)
{
	char buf[40];

	row_key(rs, seq, buf, sizeof buf);
	pg_array_text(a, buf);
}

static void
arr_opt(struct vsb *a, double v)
{
	if (v < 0)
		pg_array_null(a);
	else
		pg_array_real(a, v);
}

/*** jobs ***********************************************************/

static struct rs_job *
job_find(const struct result_store *rs, uint64_t key)
{
	struct rs_job *j;

	HASH_FIND(hh, rs->jobs, &key, sizeof key, j);
	return (j);
}

static struct rs_job *
job_get(struct result_store *rs, uint64_t key)
{
	struct rs_job *j;

	j = job_find(rs, key);
	if (j != NULL)
		return (j);
	ALLOC_OBJ(j, RS_JOB_MAGIC);
	AN(j);
	j->key = key;
	j->seq = ++rs->seq;
	j->status = "running";
	j->hour = -1;
	j->created = VTIM_real();
	HASH_ADD(hh, rs->jobs, key, sizeof j->key, j);
	VTAILQ_INSERT_TAIL(&rs->joblist, j, list);
	rs->njob++;
	return (j);
}

static void
job_free(struct result_store *rs, struct rs_job *j)
{
	CHECK_OBJ_NOTNULL(j, RS_JOB_MAGIC);
	HASH_DEL(rs->jobs, j);
	VTAILQ_REMOVE(&rs->joblist, j, list);
	if (j->hour >= 0)
		VTAILQ_REMOVE(&rs->expiring, j, elist);
	rs->njob--;
	free(j->base);
	free(j->source);
	free(j->error);
	free(j->node);
	free(j->host);
	FREE_OBJ(j);
}

static int
job_final(const struct rs_job *j)
{
	return (strcmp(j->status, "running") != 0);
}

/* A job goes once the database has the last of it. */
static void
forget(struct result_store *rs, struct rs_job *j)
{
	if (j->sending || j->nrows > 0)
		return;
	if (!j->described || j->lost) {
		/* Never to be written: gone once nothing more can come. */
		if (j->ended &&
		    (job_final(j) || j->completed + j->failed >= j->total))
			job_free(rs, j);
		return;
	}
	if (j->written && job_final(j) && j->written_version == j->version)
		job_free(rs, j);
}

/* Done once everything queued is accounted for. */
static void
maybe_done(struct rs_job *j)
{
	if (!j->ended || job_final(j) || j->completed + j->failed < j->total)
		return;
	j->status = "done";
	j->finished = VTIM_real();
	j->version++;
}

/* Room for one more row, or it is dropped (and that said once). */
static int
admit(struct result_store *rs)
{
	if (rs->nbuf < rs->conf.max_rows)
		return (1);
	rs->dropped++;
	rs->dropped_episode++;
	if (!rs->full) {
		rs->full = 1;
		if (connected(rs))
			fprintf(stderr,
			    "stoked: database too slow: result buffer full "
			    "(%zu rows), dropping results until it catches "
			    "up\n",
			    rs->nbuf);
		else
			fprintf(stderr,
			    "stoked: database unreachable: result buffer full "
			    "(%zu rows), dropping results until it is back\n",
			    rs->nbuf);
	}
	return (0);
}

/* What the job is, now that it is known: from now on it may be written. */
static void
describe(struct result_store *rs, struct rs_job *j, const char *trigger,
    const char *host, const char *source)
{
	if (j->described || j->lost)
		return;
	j->trigger = trigger;
	j->base = base_of(host);
	j->source = clean_dup(source);
	if (!admit(rs)) {
		j->lost = 1;
		return;
	}
	j->described = 1;
	j->version++;
	rs->nbuf++;
}

/*** rows ***********************************************************/

static void
kick(struct result_store *rs)
{
	event_active(rs->kick, EV_TIMEOUT, 0);
}

static const char *
cache_status(const struct wb_result *r)
{
	if (r->outcome == WO_FRESH)
		return ("hit");
	if (r->status > 0)
		return ("miss");
	return (NULL);
}

static void
add_result(struct result_store *rs, struct rs_job *j, const struct wb_result *r,
    const char *host, const char *variant)
{
	const char *node = r->node, *reason = r->reason;
	size_t lu, lv, ln, lr;
	struct rs_row *row;
	char *s, *url = NULL;

	if (warm_verdict_failed(r->outcome))
		j->failed++;
	else
		j->completed++;
	j->version++;
	if (j->lost) {
		rs->dropped++;
		return;
	}
	if (!admit(rs))
		return;
	if (host != NULL) {
		/* A re-warm's: the path of an object of host. */
		url = malloc(strlen(host) + strlen(r->url) + 8);
		AN(url);
		sprintf(url, "http://%s%s", host, r->url);
	}
	lu = clean_len(url != NULL ? url : r->url);
	lv = clean_len(variant != NULL ? variant : "");
	ln = node != NULL ? clean_len(node) : 0;
	lr = reason != NULL ? clean_len(reason) : 0;
	row = calloc(1, sizeof *row + lu + lv + ln + lr);
	AN(row);
	s = (char *)(row + 1);
	row->url = clean(s, url != NULL ? url : r->url);
	row->variant = clean(s + lu, variant != NULL ? variant : "");
	if (node != NULL)
		row->node = clean(s + lu + lv, node);
	if (reason != NULL)
		row->reason = clean(s + lu + lv + ln, reason);
	free(url);
	row->job = j;
	row->seq = ++rs->seq;
	row->outcome = warm_outcome_name[r->outcome];
	row->cache_status = cache_status(r);
	row->status = r->status;
	row->load_ms = r->time > 0 ? r->time * 1e3 : -1;
	row->ttfb_ms = r->ttfb > 0 ? r->ttfb * 1e3 : -1;
	row->ttl = r->ttl;
	row->t = VTIM_real();
	VTAILQ_INSERT_TAIL(&rs->rows, row, list);
	j->nrows++;
	rs->nresult++;
	rs->nbuf++;
	if (rs->nresult >= rs->conf.batch)
		kick(rs);
}

static void
add_inval(struct result_store *rs, struct rs_job *j,
    const struct instance_inval *iv, const char *node)
{
	struct rs_inval *i;
	size_t ln, ls;

	if (j->lost || !admit(rs))
		return;
	ln = clean_len(node);
	ls = clean_len(iv->subject != NULL ? iv->subject : "");
	i = calloc(1, sizeof *i + ln + ls);
	AN(i);
	i->node = clean((char *)(i + 1), node);
	i->subject =
	    clean((char *)(i + 1) + ln, iv->subject != NULL ? iv->subject : "");
	i->job = j;
	i->seq = ++rs->seq;
	i->kind = iv->kind;
	i->soft = iv->soft;
	i->dropped = iv->dropped;
	i->queued = iv->queued;
	i->t = iv->t;
	VTAILQ_INSERT_TAIL(&rs->invals, i, list);
	j->nrows++;
	rs->nbuf++;
}

static void
row_done(struct result_store *rs, struct rs_row *row)
{
	struct rs_job *j = row->job;

	VTAILQ_REMOVE(&rs->rows, row, list);
	assert(j->nrows > 0 && rs->nresult > 0 && rs->nbuf > 0);
	j->nrows--;
	rs->nresult--;
	rs->nbuf--;
	free(row);
	forget(rs, j);
}

static void
inval_done(struct result_store *rs, struct rs_inval *i)
{
	struct rs_job *j = i->job;

	VTAILQ_REMOVE(&rs->invals, i, list);
	assert(j->nrows > 0 && rs->nbuf > 0);
	j->nrows--;
	rs->nbuf--;
	free(i);
	forget(rs, j);
}

/*** writing ********************************************************/

static void
said_back(struct result_store *rs)
{
	rs->backoff = 0;
	rs->retry_at = 0;
	if (rs->failing) {
		rs->failing = 0;
		fprintf(stderr, "stoked: writing to the database again\n");
	}
	if (rs->full && rs->nbuf < rs->conf.max_rows) {
		rs->full = 0;
		fprintf(stderr,
		    "stoked: result buffer has room again: %" PRIu64
		    " rows were dropped\n",
		    rs->dropped_episode);
		rs->dropped_episode = 0;
	}
}

/*
 * A write failed.  1: for its data, so it never will pass (the caller
 * drops its rows); 0: try again later.
 */
static int
write_failed(struct result_store *rs, const struct pg_result *res,
    const char *err, const char *what)
{
	const char *state = NULL;

	rs->errors++;
	if (res != NULL)
		state =
		    PQresultErrorField((const PGresult *)res, PG_DIAG_SQLSTATE);
	if (state != NULL &&
	    (!strncmp(state, "22", 2) || !strncmp(state, "23", 2))) {
		fprintf(stderr,
		    "stoked: the database refused %u %s rows, dropped: %s\n",
		    rs->nsend, what, err);
		rs->dropped += rs->nsend;
		return (1);
	}
	/* At exit rs_drain() says what was left, the pool's "stopped". */
	if (!rs->failing && !rs->draining) {
		rs->failing = 1;
		fprintf(stderr,
		    "stoked: writing %s to the database failed, trying again: "
		    "%s\n",
		    what, err);
	}
	rs->backoff = rs->backoff > 0 ? rs->backoff * 2 : BACKOFF_MIN;
	if (rs->backoff > BACKOFF_MAX)
		rs->backoff = BACKOFF_MAX;
	rs->retry_at = VTIM_mono() + rs->backoff;
	return (0);
}

static struct rs_job *
sent_job(const struct result_store *rs, uint64_t seq)
{
	unsigned lo = 0, hi = rs->nsent, mid;

	/* rs->sent is in the order jobs were made, which is by seq. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (rs->sent[mid]->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (
	    lo < rs->nsent && rs->sent[lo]->seq == seq ? rs->sent[lo] : NULL);
}

static void
on_jobs(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct result_store *rs;
	struct rs_job *j;
	unsigned u;
	int i, drop = 0;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	assert(rs->writing == W_JOBS);
	rs->writing = W_IDLE;
	if (err != NULL)
		drop = write_failed(rs, res, err, "job");
	for (i = 0; err == NULL && i < PQntuples(r); i++) {
		j = sent_job(rs, key_seq(PQgetvalue(r, i, 0)));
		if (j == NULL || j->written)
			continue;
		j->written = 1;
		j->db_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		j->website_id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		rs->nbuf--;
		rs->written++;
	}
	for (u = 0; u < rs->nsent; u++) {
		j = rs->sent[u];
		j->sending = 0;
		if (err == NULL && j->written) {
			j->written_version = j->sent_version;
			j->last_write = VTIM_real();
		} else if (drop && !j->written) {
			j->lost = 1;
			j->described = 0;
			rs->nbuf--;
		}
		forget(rs, j);
	}
	rs->nsent = 0;
	rs->nsend = 0;
	if (err == NULL) {
		said_back(rs);
		kick(rs);
	}
}

/* status, finished, total, completed, failed, error: a[0] to a[5]. */
static void
job_values(struct vsb **a, const struct rs_job *j)
{
	unsigned total = j->total;

	/* The table checks it; results may come before the total grows. */
	if (total < j->completed + j->failed)
		total = j->completed + j->failed;
	pg_array_text(a[0], j->status);
	arr_time(a[1], j->finished);
	pg_array_int(a[2], total);
	pg_array_int(a[3], j->completed);
	pg_array_int(a[4], j->failed);
	pg_array_text(a[5], j->error);
}

/* Does the job's row need writing now? */
static int
job_due(const struct result_store *rs, const struct rs_job *j, double now)
{
	if (!j->described || j->lost || j->sending)
		return (0);
	if (!j->written)
		return (1);
	return (j->version != j->written_version &&
	    (job_final(j) || rs->draining ||
	        now - j->last_write >= JOB_UPDATE));
}

static int
send_jobs(struct result_store *rs)
{
	struct vsb *n[11], *x[7];
	const char *v[18];
	struct rs_job *j;
	double now = VTIM_real();
	unsigned u;
	int r;

	VTAILQ_FOREACH(j, &rs->joblist, list)
	if (job_due(rs, j, now))
		break;
	if (j == NULL)
		return (0);
	for (u = 0; u < 11; u++)
		n[u] = pg_array_new();
	for (u = 0; u < 7; u++)
		x[u] = pg_array_new();
	rs->nsent = 0;
	VTAILQ_FOREACH(j, &rs->joblist, list)
	{
		if (rs->nsent == JOBS_MAX)
			break;
		if (!job_due(rs, j, now))
			continue;
		if (rs->nsent == rs->lsent) {
			rs->lsent = rs->lsent > 0 ? rs->lsent * 2 : 64;
			rs->sent =
			    realloc(rs->sent, rs->lsent * sizeof *rs->sent);
			AN(rs->sent);
		}
		rs->sent[rs->nsent++] = j;
		j->sending = 1;
		j->sent_version = j->version;
		if (!j->written) {
			arr_key(rs, n[0], j->seq);
			pg_array_text(n[1], j->base);
			pg_array_text(n[2], j->trigger);
			pg_array_text(n[3], j->source);
			arr_time(n[4], j->created);
			job_values(n + 5, j);
		} else {
			pg_array_int(x[0], j->db_id);
			job_values(x + 1, j);
		}
	}
	for (u = 0; u < 11; u++)
		pg_array_end(n[u]);
	for (u = 0; u < 7; u++)
		pg_array_end(x[u]);
	for (u = 0; u < 11; u++)
		v[u] = VSB_data(n[u]);
	for (u = 0; u < 7; u++)
		v[11 + u] = VSB_data(x[u]);
	r = 0;
	if (rs->nsent > 0) {
		rs->nsend = rs->nsent;
		r = pg_pool_query(rs->pool, &st_jobs, v, on_jobs, rs) == 0;
		if (r) {
			rs->writing = W_JOBS;
		} else {
			for (u = 0; u < rs->nsent; u++)
				rs->sent[u]->sending = 0;
			rs->nsent = rs->nsend = 0;
		}
	}
	for (u = 0; u < 11; u++)
		VSB_destroy(&n[u]);
	for (u = 0; u < 7; u++)
		VSB_destroy(&x[u]);
	return (r);
}

/* Rows in flight, in rs->inflight. */
static void
inflight_add(struct result_store *rs, void *p)
{
	if (rs->nsend == rs->linflight) {
		rs->linflight = rs->linflight > 0 ? rs->linflight * 2 : 256;
		rs->inflight =
		    realloc(rs->inflight, rs->linflight * sizeof *rs->inflight);
		AN(rs->inflight);
	}
	rs->inflight[rs->nsend++] = p;
}

static void
on_invals(void *priv, const struct pg_result *res, const char *err)
{
	struct result_store *rs;
	unsigned u;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	assert(rs->writing == W_INVALS);
	rs->writing = W_IDLE;
	if (err != NULL && !write_failed(rs, res, err, "invalidation")) {
		rs->nsend = 0;
		return;
	}
	if (err == NULL)
		rs->written += rs->nsend;
	for (u = 0; u < rs->nsend; u++)
		inval_done(rs, rs->inflight[u]);
	rs->nsend = 0;
	if (err == NULL) {
		said_back(rs);
		kick(rs);
	}
}

static int
send_invals(struct result_store *rs)
{
	struct rs_inval *i, *i2;
	struct vsb *a[10];
	const char *v[10];
	unsigned u;
	int r = 0;

	rs->nsend = 0;
	if (VTAILQ_EMPTY(&rs->invals))
		return (0);
	for (u = 0; u < 10; u++)
		a[u] = pg_array_new();
	VTAILQ_FOREACH_SAFE(i, &rs->invals, list, i2)
	{
		if (rs->nsend == rs->conf.batch)
			break;
		if (i->job->lost) {
			rs->dropped++;
			inval_done(rs, i);
			continue;
		}
		if (!i->job->written)
			continue;
		inflight_add(rs, i);
		arr_key(rs, a[0], i->seq);
		pg_array_int(a[1], i->job->website_id);
		pg_array_int(a[2], i->job->db_id);
		pg_array_text(a[3], i->kind);
		pg_array_bool(a[4], (int)i->soft);
		pg_array_text(a[5], i->node);
		pg_array_text(a[6], i->subject);
		pg_array_int(a[7], i->dropped);
		pg_array_int(a[8], i->queued);
		arr_time(a[9], i->t);
	}
	for (u = 0; u < 10; u++) {
		pg_array_end(a[u]);
		v[u] = VSB_data(a[u]);
	}
	if (rs->nsend > 0) {
		r = pg_pool_query(rs->pool, &st_invals, v, on_invals, rs) == 0;
		if (r)
			rs->writing = W_INVALS;
		else
			rs->nsend = 0;
	}
	for (u = 0; u < 10; u++)
		VSB_destroy(&a[u]);
	return (r);
}

static void
on_results(void *priv, const struct pg_result *res, const char *err)
{
	struct result_store *rs;
	unsigned u;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	assert(rs->writing == W_RESULTS);
	rs->writing = W_IDLE;
	if (err != NULL && !write_failed(rs, res, err, "result")) {
		rs->nsend = 0;
		return;
	}
	if (err == NULL)
		rs->written += rs->nsend;
	for (u = 0; u < rs->nsend; u++)
		row_done(rs, rs->inflight[u]);
	rs->nsend = 0;
	if (err == NULL) {
		said_back(rs);
		/* The next batch at once if it is whole, else on time. */
		if (rs->nresult >= rs->conf.batch || rs->draining)
			kick(rs);
	}
}

static int
send_results(struct result_store *rs)
{
	struct rs_row *row, *row2;
	struct vsb *a[14];
	const char *v[14];
	unsigned u, looked = 0;
	int r = 0;

	rs->nsend = 0;
	if (rs->nresult == 0)
		return (0);
	for (u = 0; u < 14; u++)
		a[u] = pg_array_new();
	VTAILQ_FOREACH_SAFE(row, &rs->rows, list, row2)
	{
		/* Rows of a job not written yet wait for it. */
		if (rs->nsend == rs->conf.batch ||
		    looked++ == 4 * rs->conf.batch)
			break;
		if (row->job->lost) {
			rs->dropped++;
			row_done(rs, row);
			continue;
		}
		if (!row->job->written)
			continue;
		inflight_add(rs, row);
		arr_key(rs, a[0], row->seq);
		pg_array_int(a[1], row->job->db_id);
		pg_array_int(a[2], row->job->website_id);
		pg_array_text(a[3], row->url);
		pg_array_text(a[4], row->variant);
		pg_array_text(a[5], row->node);
		if (row->status > 0)
			pg_array_int(a[6], row->status);
		else
			pg_array_null(a[6]);
		arr_opt(a[7], row->load_ms);
		arr_opt(a[8], row->ttfb_ms);
		pg_array_text(a[9], row->cache_status);
		pg_array_text(a[10], row->outcome);
		pg_array_text(a[11], row->reason);
		arr_opt(a[12], row->ttl);
		arr_time(a[13], row->t);
	}
	for (u = 0; u < 14; u++) {
		pg_array_end(a[u]);
		v[u] = VSB_data(a[u]);
	}
	if (rs->nsend > 0) {
		r = pg_pool_query(rs->pool, &st_results, v, on_results, rs) ==
		    0;
		if (r)
			rs->writing = W_RESULTS;
		else
			rs->nsend = 0;
	}
	for (u = 0; u < 14; u++)
		VSB_destroy(&a[u]);
	return (r);
}

static void
flush(struct result_store *rs)
{
	if (rs->writing != W_IDLE || VTIM_mono() < rs->retry_at ||
	    !connected(rs))
		return;
	if (send_jobs(rs) || send_invals(rs))
		return;
	(void)send_results(rs);
}

static void
on_kick(evutil_socket_t fd, short what, void *priv)
{
	struct result_store *rs;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	flush(rs);
}

/* The hour's refreshes before expiry are one job, ended with the hour. */
static void
end_hours(struct result_store *rs)
{
	struct rs_job *j, *j2;
	int64_t hour = (int64_t)(VTIM_real() / 3600);

	VTAILQ_FOREACH_SAFE(j, &rs->expiring, elist, j2)
	{
		if (j->hour >= hour || j->ended)
			continue;
		j->ended = 1;
		j->version++;
		if (!j->described)
			j->status = "cancelled";
		maybe_done(j);
		forget(rs, j);
	}
}

/* Said once when the database has been away a while, and when back. */
static void
watch_link(struct result_store *rs)
{
	double now = VTIM_mono();

	if (connected(rs)) {
		if (rs->said_down)
			fprintf(stderr,
			    "stoked: database reachable again: writing %zu "
			    "waiting rows\n",
			    rs->nbuf);
		rs->down_since = 0;
		rs->said_down = 0;
		return;
	}
	if (rs->down_since == 0)
		rs->down_since = now;
	if (!rs->said_down && now - rs->down_since >= UNREACHABLE_AFTER) {
		rs->said_down = 1;
		fprintf(stderr,
		    "stoked: database unreachable (%s): results wait in "
		    "memory, %zu rows at most\n",
		    pg_pool_last_error(rs->pool), rs->conf.max_rows);
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *priv)
{
	struct result_store *rs;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	end_hours(rs);
	watch_link(rs);
	flush(rs);
}

/*** what the job table says ****************************************/

static void
on_job(void *priv, enum sj_event e, const struct sj_info *i,
    const struct wb_result *r)
{
	struct result_store *rs;
	struct rs_job *j;
	char *host;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	if (e == SJ_STARTED) {
		j = job_get(rs, SJ_KEY | i->id);
		host = host_of(i->sitemap);
		describe(rs, j, i->trigger, host, i->sitemap);
		free(host);
		j->created = i->created;
	} else {
		j = job_find(rs, SJ_KEY | i->id);
		if (j == NULL)
			return;
	}
	/* Requests known so far: URLs found times nodes. */
	if (i->progress.total > j->total) {
		j->total = (unsigned)i->progress.total;
		j->version++;
	}
	if (e == SJ_RESULT) {
		AN(r);
		add_result(rs, j, r, NULL, NULL);
	} else if (e == SJ_ENDED) {
		j->ended = 1;
		j->version++;
		if (i->error != NULL && j->error == NULL)
			j->error = clean_dup(i->error);
		if (i->error != NULL && j->total == 0) {
			j->status = "failed";
			j->finished = VTIM_real();
		}
		maybe_done(j);
		forget(rs, j);
	}
}

void
rs_watch_jobs(struct result_store *rs, struct sj_conf *jc)
{
	CHECK_RS(rs);
	AN(jc);
	jc->watch = on_job;
	jc->watch_priv = rs;
}

/*** what the instances say *****************************************/

static uint64_t
w_key(void *priv)
{
	struct result_store *rs;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	return (++rs->next_key);
}

static uint64_t
w_expiry_key(void *priv, const char *node, const char *host)
{
	struct result_store *rs;
	int64_t hour = (int64_t)(VTIM_real() / 3600);
	struct rs_job *j;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	VTAILQ_FOREACH(j, &rs->expiring, elist)
	if (j->hour == hour && !strcmp(j->node, node) && !strcmp(j->host, host))
		return (j->key);
	j = job_get(rs, ++rs->next_key);
	j->hour = hour;
	j->node = strdup(node);
	j->host = strdup(host);
	AN(j->node);
	AN(j->host);
	VTAILQ_INSERT_TAIL(&rs->expiring, j, elist);
	return (j->key);
}

static void
w_queued(void *priv, uint64_t key, const char *node, const char *host,
    unsigned n, const struct instance_inval *iv)
{
	struct result_store *rs;
	struct rs_job *j;
	char source[128];
	time_t t;
	struct tm tm;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	j = job_get(rs, key);
	if (iv != NULL) {
		/* The invalidation kinds are triggers too. */
		describe(rs, j, iv->kind, host, iv->subject);
		j->created = iv->t;
		j->total += n;
		j->ended = 1;
		j->version++;
		add_inval(rs, j, iv, node);
		maybe_done(j);
		forget(rs, j);
		return;
	}
	if (!j->described) {
		t = (time_t)(j->hour * 3600);
		(void)gmtime_r(&t, &tm);
		strftime(source, sizeof source,
		    "refreshed before expiry, %Y-%m-%d %H:00 UTC", &tm);
		describe(rs, j, "expiry", host, source);
	}
	j->total += n;
	j->version++;
}

static void
w_result(void *priv, const struct rewarm_result *rr)
{
	struct result_store *rs;
	struct rs_job *j;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	if (rr->key == 0)
		return;
	/* Before its description when the fetch could not even start. */
	j = job_get(rs, rr->key);
	add_result(rs, j, &rr->r, rr->host, rr->variant);
	maybe_done(j);
	forget(rs, j);
}

static const struct instance_watch watch = {
	.key = w_key,
	.expiry_key = w_expiry_key,
	.queued = w_queued,
	.result = w_result,
};

void
rs_watch_instance(struct result_store *rs, struct instance *inst)
{
	CHECK_RS(rs);
	instance_set_watch(inst, &watch, rs);
}

/*** the store ******************************************************/

static void
metrics(void *priv, struct evbuffer *b)
{
	struct result_store *rs;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	evbuffer_add_printf(b,
	    "stoke_db_connected %d\n"
	    "stoke_db_rows_buffered %zu\n"
	    "stoke_db_rows_buffer_max %zu\n"
	    "stoke_db_rows_written_total %" PRIu64 "\n"
	    "stoke_db_rows_dropped_total %" PRIu64 "\n"
	    "stoke_db_flush_errors_total %" PRIu64 "\n"
	    "stoke_db_jobs_open %u\n",
	    connected(rs), rs->nbuf, rs->conf.max_rows, rs->written,
	    rs->dropped, rs->errors, rs->njob);
}

void
rs_register(struct result_store *rs, struct http_api *api)
{
	CHECK_RS(rs);
	http_api_metrics(api, metrics, rs);
}

static uint64_t
run_id(void)
{
	uint64_t r;

	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		r = (uint64_t)(VTIM_real() * 1e6) ^ ((uint64_t)getpid() << 40);
	return (r);
}

struct result_store *
rs_new(struct event_base *eb, struct pg_pool *pool, const struct rs_conf *c)
{
	struct result_store *rs;
	struct timeval tv;

	AN(eb);
	AN(pool);
	ALLOC_OBJ(rs, RESULT_STORE_MAGIC);
	AN(rs);
	rs->eb = eb;
	rs->pool = pool;
	if (c != NULL)
		rs->conf = *c;
	if (rs->conf.max_rows == 0)
		rs->conf.max_rows = MAX_ROWS_DEFAULT;
	if (rs->conf.batch == 0)
		rs->conf.batch = BATCH_DEFAULT;
	if (rs->conf.interval <= 0)
		rs->conf.interval = INTERVAL_DEFAULT;
	rs->run = run_id();
	VTAILQ_INIT(&rs->joblist);
	VTAILQ_INIT(&rs->expiring);
	VTAILQ_INIT(&rs->rows);
	VTAILQ_INIT(&rs->invals);
	rs->down_since = VTIM_mono();
	rs->tick = event_new(eb, -1, EV_PERSIST, on_tick, rs);
	rs->kick = event_new(eb, -1, 0, on_kick, rs);
	AN(rs->tick);
	AN(rs->kick);
	tv.tv_sec = (time_t)rs->conf.interval;
	tv.tv_usec =
	    (suseconds_t)((rs->conf.interval - (double)tv.tv_sec) * 1e6);
	AZ(event_add(rs->tick, &tv));
	return (rs);
}

/* Rows and job changes not in the database yet. */
static size_t
unwritten(const struct result_store *rs)
{
	const struct rs_job *j;
	size_t n = rs->nbuf;

	VTAILQ_FOREACH(j, &rs->joblist, list)
	if (j->described && !j->lost && j->written &&
	    j->written_version != j->version)
		n++;
	return (n);
}

static void
on_deadline(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	*(int *)priv = 1;
}

size_t
rs_drain(struct result_store *rs, double timeout)
{
	struct timeval tv;
	struct event *ev;
	struct rs_job *j;
	int late = 0;
	size_t left;

	CHECK_RS(rs);
	rs->draining = 1;
	VTAILQ_FOREACH(j, &rs->joblist, list)
	{
		if (job_final(j))
			continue;
		/* An hour's refreshes that are all done are done. */
		if (j->hour >= 0 && j->completed + j->failed >= j->total) {
			j->ended = 1;
			maybe_done(j);
			continue;
		}
		j->status = "cancelled";
		j->finished = VTIM_real();
		j->version++;
	}
	ev = evtimer_new(rs->eb, on_deadline, &late);
	AN(ev);
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(ev, &tv));
	kick(rs);
	/* The tick wakes the loop four times a second at least. */
	while (!late && (unwritten(rs) > 0 || rs->writing != W_IDLE))
		(void)event_base_loop(rs->eb, EVLOOP_ONCE);
	event_free(ev);
	left = unwritten(rs);
	if (left > 0)
		fprintf(stderr,
		    "stoked: %zu rows not stored: the database did not take "
		    "them in %.0f s\n",
		    left, timeout);
	return (left);
}

void
rs_free(struct result_store **rsp)
{
	struct result_store *rs;
	struct rs_inval *i;
	struct rs_row *row;
	struct rs_job *j;

	TAKE_OBJ_NOTNULL(rs, rsp, RESULT_STORE_MAGIC);
	/* Free the pool first: nothing may be in flight. */
	assert(rs->writing == W_IDLE);
	while ((row = VTAILQ_FIRST(&rs->rows)) != NULL) {
		VTAILQ_REMOVE(&rs->rows, row, list);
		free(row);
	}
	while ((i = VTAILQ_FIRST(&rs->invals)) != NULL) {
		VTAILQ_REMOVE(&rs->invals, i, list);
		free(i);
	}
	while ((j = VTAILQ_FIRST(&rs->joblist)) != NULL)
		job_free(rs, j);
	event_free(rs->tick);
	event_free(rs->kick);
	free(rs->sent);
	free(rs->inflight);
	FREE_OBJ(rs);
}
