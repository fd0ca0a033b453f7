/*
 * The SQL behind agent_store.h, run as the account store runs its own
 * (as_statement: one row, a verdict and the JSON), but for the
 * authenticator's lookup, which answers columns of its own.
 *
 * A batch is one statement, so one transaction: the batch's key is
 * inserted first (b), and every other write of the statement reads b,
 * so that a batch stored before (b empty) writes nothing.  Rows come as
 * JSON arrays read with json_to_recordset(), never spliced into SQL.
 * The CTEs of one statement see the same snapshot: jobs the batch
 * inserts are known to its invalidations and results through the
 * upsert's RETURNING (ju), those stored before through the table, both
 * only among the agent's website's jobs; a key is one job (row keys are
 * unique), so that results find theirs by a join, not by a scan of the
 * batch's jobs each.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "agent_store.h"
#include "agent_store_priv.h"
#include "pg_pool.h"

/* The caller's role in the project of website $2 ($1 the caller). */
#define AGS_ME                                                                 \
	"me AS (SELECT m.role FROM websites w JOIN project_members m"          \
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"          \
	"  WHERE w.id = $2::bigint)"
#define AGS_MAY_CHANGE "me.role IN ('owner', 'admin')"

/* A URL's host, as a website's base_url has it: lower case, no port. */
#define AGS_HOST(url)                                                          \
	"lower(substring(" url " from '^[a-zA-Z]+://(\\[[^]]*\\]|[^/:?#]+)'))"
/* host is the website's (site.host) or a subdomain of it. */
#define AGS_HOST_OK(host)                                                      \
	"(" host " = site.host"                                                \
	" OR right(" host ", length(site.host) + 1) = '.' || site.host)"

/*
 * A URL of the website's own host, found without the regular
 * expression, which costs a result more than its insert does: the URL
 * starts with http:// or https:// and the host (in any case), then ends
 * or goes on with a port, path, query or fragment, which is what
 * AGS_HOST() reads of it.  Not for a bracketed host, whose own ':' the
 * test would take for a port's.  Else (a subdomain, another host) it
 * is read as AGS_HOST() reads it.
 */
#define AGS_OWN_SCHEME(scheme, n)                                              \
	"(lower(left(x.url, length(site.host) + " n ")) = '" scheme            \
	"://' || site.host AND substr(x.url, length(site.host) + " n " + 1,"   \
	" 1) IN ('', '/', ':', '?', '#'))"
#define AGS_OWN_URL                                                            \
	"(strpos(site.host, '[') = 0 AND (" AGS_OWN_SCHEME("http",             \
	    "7") " OR " AGS_OWN_SCHEME("https", "8") "))"

/* The hosts the statements below compare. */
#define AGS_HOST_OF_SITE AGS_HOST("w.base_url")
#define AGS_OURS_URL                                                           \
	"CASE WHEN " AGS_OWN_URL " THEN true ELSE (SELECT " AGS_HOST_OK(       \
	    "h.host") " FROM (SELECT " AGS_HOST("x.url") " AS host) h) END"
#define AGS_OURS_TRAFFIC AGS_HOST_OK("tn.h")
#define AGS_OURS_POPULAR AGS_HOST_OK("pn.h")
#define AGS_OURS_SEARCH AGS_HOST_OK("sn.h")

/* $3 the name, $4 the prefix, $5 the hash. */
static const struct pg_stmt ags_st_create = { "ags_create",
	"WITH " AGS_ME ", verdict AS ("
	"  SELECT CASE WHEN " AGS_MAY_CHANGE " THEN 'ok' ELSE 'forbidden' END"
	"    AS status FROM me"
	"), a AS ("
	"  INSERT INTO agents (website_id, name, prefix, token_hash)"
	"  SELECT $2::bigint, $3, $4, decode($5, 'hex') FROM verdict"
	"  WHERE verdict.status = 'ok'"
	"  RETURNING *"
	") SELECT v.status, (SELECT json_build_object(" AGS_FIELDS ")::text"
	"  FROM a)"
	" FROM verdict v",
	5 };

static const struct pg_stmt ags_st_list = { "ags_list",
	"WITH " AGS_ME " SELECT 'ok', json_build_object('agents',"
	"  coalesce((SELECT json_agg(json_build_object(" AGS_FIELDS ")"
	"    ORDER BY a.id)"
	"    FROM agents a WHERE a.website_id = $2::bigint"
	"    AND a.revoked_at IS NULL), '[]'))::text"
	" FROM me",
	2 };

/* $3 the agent.  Its commands go with it: nobody will take them. */
static const struct pg_stmt ags_st_revoke = { "ags_revoke",
	"WITH " AGS_ME ", verdict AS ("
	"  SELECT CASE WHEN " AGS_MAY_CHANGE " THEN 'ok' ELSE 'forbidden' END"
	"    AS status FROM me"
	"), r AS ("
	"  UPDATE agents a SET revoked_at = now() FROM verdict v"
	"  WHERE v.status = 'ok' AND a.id = $3::bigint"
	"    AND a.website_id = $2::bigint AND a.revoked_at IS NULL"
	"  RETURNING a.id"
	"), d AS ("
	"  DELETE FROM agent_commands c USING r WHERE c.agent_id = r.id"
	") SELECT CASE"
	"  WHEN v.status = 'ok' AND NOT EXISTS (SELECT 1 FROM r)"
	"    THEN 'not_found'"
	"  ELSE v.status END, NULL::text"
	" FROM verdict v",
	3 };

/* $1 the hash.  Of a burst of requests, only the first writes. */
static const struct pg_stmt ags_st_authenticate = { "ags_authenticate",
	"WITH a AS ("
	"  SELECT id, website_id FROM agents"
	"  WHERE token_hash = decode($1, 'hex') AND revoked_at IS NULL"
	"), u AS ("
	"  UPDATE agents g SET last_seen_at = now() FROM a"
	"  WHERE g.id = a.id AND g.revoked_at IS NULL"
	"    AND (g.last_seen_at IS NULL"
	"      OR g.last_seen_at <= now() - interval '30 seconds')"
	") SELECT id, website_id FROM a",
	1 };

