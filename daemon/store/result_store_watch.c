/*
 * result_store: what the job table and the instances tell the store,
 * through their watch hooks.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "node/instance.h"
#include "sitemap/sitemap_jobs.h"
#include "warm/rewarm.h"
#include "warm/warm_batch.h"
#include "result_store_priv.h"

/* A sitemap job's key: its id with this bit set, apart from w_key()'s. */
#define SJ_KEY (UINT64_C(1) << 62)

/*--------------------------------------------------------------------
 * What the job table says
 */

static void
on_job(void *priv, enum sj_event e, const struct sj_info *i,
    const struct wb_result *r)
{
	struct result_store *rs;
	struct rs_job *j;
	char *host;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	if (e == SJ_STARTED) {
		j = rs_job_get(rs, SJ_KEY | i->id);
		host = rs_host_of(i->sitemap);
		rs_describe(rs, j, i->trigger, host, i->sitemap);
		free(host);
		j->created = i->created;
	} else {
		j = rs_job_find(rs, SJ_KEY | i->id);
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
		rs_add_result(rs, j, r, NULL, NULL);
	} else if (e == SJ_ENDED) {
		j->ended = 1;
		j->version++;
		if (i->error != NULL && j->error == NULL)
			j->error = rs_clean_dup(i->error);
		if (i->error != NULL && j->total == 0) {
			j->status = "failed";
			j->finished = VTIM_real();
		}
		rs_maybe_done(j);
		rs_forget(rs, j);
	}
}

void
rs_watch_jobs(struct result_store *rs, struct sj_conf *jc)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	AN(jc);
	jc->watch = on_job;
	jc->watch_priv = rs;
}

/*--------------------------------------------------------------------
 * What the instances say
 */

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
	j = rs_job_get(rs, ++rs->next_key);
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
	j = rs_job_get(rs, key);
	if (iv != NULL) {
		/* The invalidation kinds are triggers too. */
		rs_describe(rs, j, iv->kind, host, iv->subject);
		j->created = iv->t;
		j->total += n;
		j->ended = 1;
		j->version++;
		rs_add_inval(rs, j, iv, node);
		rs_maybe_done(j);
		rs_forget(rs, j);
		return;
	}
	if (!j->described) {
		t = (time_t)(j->hour * 3600);
		(void)gmtime_r(&t, &tm);
		strftime(source, sizeof source,
		    "refreshed before expiry, %Y-%m-%d %H:00 UTC", &tm);
		rs_describe(rs, j, "expiry", host, source);
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
	j = rs_job_get(rs, rr->key);
	rs_add_result(rs, j, &rr->r, rr->host, rr->variant);
	rs_maybe_done(j);
	rs_forget(rs, j);
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
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	instance_set_watch(inst, &watch, rs);
}
