/*
 * The agent link's batches (batch.h).  Jobs go in a batch before the
 * rows that refer to them, and a job goes again whenever it changed
 * (the control plane upserts it by key), so a batch needs nothing of
 * an earlier one but to be stored after it; rows of a job not described
 * yet wait for it, as they do for PostgreSQL.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "core/log.h"
#include "store/result_rows.h"
#include "batch.h"
#include "spool.h"
#include "traffic.h"

#define KEY_LEN 40

struct link_batch {
	unsigned magic;
#define LINK_BATCH_MAGIC 0x6ba7c401
	char run[64];
	uint64_t seq;
	struct spool *spool;
	struct traffic *traffic;
	batch_echo_f *echo;
	void *echo_priv;
};

/*--------------------------------------------------------------------
 * gzip
 */

int
batch_gzip(const void *p, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	z_stream z;
	size_t max;
	int rv;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	        Z_DEFAULT_STRATEGY) != Z_OK)
		return (-1);
	max = deflateBound(&z, (uLong)len);
	buf = malloc(max);
	AN(buf);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)max;
	rv = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	(void)deflateEnd(&z);
	if (rv != Z_STREAM_END) {
		free(buf);
		return (-1);
	}
	*out = buf;
	return (0);
}

/*--------------------------------------------------------------------
 * Rows as JSON
 */

static json_t *
j_time(double t)
{
	return (t > 0 ? json_real(t) : json_null());
}

static json_t *
j_opt(double v)
{
	return (v >= 0 ? json_real(v) : json_null());
}

static json_t *
j_str(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

void
batch_row_headers(json_t *row, const char *headers)
{
	json_t *h;

	AN(row);
	if (headers == NULL)
		return;
	h = json_loads(headers, 0, NULL);
	if (json_is_object(h))
		AZ(json_object_set_new(row, "headers", h));
	else
		json_decref(h);
}

static json_t *
job_json(const struct result_store *rs, const struct rs_job *j)
{
	char key[KEY_LEN];
	unsigned total = j->total;
	json_t *o;

	/* Results may come before the total grows. */
	if (total < j->completed + j->failed)
		total = j->completed + j->failed;
	rs_row_key(rs, j->seq, key, sizeof key);
	o = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:i, s:i, s:i, s:o}",
	    "key", key, "trigger", j->trigger, "source", j_str(j->source),
	    "status", j->status, "created_at", j_time(j->created),
	    "finished_at", j_time(j->finished), "urls_total", (int)total,
	    "urls_completed", (int)j->completed, "urls_failed", (int)j->failed,
	    "error", j_str(j->error));
	AN(o);
	return (o);
}

static json_t *
inval_json(const struct link_batch *lb, const struct result_store *rs,
    const struct rs_inval *i)
{
	char key[KEY_LEN], job[KEY_LEN];
	json_t *o;
	int echo;

	rs_row_key(rs, i->seq, key, sizeof key);
	rs_row_key(rs, i->job->seq, job, sizeof job);
	echo = lb->echo != NULL && lb->echo(lb->echo_priv, i->kind, i->subject);
	o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:i, s:i, s:o, s:b}",
	    "key", key, "job", job, "kind", i->kind, "soft", (int)i->soft,
	    "node", i->node, "subject", i->subject, "objects_dropped",
	    (int)i->dropped, "objects_queued", (int)i->queued, "occurred_at",
	    j_time(i->t), "echo", echo);
	AN(o);
	return (o);
}

static json_t *
row_json(const struct result_store *rs, const struct rs_row *r)
{
	char key[KEY_LEN], job[KEY_LEN];
	json_t *o;

	rs_row_key(rs, r->seq, key, sizeof key);
	rs_row_key(rs, r->job->seq, job, sizeof job);
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s,"
	              " s:o, s:o, s:o}",
	    "key", key, "job", job, "url", r->url, "variant", r->variant,
	    "node", j_str(r->node), "status",
	    r->status > 0 ? json_integer(r->status) : json_null(), "load_ms",
	    j_opt(r->load_ms), "ttfb_ms", j_opt(r->ttfb_ms), "cache_status",
	    j_str(r->cache_status), "outcome", r->outcome, "reason",
	    j_str(r->reason), "ttl", j_opt(r->ttl), "recorded_at",
	    j_time(r->t));
	AN(o);
	batch_row_headers(o, r->headers);
	return (o);
}

/*--------------------------------------------------------------------
 * Cutting a batch
 */

static int
job_due(const struct rs_job *j)
{
	return (j->described && !j->lost &&
	    (!j->written || j->version != j->written_version));
}

static unsigned
take_jobs(struct result_store *rs, json_t *a, unsigned max)
{
	struct rs_job *j;
	unsigned n = 0;

	for (j = rs_job_first(rs); j != NULL && n < max;
	     j = VTAILQ_NEXT(j, list)) {
		if (!job_due(j))
			continue;
		AZ(json_array_append_new(a, job_json(rs, j)));
		if (!j->written)
			rs_job_taken(rs, j);
		j->written_version = j->version;
		n++;
	}
	return (n);
}

static unsigned
take_invals(const struct link_batch *lb, struct result_store *rs, json_t *a,
    unsigned max)
{
	struct rs_inval *i, *i2;
	unsigned n = 0;

	for (i = rs_inval_first(rs); i != NULL && n < max; i = i2) {
		i2 = VTAILQ_NEXT(i, list);
		if (i->job->lost) {
			rs_dropped(rs, 1);
			rs_inval_done(rs, i);
			continue;
		}
		if (!i->job->written)
			continue;
		AZ(json_array_append_new(a, inval_json(lb, rs, i)));
		rs_written(rs, 1);
		rs_inval_done(rs, i);
		n++;
	}
	return (n);
}