/* Why a job an agent's earlier run left open ended. */
#define AGS_JOB_GONE "'stoked agent stopped before it ended'"

/*
 * $1 the agent, $2 its name, $3 version, $4 node, $5 run.  A run other
 * than the one before is a new process: the jobs an earlier one left
 * open never end, and say so (AGS_JOB_MOVES).  The same run says hello
 * again when its link came back: its jobs go on.
 */
static const struct pg_stmt ags_st_hello = { "ags_hello",
	"WITH o AS ("
	"  SELECT id, run FROM agents"
	"  WHERE id = $1::bigint AND revoked_at IS NULL"
	"), a AS ("
	"  UPDATE agents SET name = $2, version = $3, node = $4, run = $5,"
	"    last_seen_at = now()"
	"  WHERE id = $1::bigint AND revoked_at IS NULL"
	"  RETURNING id, website_id"
	"), f AS ("
	"  UPDATE cache_jobs j SET status = 'failed', finished_at = now(),"
	"    error = " AGS_JOB_GONE
	"  FROM o WHERE $5 IS NOT NULL AND o.run IS DISTINCT FROM $5"
	"    AND j.runner = 'agent:' || o.id::text"
	"    AND j.status IN ('queued', 'running')"
	") SELECT 'ok', json_build_object('agent_id', a.id,"
	"  'website', agent_website(w),"
	"  'cursor', coalesce((SELECT max(c.id) FROM agent_commands c"
	"    WHERE c.agent_id = a.id), 0))::text"
	" FROM a JOIN websites w ON w.id = a.website_id",
	5 };

/*
 * $1 the agent, $2 the cursor: those up to it deleted, the next ones
 * read.  A command is its body with its id, kind and time.
 */
static const struct pg_stmt ags_st_commands = { "ags_commands",
	"WITH a AS ("
	"  SELECT id FROM agents WHERE id = $1::bigint AND revoked_at IS NULL"
	"), d AS ("
	"  DELETE FROM agent_commands c USING a"
	"  WHERE c.agent_id = a.id AND c.id <= $2::bigint"
	"), p AS ("
	"  SELECT c.* FROM agent_commands c JOIN a ON a.id = c.agent_id"
	"  WHERE c.id > $2::bigint ORDER BY c.id LIMIT $3::integer"
	") SELECT 'ok', json_build_object('commands', coalesce("
	"  (SELECT json_agg(p.body || jsonb_build_object('id', p.id,"
	"    'kind', p.kind, 'created_at', extract(epoch FROM p.created_at))"
	"    ORDER BY p.id) FROM p), '[]'),"
	"  'cursor', coalesce((SELECT max(p.id) FROM p), $2::bigint))::text"
	" FROM a",
	3 };

/*
 * $1 the agent, $2 how many, $3 the lease in seconds: its open tasks
 * (queued, or leased by an earlier claim whose lease ran out), most
 * urgent first, leased to it.  Never another agent's, never the
 * workers': the index is by agent.  A task is its URL, variant and job.
 * That it claims is recorded (claimed_at, at most every 10 s): an agent
 * that claims is given tasks (0015_agent_tasks.sql's warm_targets()).
 * As many as its project's plan allows, as a worker's claim
 * (0021_plan_quotas.sql's claim_tasks()): the rest wait for a later
 * claim.  A page to render too (as task_queue.c's claim says it:
 * 0023_render.sql) says so, with the hosts it may pull assets from:
 * the website's (base_url) and its asset_hosts.
 *
 * $4, the claim's key or NULL, is part of the lease's owner.  A claim
 * whose answer was lost (the control plane killed after the commit, a
 * connection cut) is asked again with the same key: it is answered the
 * tasks it leased, still leased, rather than leaving them to their
 * lease's end, and more up to $2.
 */
static const struct pg_stmt ags_st_claim = { "ags_claim",
	"WITH a AS ("
	"  SELECT id FROM agents WHERE id = $1::bigint AND revoked_at IS NULL"
	"), ca AS ("
	"  UPDATE agents g SET claimed_at = now() FROM a WHERE g.id = a.id"
	"    AND (g.claimed_at IS NULL"
	"      OR g.claimed_at <= now() - interval '10 seconds')"
	"), own AS ("
	"  SELECT 'agent:' || $1::bigint || coalesce(' ' || $4, '') AS o"
	"), again AS ("
	"  SELECT w.id, w.job_id, w.url, w.variant, w.attempts, w.kind,"
	"    w.lease_until, w.crawl, w.variants FROM a, own, warm_tasks w"
	"  WHERE $4 IS NOT NULL AND w.agent_id = a.id AND w.state = 'leased'"
	"    AND w.lease_owner = own.o AND w.lease_until > now()"
	"), t AS ("
	"  SELECT * FROM again UNION ALL"
	"  SELECT c.* FROM a, own, claim_tasks(own.o, $3::float8,"
	"    greatest($2::integer - (SELECT count(*) FROM again)::integer, 0),"
	"    '{}', a.id) c"
	") SELECT 'ok', json_build_object('tasks', coalesce("
	"  (SELECT json_agg(json_build_object('id', t.id, 'job', t.job_id,"
	"    'url', t.url, 'variant', t.variant, 'attempts', t.attempts,"
	"    'lease_until', extract(epoch FROM t.lease_until))::jsonb"
	"    || CASE WHEN coalesce(j.render, ws.render) AND t.kind = 'warm'"
	"      AND wt.asset_of IS NULL AND NOT wt.fragment"
	"      THEN jsonb_build_object('render', true, 'base_url', ws.base_url,"
	"        'asset_hosts', ws.asset_hosts) ELSE '{}' END ORDER BY t.id)"
	"   FROM t JOIN warm_tasks wt ON wt.id = t.id"
	"     JOIN cache_jobs j ON j.id = t.job_id"
	"     JOIN websites ws ON ws.id = j.website_id), '[]'),"
	"  'lease', $3::float8)::text"
	" FROM a",
	4 };

