/*
 * The SQL behind event_store.h, run as the account store runs its own
 * (as_statement: one row, a verdict and the JSON).
 *
 * Each statement reads in one snapshot: a job's counters and its
 * results are those of one moment, so that once a job is seen ended,
 * the results read with it are all it has (a worker records them and
 * counts them in one statement; only a cancelled job's results may come
 * after its end).  Rows are read one more than asked, as pages are
 * (tjob_store.c), to say whether more follow.
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "vdef.h"
#include "vas.h"
#include "vsb.h"

#include "event_store.h"
#include "pg_array.h"
#include "pg_pool.h"
#include "tjob_store_priv.h"

#define ES_ID_LEN 24

/* The caller may read it, with this token: $1 the caller, $3 its jti. */
#define ES_MEMBER                                                              \
	" JOIN project_members m"                                              \
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"          \
	" WHERE NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $3)"

/* $2 the job, $4 the result to read after, $5 the limit. */
static const struct pg_stmt es_st_job = { "es_job",
	"WITH me AS ("
	"  SELECT j.* FROM cache_jobs j"
	"  JOIN websites w ON w.id = j.website_id" ES_MEMBER
	"  AND j.id = $2::bigint"
	"), p AS ("
	"  SELECT r.* FROM page_results r"
	"  WHERE r.job_id = $2::bigint AND r.id > $4::bigint"
	"    AND EXISTS (SELECT 1 FROM me)"
	"  ORDER BY r.id LIMIT $5::integer + 1"
	"), n AS ("
	"  SELECT row_number() OVER (ORDER BY id) AS rn, * FROM p"
	") SELECT 'ok', json_build_object("
	"  'job', json_build_object(" TJ_FIELDS "),"
	"  'results', coalesce((SELECT json_agg(json_build_object("
	"    " TJ_RESULT_FIELDS ") ORDER BY r.id)"
	"    FROM n r WHERE r.rn <= $5::integer), '[]'),"
	"  'more', EXISTS (SELECT 1 FROM n WHERE rn > $5::integer))::text"
	" FROM me j",
	5 };

/*
 * $2 the website, $4 the invalidation to read after (-1: none), $5 the
 * job above which all are read (-1: none), $6 the jobs tracked, $7 the
 * limit.
 */
static const struct pg_stmt es_st_website = { "es_website",
	"WITH me AS ("
	"  SELECT w.id FROM websites w" ES_MEMBER " AND w.id = $2::bigint"
	"), js AS ("
	"  SELECT j.* FROM cache_jobs j, me WHERE j.website_id = $2::bigint"
	"    AND (j.status IN ('queued', 'running')"
	"      OR j.id = ANY($6::bigint[])"
	"      OR ($5::bigint >= 0 AND j.id > $5::bigint))"
	"), p AS ("
	"  SELECT e.* FROM invalidation_events e, me"
	"  WHERE e.website_id = $2::bigint AND $4::bigint >= 0"
	"    AND e.id > $4::bigint"
	"  ORDER BY e.id LIMIT $7::integer + 1"
	"), n AS ("
	"  SELECT row_number() OVER (ORDER BY id) AS rn, * FROM p"
	") SELECT 'ok', json_build_object("
	"  'jobs', coalesce((SELECT json_agg(json_build_object(" TJ_FIELDS
	"    ) ORDER BY j.id) FROM js j), '[]'),"
	"  'last_job', (SELECT max(id) FROM cache_jobs"
	"    WHERE website_id = $2::bigint),"
	"  'invalidations', coalesce((SELECT json_agg(json_build_object("
	"    'id', e.id, 'kind', e.kind, 'soft', e.soft, 'node', e.node,"
	"    'subject', e.subject, 'objects_dropped', e.objects_dropped,"
	"    'objects_queued', e.objects_queued, 'job_id', e.job_id,"
	"    'occurred_at', e.occurred_at) ORDER BY e.id) FROM n e"
	"    WHERE e.rn <= $7::integer), '[]'),"
	"  'last_invalidation', (SELECT max(id) FROM invalidation_events"
	"    WHERE website_id = $2::bigint),"
	"  'more', EXISTS (SELECT 1 FROM n WHERE rn > $7::integer))::text"
	" FROM me",
	7 };