static unsigned
take_results(struct result_store *rs, json_t *a, unsigned max)
{
	struct rs_row *r, *r2;
	unsigned n = 0, looked = 0;

	for (r = rs_row_first(rs); r != NULL && n < max; r = r2) {
		r2 = VTAILQ_NEXT(r, list);
		/* Rows of a job not described yet wait for it. */
		if (looked++ == 4 * max)
			break;
		if (r->job->lost) {
			rs_dropped(rs, 1);
			rs_row_done(rs, r);
			continue;
		}
		if (!r->job->written)
			continue;
		AZ(json_array_append_new(a, row_json(rs, r)));
		rs_written(rs, 1);
		rs_row_done(rs, r);
		n++;
	}
	return (n);
}

/* Jobs now final with nothing waiting for them may go. */
static void
forget_jobs(struct result_store *rs)
{
	struct rs_job *j, *j2;

	for (j = rs_job_first(rs); j != NULL; j = j2) {
		j2 = VTAILQ_NEXT(j, list);
		rs_forget(rs, j);
	}
}

static void
lb_push(struct link_batch *lb, json_t *b, unsigned rows)
{
	unsigned char *gz = NULL;
	char key[128];
	size_t len, gzlen;
	char *s;

	snprintf(key, sizeof key, "%s:%" PRIu64, lb->run, ++lb->seq);
	AZ(json_object_set_new(b, "batch", json_string(key)));
	AZ(json_object_set_new(b, "sent_at", json_real(VTIM_real())));
	s = json_dumps(b, JSON_COMPACT);
	AN(s);
	len = strlen(s);
	if (len > BATCH_GZIP_OVER && batch_gzip(s, len, &gz, &gzlen) == 0)
		(void)spool_push(lb->spool, key, gz, gzlen, 1, rows);
	else
		(void)spool_push(lb->spool, key, s, len, 0, rows);
	free(gz);
	free(s);
}

/*
 * The popular paths and search terms, when due, in a batch of their
 * own: a control plane older than these rows refuses the batch (400
 * unknown_field), and the agent drops it, so nothing else goes with it.
 */
static void
lb_popular(struct link_batch *lb)
{
	json_t *paths, *searches, *b;
	unsigned n;

	if (lb->traffic == NULL ||
	    !traffic_take_popular(lb->traffic, VTIM_real(), &paths, &searches))
		return;
	b = json_object();
	AN(b);
	n = 0;
	if (paths != NULL) {
		n += (unsigned)json_array_size(paths);
		AZ(json_object_set_new(b, "popular", paths));
	}
	if (searches != NULL) {
		n += (unsigned)json_array_size(searches);
		AZ(json_object_set_new(b, "searches", searches));
	}
	lb_push(lb, b, n);
	json_decref(b);
}

static void
lb_flush(void *priv, struct result_store *rs)
{
	struct link_batch *lb;
	json_t *b, *jobs, *invals, *results, *traffic;
	unsigned n, max;

	CAST_OBJ_NOTNULL(lb, priv, LINK_BATCH_MAGIC);
	max = rs_batch(rs);
	jobs = json_array();
	invals = json_array();
	results = json_array();
	AN(jobs);
	AN(invals);
	AN(results);
	n = take_jobs(rs, jobs, max);
	n += take_invals(lb, rs, invals, max);
	n += take_results(rs, results, max);
	traffic = lb->traffic != NULL ? traffic_take(lb->traffic) : NULL;
	if (traffic != NULL)
		n += (unsigned)json_array_size(traffic);
	forget_jobs(rs);
	lb_popular(lb);
	if (n == 0) {
		json_decref(jobs);
		json_decref(invals);
		json_decref(results);
		json_decref(traffic);
		return;
	}
	b = json_pack("{s:o, s:o, s:o, s:o}", "jobs", jobs, "invalidations",
	    invals, "results", results, "traffic",
	    traffic != NULL ? traffic : json_array());
	AN(b);
	lb_push(lb, b, n);
	json_decref(b);
	/* A whole batch taken: the next at once if another waits. */
	if (rs_results_waiting(rs) >= max)
		rs_kick(rs);
}

static int
lb_connected(const void *priv)
{
	(void)priv;
	/* The spool takes every batch, or says why not itself. */
	return (1);
}

static int
lb_busy(const void *priv)
{
	(void)priv;
	return (0);
}

static void
lb_fini(void *priv)
{
	struct link_batch *lb;

	CAST_OBJ_NOTNULL(lb, priv, LINK_BATCH_MAGIC);
	FREE_OBJ(lb);
}

const struct rs_writer link_batch_writer = {
	.magic = RS_WRITER_MAGIC,
	.name = "agent link",
	.flush = lb_flush,
	.connected = lb_connected,
	.busy = lb_busy,
	.fini = lb_fini,
};

void *
link_batch_new(const char *run, struct spool *spool, struct traffic *traffic)
{
	struct link_batch *lb;

	AN(run);
	AN(spool);
	ALLOC_OBJ(lb, LINK_BATCH_MAGIC);
	AN(lb);
	snprintf(lb->run, sizeof lb->run, "%s", run);
	lb->spool = spool;
	lb->traffic = traffic;
	return (lb);
}

void
link_batch_echo(void *batch, batch_echo_f *fn, void *priv)
{
	struct link_batch *lb;

	CAST_OBJ_NOTNULL(lb, batch, LINK_BATCH_MAGIC);
	lb->echo = fn;
	lb->echo_priv = priv;
}