/*
 * An agent's jobs live in its memory: one SIGKILLed (a crash, the
 * machine lost) never writes their end.  Their runner, 'agent:' and the
 * agent's id, lets its next run's hello say they failed, as stoked run
 * does at its start (0031_agent_job_runner.sql).  A job ended never
 * opens again: a batch the killed run had spooled, sent by the next
 * run after its hello, may still say the job runs; one that says it
 * ended is the truth, and is taken.
 */
#define AGS_JOB_MOVES                                                          \
	"(c.status IN ('queued', 'running')"                                   \
	" OR (c.status <> 'cancelled'"                                         \
	"   AND EXCLUDED.status NOT IN ('queued', 'running')))"
/*
 * A batch of an earlier run (its key's first part, the run's uuid, not
 * the agent's run now) saying a job is open: that run is gone, the job
 * never ends.  Its row may not be there yet for the hello to have
 * failed it: it is stored failed.
 */
#define AGS_JOB_STALE                                                          \
	", LATERAL (SELECT a.run IS NOT NULL"                                  \
	"  AND split_part($2, ':', 1) IS DISTINCT FROM a.run"                  \
	"  AND x.status IN ('queued', 'running') AS stale) s"

/*
 * The batch: $1 the agent, $2 its key, $3 sent_at, $4 to $7 the jobs,
 * invalidations, results and traffic, $8 the tasks done, $9 and $10 the
 * popular paths and search terms; the results a column each, their keys
 * in $6 and the rest of enum ags_result_col from $11 on.
 *
 * A job of the protocol's trigger "sitemap" is a 'manual' one of the
 * schema (which has no such trigger), its source saying the rest.  A
 * job's counters are held to the table's CHECK (completed and failed
 * within the total), as result_store_write.c holds its own.  The same
 * key twice in a batch: the last one is the job (an upsert cannot touch
 * a row twice in a statement).
 */
#define AGS_JOBS_IN                                                            \
	"jn AS ("                                                              \
	"  SELECT DISTINCT ON (x.key) x.* FROM ROWS FROM ("                    \
	"    json_to_recordset($4::json) AS (key uuid, trigger text,"          \
	"      source text, status text, created_at float8,"                   \
	"      finished_at float8, urls_total integer,"                        \
	"      urls_completed integer, urls_failed integer, error text))"      \
	"    WITH ORDINALITY AS x(key, trigger, source, status, created_at,"   \
	"      finished_at, urls_total, urls_completed, urls_failed, error, "  \
	"n)"                                                                   \
	"  ORDER BY x.key, x.n DESC"                                           \
	"), ju AS ("                                                           \
	"  INSERT INTO cache_jobs AS c (row_key, website_id, trigger, source," \
	"    status, created_at, started_at, finished_at, urls_total,"         \
	"    urls_completed, urls_failed, error, runner)"                      \
	"  SELECT x.key, site.id, (CASE WHEN x.trigger = 'sitemap'"            \
	"      THEN 'manual' ELSE x.trigger END)::job_trigger,"                \
	"    x.source, CASE WHEN s.stale THEN 'failed'"                        \
	"      ELSE x.status::job_status END, to_timestamp(x.created_at),"     \
	"    to_timestamp(x.created_at), CASE WHEN s.stale THEN now()"         \
	"      ELSE to_timestamp(x.finished_at) END,"                          \
	"    greatest(x.urls_total, x.urls_completed + x.urls_failed),"        \
	"    x.urls_completed, x.urls_failed,"                                 \
	"    CASE WHEN s.stale THEN " AGS_JOB_GONE " ELSE x.error END,"        \
	"    'agent:' || b.agent_id::text"                                     \
	"  FROM a, b, site, jn x" AGS_JOB_STALE                                \
	"  ON CONFLICT (row_key) WHERE row_key IS NOT NULL DO UPDATE SET"      \
	"    status = CASE WHEN " AGS_JOB_MOVES " THEN EXCLUDED.status"        \
	"      ELSE c.status END,"                                             \
	"    finished_at = CASE WHEN " AGS_JOB_MOVES " THEN"                   \
	"      EXCLUDED.finished_at ELSE c.finished_at END,"                   \
	"    error = CASE WHEN " AGS_JOB_MOVES " THEN EXCLUDED.error"          \
	"      ELSE c.error END,"                                              \
	"    urls_total = EXCLUDED.urls_total,"                                \
	"    urls_completed = EXCLUDED.urls_completed,"                        \
	"    urls_failed = EXCLUDED.urls_failed"                               \
	"  WHERE c.website_id = EXCLUDED.website_id"                           \
	"  RETURNING c.row_key, c.id"                                          \
	")"

#define AGS_INVALS_IN(IV)                                                      \
	"ivn AS ("                                                             \
	"  SELECT * FROM json_to_recordset($5::json) AS x(key uuid,"           \
	"    job uuid, kind text, soft boolean, node text, subject text,"      \
	"    objects_dropped integer, objects_queued integer,"                 \
	"    occurred_at float8, echo boolean)"                                \
	"), rn AS ("                                                           \
	"  SELECT * FROM unnest($6::uuid[], $11::uuid[], $12::text[],"         \
	"    $13::text[], $14::text[], $15::integer[], $16::real[],"           \
	"    $17::real[], $18::text[], $19::text[], $20::text[], $21::real[]," \
	"    $22::float8[], $23::jsonb[]) AS x(key, job, url, variant, node,"  \
	"    status, load_ms, ttfb_ms, cache_status, outcome, reason, ttl,"    \
	"    recorded_at, headers)"                                            \
	"), jk AS ("                                                           \
	"  SELECT row_key, id FROM ju"                                         \
	"  UNION SELECT c.row_key, c.id FROM cache_jobs c, site"               \
	"  WHERE c.website_id = site.id AND c.row_key IN ("                    \
	"    SELECT job FROM ivn UNION SELECT job FROM rn)"                    \
	"), iv AS (" IV "), rj AS ("                                           \
	"  SELECT x.*, jk.id AS job_id, " AGS_OURS_URL " AS ours"              \
	"  FROM rn x CROSS JOIN site LEFT JOIN jk ON jk.row_key = x.job"       \
	"), rs AS ("                                                           \
	"  INSERT INTO page_results (row_key, job_id, website_id, url,"        \
	"    variant, node, status, load_ms, ttfb_ms, cache_status, outcome,"  \
	"    reason, ttl, recorded_at, headers)"                               \
	"  SELECT x.key, x.job_id, site.id, x.url, coalesce(x.variant, ''),"   \
	"    x.node, x.status, x.load_ms, x.ttfb_ms, x.cache_status,"          \
	"    x.outcome::warm_outcome, x.reason, x.ttl,"                        \
	"    to_timestamp(x.recorded_at), x.headers"                           \
	"  FROM b, site, rj x WHERE x.ours AND x.job_id IS NOT NULL"           \
	"  ON CONFLICT (row_key) WHERE row_key IS NOT NULL DO NOTHING"         \
	"  RETURNING 1"                                                        \
	")"