/* $1 the users, $2 their tokens' jti, $3 the websites. */
static const struct pg_stmt es_st_check = { "es_check",
	"SELECT 'ok', coalesce(json_agg(s.i - 1 ORDER BY s.i), '[]')::text"
	" FROM unnest($1::bigint[], $2::text[], $3::bigint[])"
	"  WITH ORDINALITY AS s(u, jti, w, i)"
	" WHERE NOT EXISTS (SELECT 1 FROM websites w JOIN project_members m"
	"   ON m.project_id = w.project_id AND m.user_id = s.u"
	"   WHERE w.id = s.w)"
	"  OR EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = s.jti)",
	3 };

static void
es_id(char *buf, int64_t id)
{
	snprintf(buf, ES_ID_LEN, "%" PRId64, id);
}

/* A positive id, all of the rest of s, or of s up to a space. */
static const char *
es_payload_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (*s < '1' || *s > '9')
		return (NULL);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || (*end != '\0' && *end != ' '))
		return (NULL);
	*id = v;
	return (end);
}

int
es_payload(const char *payload, int64_t *website, int64_t *job)
{
	const char *p;

	AN(website);
	AN(job);
	if (payload == NULL || payload[0] == '\0' || payload[1] != ' ')
		return (-1);
	p = es_payload_id(payload + 2, website);
	if (p == NULL)
		return (-1);
	switch (payload[0]) {
	case 'i':
		*job = 0;
		return (*p == '\0' ? 0 : -1);
	case 'j':
		if (*p != ' ')
			return (-1);
		p = es_payload_id(p + 1, job);
		return (p != NULL && *p == '\0' ? 0 : -1);
	default:
		return (-1);
	}
}

int
es_job(struct pg_pool *pool, int64_t user, const char *jti, int64_t job,
    int64_t after, unsigned limit, as_done_f *cb, void *priv, const char **err)
{
	char u[ES_ID_LEN], j[ES_ID_LEN], a[ES_ID_LEN], l[ES_ID_LEN];
	const char *v[5] = { u, j, jti, a, l };

	AN(jti);
	assert(after >= 0);
	assert(limit > 0);
	es_id(u, user);
	es_id(j, job);
	es_id(a, after);
	snprintf(l, sizeof l, "%u", limit);
	return (as_statement(pool, &es_st_job, v, cb, priv, err));
}

int
es_website(struct pg_pool *pool, int64_t user, const char *jti, int64_t website,
    const struct es_website_at *at, as_done_f *cb, void *priv, const char **err)
{
	char u[ES_ID_LEN], w[ES_ID_LEN], a[ES_ID_LEN], b[ES_ID_LEN];
	char l[ES_ID_LEN];
	const char *v[7];
	struct vsb *t;
	unsigned i;
	int rv;

	AN(jti);
	AN(at);
	assert(at->after >= -1);
	assert(at->above_job >= -1);
	assert(at->ntracked == 0 || at->tracked != NULL);
	assert(at->limit > 0);
	es_id(u, user);
	es_id(w, website);
	es_id(a, at->after);
	es_id(b, at->above_job);
	snprintf(l, sizeof l, "%u", at->limit);
	t = pg_array_new();
	for (i = 0; i < at->ntracked; i++)
		pg_array_int(t, at->tracked[i]);
	pg_array_end(t);
	v[0] = u;
	v[1] = w;
	v[2] = jti;
	v[3] = a;
	v[4] = b;
	v[5] = VSB_data(t);
	v[6] = l;
	/* The values are copied by the pool. */
	rv = as_statement(pool, &es_st_website, v, cb, priv, err);
	VSB_destroy(&t);
	return (rv);
}

int
es_check(struct pg_pool *pool, unsigned n, const int64_t *user,
    const char *const *jti, const int64_t *website, as_done_f *cb, void *priv,
    const char **err)
{
	struct vsb *a[3];
	const char *v[3];
	unsigned i;
	int rv;

	assert(n > 0);
	AN(user);
	AN(jti);
	AN(website);
	for (i = 0; i < 3; i++)
		a[i] = pg_array_new();
	for (i = 0; i < n; i++) {
		pg_array_int(a[0], user[i]);
		pg_array_text(a[1], jti[i]);
		pg_array_int(a[2], website[i]);
	}
	for (i = 0; i < 3; i++) {
		pg_array_end(a[i]);
		v[i] = VSB_data(a[i]);
	}
	rv = as_statement(pool, &es_st_check, v, cb, priv, err);
	for (i = 0; i < 3; i++)
		VSB_destroy(&a[i]);
	return (rv);
}
