/*
 * The SQL behind purge_store.h, run as the account store runs its own
 * (as_statement: one row, a verdict and the JSON).
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "vdef.h"
#include "vas.h"

#include "pg_pool.h"
#include "purge_store.h"

/* The caller's role in the project of website $2 ($1 the caller). */
#define PURGE_ME                                                               \
	"me AS (SELECT m.role FROM websites w JOIN project_members m"          \
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"          \
	"  WHERE w.id = $2::bigint)"
#define PURGE_MAY "me.role IN ('owner', 'admin')"

static const struct pg_stmt purge_st_website = { "purge_website",
	"SELECT CASE WHEN m.role IN ('owner', 'admin') THEN 'ok'"
	"  ELSE 'forbidden' END,"
	" json_build_object('base_url', w.base_url,"
	"  'cache_type', w.cache_type, 'variants', w.variants,"
	"  'varnish_nodes', w.varnish_nodes,"
	"  'agents', (SELECT count(*) FROM agents a WHERE a.website_id = w.id"
	"    AND a.revoked_at IS NULL))::text"
	" FROM websites w JOIN project_members m"
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"
	" WHERE w.id = $2::bigint",
	2 };

/*
 * The job and the events in one statement: the events of URLs name the
 * job, whose row the same statement makes (foreign keys are checked at
 * its end).  $3 the URLs to re-warm, $4 the events, $5 the purge the
 * website's agents are to do on their nodes: one command each, which
 * its insert NOTIFYs (0014_agents.sql).
 */
static const struct pg_stmt purge_st_record = { "purge_record",
	"WITH " PURGE_ME ", ok AS ("
	"  SELECT 1 FROM me WHERE " PURGE_MAY "), j AS ("
	"  INSERT INTO cache_jobs (website_id, trigger, source)"
	"  SELECT $2::bigint, 'purge', 'urls' FROM ok"
	"  WHERE $3::integer > 0"
	"  RETURNING id"
	"), e AS ("
	"  INSERT INTO invalidation_events (website_id, kind, soft, node,"
	"    subject, objects_dropped, job_id)"
	"  SELECT $2::bigint, x.kind::invalidation_kind,"
	"    coalesce(x.soft, false), x.node, x.subject,"
	"    coalesce(x.dropped, 0),"
	"    CASE WHEN x.kind = 'purge' THEN (SELECT id FROM j) END"
	"  FROM ok, jsonb_to_recordset($4::jsonb) AS x(kind text,"
	"    soft boolean, node text, subject text, dropped integer)"
	"  RETURNING 1"
	"), c AS ("
	"  INSERT INTO agent_commands (agent_id, kind, body)"
	"  SELECT a.id, 'purge', $5::jsonb || jsonb_build_object('purge_id',"
	"    gen_random_uuid())"
	"  FROM ok, agents a WHERE a.website_id = $2::bigint"
	"    AND a.revoked_at IS NULL"
	"  ORDER BY a.id"
	"  RETURNING agent_id"
	") SELECT CASE WHEN " PURGE_MAY " THEN 'ok' ELSE 'forbidden' END,"
	" json_build_object('job_id', (SELECT id FROM j),"
	"  'events', (SELECT count(*) FROM e),"
	"  'agents', coalesce((SELECT json_agg(a.name ORDER BY a.id)"
	"    FROM c JOIN agents a ON a.id = c.agent_id), '[]'))::text"
	" FROM me",
	5 };

#define PURGE_ID_LEN 24

int
purge_website(struct pg_pool *pool, int64_t user, int64_t website,
    as_done_f *cb, void *priv, const char **err)
{
	char u[PURGE_ID_LEN], w[PURGE_ID_LEN];
	const char *v[2] = { u, w };

	snprintf(u, sizeof u, "%" PRId64, user);
	snprintf(w, sizeof w, "%" PRId64, website);
	return (as_statement(pool, &purge_st_website, v, cb, priv, err));
}

int
purge_record(struct pg_pool *pool, int64_t user, int64_t website,
    unsigned rewarm, const char *events, const char *command, as_done_f *cb,
    void *priv, const char **err)
{
	char u[PURGE_ID_LEN], w[PURGE_ID_LEN], n[PURGE_ID_LEN];
	const char *v[5] = { u, w, n, events, command };

	AN(events);
	AN(command);
	snprintf(u, sizeof u, "%" PRId64, user);
	snprintf(w, sizeof w, "%" PRId64, website);
	snprintf(n, sizeof n, "%u", rewarm);
	return (as_statement(pool, &purge_st_record, v, cb, priv, err));
}