/*
 * The invalidations stored, or none: a batch without any leaves
 * invalidation_events alone, whose insert takes the lock that keeps
 * their ids in commit order (0010_live_events.sql) for the rest of the
 * transaction, even for no rows: every agent's batches would wait for
 * each other's.
 */
#define AGS_IV_INSERT                                                          \
	"  INSERT INTO invalidation_events (row_key, website_id, job_id,"      \
	"    kind, soft, node, subject, objects_dropped, objects_queued,"      \
	"    occurred_at)"                                                     \
	"  SELECT x.key, site.id,"                                             \
	"    (SELECT jk.id FROM jk WHERE jk.row_key = x.job LIMIT 1),"         \
	"    x.kind::invalidation_kind, coalesce(x.soft, false), x.node,"      \
	"    x.subject, coalesce(x.objects_dropped, 0),"                       \
	"    coalesce(x.objects_queued, 0), to_timestamp(x.occurred_at)"       \
	"  FROM b, site, ivn x"                                                \
	"  ON CONFLICT (row_key) WHERE row_key IS NOT NULL DO NOTHING"         \
	"  RETURNING kind, subject, row_key"
#define AGS_IV_NONE                                                            \
	"  SELECT NULL::invalidation_kind AS kind, NULL::text AS subject,"     \
	"    NULL::uuid AS row_key WHERE false"

/* Traffic summed by hour and host first: an upsert cannot touch a row
 * twice in a statement. */
#define AGS_TRAFFIC_IN                                                         \
	"tn AS ("                                                              \
	"  SELECT x.*, lower(x.host) AS h,"                                    \
	"    date_trunc('hour', to_timestamp(x.minute), 'UTC') AS hour"        \
	"  FROM json_to_recordset($7::json) AS x(minute float8, host text,"    \
	"    hits bigint, misses bigint, passes bigint, uncacheable jsonb)"    \
	"), tk AS ("                                                           \
	"  SELECT tn.* FROM tn, site WHERE " AGS_OURS_TRAFFIC "), tt AS ("     \
	"  INSERT INTO visitor_traffic AS t (website_id, hour, host, hits,"    \
	"    misses, passes)"                                                  \
	"  SELECT site.id, tk.hour, tk.h, sum(coalesce(tk.hits, 0)),"          \
	"    sum(coalesce(tk.misses, 0)), sum(coalesce(tk.passes, 0))"         \
	"  FROM b, site, tk GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"                 \
	"  ON CONFLICT (website_id, hour, host) DO UPDATE SET"                 \
	"    hits = t.hits + EXCLUDED.hits,"                                   \
	"    misses = t.misses + EXCLUDED.misses,"                             \
	"    passes = t.passes + EXCLUDED.passes"                              \
	"), tu AS ("                                                           \
	"  INSERT INTO visitor_uncacheable AS u (website_id, hour, host,"      \
	"    reason, n)"                                                       \
	"  SELECT site.id, tk.hour, tk.h, e.key, sum(e.value::bigint)"         \
	"  FROM b, site, tk,"                                                  \
	"    jsonb_each_text(coalesce(tk.uncacheable, '{}')) e"                \
	"  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"                            \
	"  ON CONFLICT (website_id, hour, host, reason) DO UPDATE SET"         \
	"    n = u.n + EXCLUDED.n"                                             \
	")"

/*
 * The popular paths ($9) and search terms ($10) of the website's hosts
 * (the others dropped, as traffic's are; a Host's port does not
 * count), summed by UTC day, then added to its rollups; a day older
 * than AGS_POPULARITY_DAYS is not added, and is deleted: the rows are
 * bounded by days without a pruner of their own.
 * The cut-off keeps the inserts and the deletes on different rows.
 */
#define AGS_POPULARITY_DAYS "35"
/* A row's Host as the website's base_url's host is compared: no port;
 * and its UTC day. */
#define AGS_POPULAR_HOST "lower(regexp_replace(x.host, ':[0-9]*$', ''))"
#define AGS_POPULAR_DAY "(to_timestamp(x.hour) AT TIME ZONE 'UTC')::date"
#define AGS_POPULAR_CUT                                                        \
	"(now() AT TIME ZONE 'UTC')::date - " AGS_POPULARITY_DAYS
#define AGS_POPULAR_IN                                                         \
	"pn AS ("                                                              \
	"  SELECT x.*, " AGS_POPULAR_HOST " AS h, " AGS_POPULAR_DAY " AS d"    \
	"  FROM json_to_recordset($9::json) AS x(hour float8, host text,"      \
	"    path text, hits bigint)"                                          \
	"), pk AS ("                                                           \
	"  SELECT pn.* FROM pn, site WHERE " AGS_OURS_POPULAR "), pu AS ("     \
	"  INSERT INTO url_popularity AS u (website_id, day, path, hits)"      \
	"  SELECT site.id, pk.d, pk.path, sum(pk.hits)"                        \
	"  FROM b, site, pk WHERE pk.d > " AGS_POPULAR_CUT                     \
	"  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"                                  \
	"  ON CONFLICT (website_id, day, path) DO UPDATE SET"                  \
	"    hits = u.hits + EXCLUDED.hits"                                    \
	"), po AS ("                                                           \
	"  DELETE FROM url_popularity o USING b, site"                         \
	"  WHERE o.website_id = site.id AND o.day <= " AGS_POPULAR_CUT         \
	"), sn AS ("                                                           \
	"  SELECT x.*, " AGS_POPULAR_HOST " AS h, " AGS_POPULAR_DAY " AS d"    \
	"  FROM json_to_recordset($10::json) AS x(hour float8, host text,"     \
	"    term text, n bigint)"                                             \
	"), sk AS ("                                                           \
	"  SELECT sn.* FROM sn, site WHERE " AGS_OURS_SEARCH "), su AS ("      \
	"  INSERT INTO search_terms_seen AS s (website_id, day, term, n)"      \
	"  SELECT site.id, sk.d, sk.term, sum(sk.n)"                           \
	"  FROM b, site, sk WHERE sk.d > " AGS_POPULAR_CUT                     \
	"  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"                                  \
	"  ON CONFLICT (website_id, day, term) DO UPDATE SET"                  \
	"    n = s.n + EXCLUDED.n"                                             \
	"), so AS ("                                                           \
	"  DELETE FROM search_terms_seen o USING b, site"                      \
	"  WHERE o.website_id = site.id AND o.day <= " AGS_POPULAR_CUT ")"
/* What a batch that carries them says it stored of them. */
#define AGS_POPULAR_STORED                                                     \
	", 'popular', (SELECT count(*) FROM pk),"                              \
	" 'searches', (SELECT count(*) FROM sk)"
/* $9 and $10 named all the same: the statements take the same
 * parameters. */
#define AGS_POPULAR_NONE                                                       \
	"pn AS (SELECT NULL::text AS h WHERE $9::text IS NULL AND false),"     \
	" pk AS (SELECT h FROM pn),"                                           \
	" sn AS (SELECT NULL::text AS h WHERE $10::text IS NULL AND false),"   \
	" sk AS (SELECT h FROM sn)"

/*
 * The agent's tasks it says are done ($8), each its one result: only
 * those still open and the agent's change (whichever of its claims did
 * it, its lease run out or not: nobody else may claim them), each once
 * however often it is said; their results are made with them and
 * their jobs counted as a worker's completion counts them
 * (task_queue.c's st_complete: the jobs' rows locked first, in order).
 * The agents of a project whose claims held tasks back for its plan
 * are told to claim again (kw, 0021_plan_quotas.sql); the workers find
 * the slot at their next look.
 *
 * A page the agent rendered (0023_render.sql) comes with its timings,
 * kept with its result, and what it pulled in (assets): those new to
 * its job become tasks of this agent's, asset_of the page, as
 * task_queue.c's st_assets makes a worker's, cut alike to the plan's
 * warm requests of today (ke to ka; the page's result says what was
 * cut, kx), the job's total raised in the same update that counts the
 * page (ku), and the agent told to claim them (kg).
 */
#define AGS_TASKS_IN                                                           \
	"kn AS ("                                                              \
	"  SELECT DISTINCT ON (x.task) x.* FROM json_to_recordset($8::json)"   \
	"    AS x(task bigint, ok boolean, node text, status integer,"         \
	"      load_ms real, ttfb_ms real, cache_status text, outcome text,"   \
	"      reason text, ttl real, recorded_at float8, headers jsonb,"      \
	"      timings jsonb, assets jsonb)"                                   \
	"  ORDER BY x.task"                                                    \
	"), kt AS ("                                                           \
	"  UPDATE warm_tasks w SET lease_until = NULL, finished_at = now(),"   \
	"    state = CASE WHEN x.ok THEN 'done'::task_state"                   \
	"      ELSE 'failed'::task_state END"                                  \
	"  FROM b, a, kn x WHERE w.id = x.task"                                \
	"    AND w.id = ANY(ARRAY(SELECT task FROM kn))"                       \
	"    AND w.agent_id = a.id AND w.state IN ('queued', 'leased')"        \
	"  RETURNING w.id, w.job_id, w.url, w.variant, w.fragment,"            \
	"    w.asset_of, x.ok"                                                 \
	"), kl AS MATERIALIZED ("                                              \
	"  SELECT id, website_id FROM cache_jobs"                              \
	"  WHERE id IN (SELECT job_id FROM kt) ORDER BY id FOR UPDATE"         \
	"), ke AS ("                                                           \
	"  SELECT DISTINCT ON (kt.job_id, e.url) kt.job_id, kt.id AS task,"    \
	"    kt.url AS page, kt.variant, e.url, e.o"                           \
	"  FROM a, kt JOIN kn x ON x.task = kt.id JOIN kl ON kl.id = "         \
	"kt.job_id,"                                                           \
	"    jsonb_array_elements_text(CASE WHEN jsonb_typeof(x.assets)"       \
	"      = 'array' THEN x.assets ELSE '[]' END) WITH ORDINALITY"         \
	"      AS e(url, o)"                                                   \
	"  WHERE kt.ok AND NOT EXISTS (SELECT 1 FROM warm_tasks o"             \
	"    WHERE o.job_id = kt.job_id AND o.url = e.url"                     \
	"      AND o.variant = kt.variant AND o.agent_id = a.id)"              \
	"  ORDER BY kt.job_id, e.url, kt.id, e.o"                              \
	"), kq AS ("                                                           \
	"  SELECT ke.job_id, count(*)::integer AS want,"                       \
	"    job_urls_today(kl.website_id, count(*)::integer, 1,"              \
	"      ARRAY[a.id]) AS kept, kl.website_id"                            \
	"  FROM ke JOIN kl ON kl.id = ke.job_id, a"                            \
	"  GROUP BY ke.job_id, kl.website_id, a.id"                            \
	"), kr AS ("                                                           \
	"  SELECT ke.*, row_number() OVER (PARTITION BY ke.job_id"             \
	"    ORDER BY ke.task, ke.o) <= kq.kept AS keep"                       \
	"  FROM ke JOIN kq ON kq.job_id = ke.job_id"                           \
	"), ka AS ("                                                           \
	"  INSERT INTO warm_tasks (job_id, url, variant, asset_of, agent_id)"  \
	"  SELECT kr.job_id, kr.url, kr.variant, kr.page, a.id"                \
	"  FROM kr, a WHERE kr.keep ORDER BY kr.job_id, kr.url"                \
	"  ON CONFLICT (job_id, url, variant, coalesce(agent_id, 0))"          \
	"  DO NOTHING"                                                         \
	"  RETURNING job_id"                                                   \
	"), kx AS ("                                                           \
	"  SELECT kr.task, count(*) AS cut,"                                   \
	"    asset_cut_note(kq.website_id, kq.kept, kq.want) AS note"          \
	"  FROM kr JOIN kq ON kq.job_id = kr.job_id WHERE NOT kr.keep"         \
	"  GROUP BY kr.task, kq.website_id, kq.kept, kq.want"                  \
	"), kp AS ("                                                           \
	"  INSERT INTO page_results (job_id, website_id, task_id, url,"        \
	"    variant, node, status, load_ms, ttfb_ms, cache_status, outcome,"  \
	"    reason, ttl, recorded_at, fragment, asset_of, headers, timings)"  \
	"  SELECT kt.job_id, kl.website_id, kt.id, kt.url, kt.variant, "       \
	"x.node,"                                                              \
	"    x.status, x.load_ms, x.ttfb_ms, x.cache_status,"                  \
	"    x.outcome::warm_outcome, x.reason, x.ttl,"                        \
	"    to_timestamp(x.recorded_at), kt.fragment, kt.asset_of,"           \
	"    x.headers,"                                                       \
	"    CASE WHEN jsonb_typeof(x.timings) <> 'object' THEN NULL"          \
	"      WHEN kx.cut > 0 THEN x.timings || jsonb_build_object("          \
	"        'assets_cut', kx.cut, 'assets_note', kx.note)"                \
	"      ELSE x.timings END"                                             \
	"  FROM kt JOIN kn x ON x.task = kt.id JOIN kl ON kl.id = kt.job_id"   \
	"    LEFT JOIN kx ON kx.task = kt.id"                                  \
	"), kc AS ("                                                           \
	"  SELECT job_id, count(*) FILTER (WHERE ok) AS ok,"                   \
	"    count(*) FILTER (WHERE NOT ok) AS bad,"                           \
	"    coalesce((SELECT count(*) FROM ka WHERE ka.job_id = kt.job_id),"  \
	"      0) AS assets"                                                   \
	"  FROM kt GROUP BY job_id"                                            \
	"), ku AS ("                                                           \
	"  UPDATE cache_jobs j SET"                                            \
	"    urls_total = j.urls_total + kc.assets,"                           \
	"    urls_completed = j.urls_completed + kc.ok,"                       \
	"    urls_failed = j.urls_failed + kc.bad,"                            \
	"    status = CASE WHEN j.status IN ('queued', 'running') AND"         \
	"      j.urls_completed + j.urls_failed + kc.ok + kc.bad"              \
	"        >= j.urls_total + kc.assets"                                  \
	"      THEN 'done'::job_status ELSE j.status END,"                     \
	"    finished_at = CASE WHEN j.status IN ('queued', 'running') AND"    \
	"      j.urls_completed + j.urls_failed + kc.ok + kc.bad"              \
	"        >= j.urls_total + kc.assets"                                  \
	"      THEN now() ELSE j.finished_at END"                              \
	"  FROM kc JOIN kl ON kl.id = kc.job_id WHERE j.id = kc.job_id"        \
	"), kw AS ("                                                           \
	"  INSERT INTO agent_commands (agent_id, kind, body)"                  \
	"  SELECT x.agent, 'tasks', jsonb_build_object('job', x.job)"          \
	"  FROM quota_waiting_agents(ARRAY(SELECT w.project_id FROM kl"        \
	"    JOIN websites w ON w.id = kl.website_id)) x"                      \
	"), kg AS ("                                                           \
	"  INSERT INTO agent_commands (agent_id, kind, body)"                  \
	"  SELECT a.id, 'tasks', jsonb_build_object('job', min(ka.job_id))"    \
	"  FROM a, ka GROUP BY a.id"                                           \
	")"

/*
 * The invalidations another node should know of, one command for each
 * other agent of the website, when it broadcasts them: tag
 * invalidations (what the shop sends one node, for all of them), not a
 * purge, which is of one node's object; never one the agent says it
 * did on the control plane's word (echo: a purge or an invalidate
 * command), which would go round the nodes for ever.  The lag: now less
 * the oldest event's time of the batch (an invalidation's, a result's),
 * else less sent_at.
 */
#define AGS_INGEST(NAME, IV, TASKS, POP, POP_STORED)                           \
	{                                                                      \
		NAME,                                                          \
		    "WITH a AS ("                                              \
		    "  SELECT id, website_id, name, run FROM agents"           \
		    "  WHERE id = $1::bigint AND revoked_at IS NULL"           \
		    "), site AS ("                                             \
		    "  SELECT w.id, " AGS_HOST_OF_SITE " AS host,"             \
		    "    w.broadcast_invalidations AS broadcast"               \
		    "  FROM websites w JOIN a ON a.website_id = w.id"          \
		    "), b AS ("                                                \
		    "  INSERT INTO agent_batches (agent_id, batch)"            \
		    "  SELECT a.id, $2 FROM a ON CONFLICT DO NOTHING"          \
		    "  RETURNING agent_id"                                     \
		    "), " AGS_JOBS_IN ", " AGS_INVALS_IN(                      \
		        IV) ", " AGS_TRAFFIC_IN ", " TASKS ", " POP            \
		            ", bc AS ("                                        \
		            "  INSERT INTO agent_commands (agent_id, kind, "   \
		            "body)"                                            \
		            "  SELECT o.id, 'invalidate', "                    \
		            "jsonb_build_object('invalidation',"               \
		            "    iv.kind,"                                     \
		            "    'subject', iv.subject, 'from_node', a.name)"  \
		            "  FROM iv JOIN ivn x ON x.key = iv.row_key,"      \
		            "    a, site, agents o"                            \
		            "  WHERE site.broadcast AND iv.kind = 'tag'"       \
		            "    AND NOT coalesce(x.echo, false)"              \
		            "    AND o.website_id = site.id AND o.id <> a.id"  \
		            "    AND o.revoked_at IS NULL"                     \
		            "  ORDER BY o.id"                                  \
		            "), t0 AS ("                                       \
		            "  SELECT least((SELECT min(occurred_at) FROM "    \
		            "ivn),"                                            \
		            "    (SELECT min(recorded_at) FROM rn)) AS t"      \
		            "), up AS ("                                       \
		            "  UPDATE agents g SET last_seen_at = now(),"      \
		            "    lag_seconds = CASE WHEN EXISTS (SELECT 1 "    \
		            "FROM b)"                                          \
		            "      THEN greatest(0, extract(epoch FROM "       \
		            "now())::float8"                                   \
		            "        - coalesce((SELECT t FROM t0), "          \
		            "$3::float8))"                                     \
		            "      ELSE g.lag_seconds END"                     \
		            "  FROM a WHERE g.id = a.id"                       \
		            "), old AS ("                                      \
		            "  DELETE FROM agent_batches o USING a WHERE "     \
		            "o.agent_id = a.id"                                \
		            "    AND o.received_at < now() - interval '3 "     \
		            "days'"                                            \
		            ") SELECT 'ok', CASE WHEN NOT EXISTS (SELECT 1 "   \
		            "FROM b)"                                          \
		            "  THEN json_build_object('batch', $2, "           \
		            "'duplicate', true)"                               \
		            "  ELSE json_build_object('batch', $2, "           \
		            "'duplicate', false,"                              \
		            "    'stored', json_build_object("                 \
		            "      'jobs', (SELECT count(*) FROM ju),"         \
		            "      'invalidations', (SELECT count(*) FROM "    \
		            "iv),"                                             \
		            "      'results', (SELECT count(*) FROM rs),"      \
		            "      'traffic', (SELECT count(*) FROM tk),"      \
		            "      'tasks', (SELECT count(*) FROM "            \
		            "kt)" POP_STORED "),"                              \
		            "    'dropped', json_build_object("                \
		            "      'foreign_host', (SELECT count(*) FROM rj "  \
		            "WHERE NOT rj.ours)"                               \
		            "        + (SELECT count(*) FROM tn) - (SELECT "   \
		            "count(*) FROM tk)"                                \
		            "        + (SELECT count(*) FROM pn) - (SELECT "   \
		            "count(*) FROM pk)"                                \
		            "        + (SELECT count(*) FROM sn) - (SELECT "   \
		            "count(*) FROM sk),"                               \
		            "      'unknown_job', (SELECT count(*) FROM rj"    \
		            "        WHERE rj.ours AND rj.job_id IS NULL),"    \
		            "      'tasks', (SELECT count(*) FROM kn)"         \
		            "        - (SELECT count(*) FROM kt))) END::text"  \
		            " FROM a",                                         \
		    10 + AGS_RESULT_COLS - 1                                   \
	}

/* $8 named all the same: the statements take the same parameters. */
#define AGS_TASKS_NONE                                                         \
	"kn AS (SELECT NULL::bigint AS task WHERE $8::text IS NULL AND "       \
	"false),"                                                              \
	" kt AS (SELECT NULL::bigint AS id WHERE false)"

/*
 * [invalidations][tasks][popular]: what a batch does not carry is left
 * out of its statement, so that no trigger of an empty insert runs
 * (each insert into page_results, rows or not, rolls its results up),
 * and the popular rollups are not looked at once a second per agent.
 */
static const struct pg_stmt ags_st_ingest[2][2][2] = {
	{ { AGS_INGEST("ags_ingest", AGS_IV_NONE, AGS_TASKS_NONE,
	        AGS_POPULAR_NONE, ""),
	      AGS_INGEST("ags_ingest_p", AGS_IV_NONE, AGS_TASKS_NONE,
	          AGS_POPULAR_IN, AGS_POPULAR_STORED) },
	    { AGS_INGEST("ags_ingest_k", AGS_IV_NONE, AGS_TASKS_IN,
	          AGS_POPULAR_NONE, ""),
	        AGS_INGEST("ags_ingest_kp", AGS_IV_NONE, AGS_TASKS_IN,
	            AGS_POPULAR_IN, AGS_POPULAR_STORED) } },
	{ { AGS_INGEST("ags_ingest_i", AGS_IV_INSERT, AGS_TASKS_NONE,
	        AGS_POPULAR_NONE, ""),
	      AGS_INGEST("ags_ingest_ip", AGS_IV_INSERT, AGS_TASKS_NONE,
	          AGS_POPULAR_IN, AGS_POPULAR_STORED) },
	    { AGS_INGEST("ags_ingest_ik", AGS_IV_INSERT, AGS_TASKS_IN,
	          AGS_POPULAR_NONE, ""),
	        AGS_INGEST("ags_ingest_ikp", AGS_IV_INSERT, AGS_TASKS_IN,
	            AGS_POPULAR_IN, AGS_POPULAR_STORED) } },
};

/*--------------------------------------------------------------------
 * Parameters
 */

#define AGS_ID_LEN 24
#define AGS_HEX_LEN (2 * API_KEY_HASH_LEN + 1)

static void
ags_id(char *buf, int64_t id)
{
	snprintf(buf, AGS_ID_LEN, "%" PRId64, id);
}

static void
ags_hex(char *buf, const uint8_t hash[API_KEY_HASH_LEN])
{
	size_t i;

	for (i = 0; i < API_KEY_HASH_LEN; i++)
		snprintf(buf + 2 * i, 3, "%02x", hash[i]);
}

/*--------------------------------------------------------------------
 * A tenant's
 */

int
ags_create(struct pg_pool *pool, int64_t user, int64_t website,
    const char *name, const char *prefix, const uint8_t hash[API_KEY_HASH_LEN],
    as_done_f *cb, void *priv, const char **err)
{
	char u[AGS_ID_LEN], w[AGS_ID_LEN], h[AGS_HEX_LEN];
	const char *v[5] = { u, w, name, prefix, h };

	AN(name);
	AN(prefix);
	AN(hash);
	ags_id(u, user);
	ags_id(w, website);
	ags_hex(h, hash);
	return (as_statement(pool, &ags_st_create, v, cb, priv, err));
}

int
ags_list(struct pg_pool *pool, int64_t user, int64_t website, as_done_f *cb,
    void *priv, const char **err)
{
	char u[AGS_ID_LEN], w[AGS_ID_LEN];
	const char *v[2] = { u, w };

	ags_id(u, user);
	ags_id(w, website);
	return (as_statement(pool, &ags_st_list, v, cb, priv, err));
}

int
ags_revoke(struct pg_pool *pool, int64_t user, int64_t website, int64_t agent,
    as_done_f *cb, void *priv, const char **err)
{
	char u[AGS_ID_LEN], w[AGS_ID_LEN], a[AGS_ID_LEN];
	const char *v[3] = { u, w, a };

	ags_id(u, user);
	ags_id(w, website);
	ags_id(a, agent);
	return (as_statement(pool, &ags_st_revoke, v, cb, priv, err));
}

/*--------------------------------------------------------------------
 * The authenticator's lookup
 */

struct ags_call {
	unsigned magic;
#define AGS_CALL_MAGIC 0xa9e47ca1
	ags_auth_f *cb;
	void *priv;
};

static void
ags_found(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct ags_call *c;
	struct ags_agent a;

	CAST_OBJ_NOTNULL(c, priv, AGS_CALL_MAGIC);
	if (err != NULL) {
		c->cb(c->priv, AS_ERROR, NULL, err);
	} else if (PQntuples(r) == 0) {
		c->cb(c->priv, AS_NOT_FOUND, NULL, NULL);
	} else {
		assert(PQntuples(r) == 1 && PQnfields(r) == 2);
		memset(&a, 0, sizeof a);
		a.id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		a.website = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		assert(a.id > 0 && a.website > 0);
		c->cb(c->priv, AS_OK, &a, NULL);
	}
	FREE_OBJ(c);
}

int
ags_authenticate(struct pg_pool *pool, const uint8_t hash[API_KEY_HASH_LEN],
    ags_auth_f *cb, void *priv, const char **err)
{
	struct ags_call *c;
	char h[AGS_HEX_LEN];
	const char *v[1] = { h };

	AN(pool);
	AN(hash);
	AN(cb);
	AN(err);
	ags_hex(h, hash);
	ALLOC_OBJ(c, AGS_CALL_MAGIC);
	AN(c);
	c->cb = cb;
	c->priv = priv;
	if (pg_pool_ask(pool, &ags_st_authenticate, v, ags_found, c, err) !=
	    0) {
		FREE_OBJ(c);
		return (-1);
	}
	return (0);
}

/*--------------------------------------------------------------------
 * An agent's
 */

int
ags_hello(struct pg_pool *pool, int64_t agent, const char *name,
    const char *version, const char *node, const char *run, as_done_f *cb,
    void *priv, const char **err)
{
	char a[AGS_ID_LEN];
	const char *v[5] = { a, name, version, node, run };

	AN(name);
	ags_id(a, agent);
	return (as_statement(pool, &ags_st_hello, v, cb, priv, err));
}

int
ags_ingest(struct pg_pool *pool, int64_t agent, const struct ags_batch *bt,
    as_done_f *cb, void *priv, const char **err)
{
	char a[AGS_ID_LEN], t[32];
	const char *v[10 + AGS_RESULT_COLS - 1];
	unsigned u;

	AN(bt);
	AN(bt->tasks);
	AN(bt->key);
	AN(bt->jobs);
	AN(bt->invalidations);
	for (u = 0; u < AGS_RESULT_COLS; u++)
		AN(bt->results[u]);
	AN(bt->traffic);
	AN(bt->popular);
	AN(bt->searches);
	ags_id(a, agent);
	snprintf(t, sizeof t, "%.6f", bt->sent_at);
	v[0] = a;
	v[1] = bt->key;
	v[2] = t;
	v[3] = bt->jobs;
	v[4] = bt->invalidations;
	v[5] = bt->results[AGS_RC_KEY];
	v[6] = bt->traffic;
	v[7] = bt->tasks;
	v[8] = bt->popular;
	v[9] = bt->searches;
	/* The results' other columns from $11 on. */
	for (u = 1; u < AGS_RESULT_COLS; u++)
		v[9 + u] = bt->results[u];
	return (as_statement(pool,
	    &ags_st_ingest[bt->ninvalidations > 0][bt->ntasks > 0]
	                  [bt->npopular > 0],
	    v, cb, priv, err));
}

int
ags_commands(struct pg_pool *pool, int64_t agent, int64_t after, as_done_f *cb,
    void *priv, const char **err)
{
	char a[AGS_ID_LEN], c[AGS_ID_LEN], n[AGS_ID_LEN];
	const char *v[3] = { a, c, n };

	assert(after >= 0);
	ags_id(a, agent);
	ags_id(c, after);
	ags_id(n, AGS_COMMANDS_MAX);
	return (as_statement(pool, &ags_st_commands, v, cb, priv, err));
}

int
ags_claim(struct pg_pool *pool, int64_t agent, unsigned max, const char *key,
    as_done_f *cb, void *priv, const char **err)
{
	char a[AGS_ID_LEN], n[AGS_ID_LEN], l[AGS_ID_LEN];
	const char *v[4] = { a, n, l, key };

	assert(max >= 1 && max <= AGS_TASKS_MAX);
	ags_id(a, agent);
	ags_id(n, max);
	ags_id(l, AGS_TASK_LEASE);
	return (as_statement(pool, &ags_st_claim, v, cb, priv, err));
}
