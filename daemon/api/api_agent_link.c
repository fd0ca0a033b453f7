/*
 * What a website's agent calls, and the protocol it speaks with the
 * control plane (version 1).  This comment is the protocol's document:
 * keep it true to what is served.
 *
 * `stoked agent` (beside a tenant's varnishd) talks to the control plane
 * (`stoked serve`, also `stoked run`'s tenant API) over HTTP/1.1,
 * always connecting OUT (no inbound port on the tenant's side).  JSON
 * bodies.  Times are seconds since the epoch as JSON numbers (float).
 * All paths are under /api/agent/v1/; openapi.json describes each.
 *
 * Credentials
 *
 *	An agent token is "sta_" and 40 base62 characters (api_key.h).
 *	A tenant makes one: POST /api/websites/:id/agents {"name"}
 *	(owner/admin) -> 201 {"id", "website_id", "name", "prefix",
 *	"created_at", "last_seen_at": null, "version": null, "node": null,
 *	"lag_seconds": null, "token"}, the only time the token is shown;
 *	stored as SHA-256 and prefix.  GET /api/websites/:id/agents ->
 *	{"agents": [...]} (any member; never the token nor its hash;
 *	revoked agents are not listed).  DELETE
 *	/api/websites/:id/agents/:agent_id (owner/admin) -> 204: revoked
 *	at once on every replica, its waiting commands deleted; a second
 *	DELETE is 404.
 *
 *	Every agent request: "Authorization: Bearer sta_...".  Unknown or
 *	revoked -> 401 {"error": {"code": "invalid_agent_token"}}; a
 *	user's token or an API key on these routes too.  An agent's token
 *	on any other route -> 401 invalid_token.  A token is bound to ONE
 *	website: what an agent sends is stored under that website, what it
 *	receives is that website's.  Nothing in a request names a website.
 *
 * 1. POST /api/agent/v1/hello
 *
 *	{"name": "node-a", "version": "0.x.y", "node":
 *	"http://127.0.0.1:6081", "run": "<uuid of this agent process run>"}
 *	(name required, the others may be null or absent; nothing else).
 *	-> 200 {"agent_id", "website": WEBSITE, "cursor"}, WEBSITE {"id",
 *	"base_url", "concurrency", "rate_limit", "variants",
 *	"variant_inputs", "broadcast_invalidations", "version"} (version: an
 *	integer that grows on every change of those settings), cursor the
 *	id of the agent's newest command already there (0: none): the agent
 *	starts AFTER it, so commands made before it said hello are not
 *	replayed, unless it sends a cursor it saved (--state-dir) as
 *	"after".  Name, version, node, run and last_seen_at are recorded on
 *	the agent's row.
 *
 * 2. POST /api/agent/v1/batches
 *
 *	Content-Type: application/json; Content-Encoding: gzip allowed
 *	(the agent sends gzip over 1 KiB).  Limits: 1 MiB as sent (read
 *	before anyone is known, for every route alike) and 16 MiB inflated
 *	(413 too_large beyond, the inflating stopped there: a zip bomb
 *	costs no more), 5000 rows of each kind (422 too_long).  A
 *	stream that is not one whole gzip member is 400 bad_gzip.
 *
 *	{"batch": "<run uuid>:<seq>",	unique per agent, 1 to 200 bytes
 *	 "sent_at": 1796600000.123,
 *	 "jobs": [{"key": uuid, "trigger": "purge|ban|tag|expiry|manual|
 *	     sitemap|schedule", "source": text|null,
 *	     "status": "queued|running|done|failed|cancelled",
 *	     "created_at": t, "finished_at": t|null, "urls_total": n,
 *	     "urls_completed": n, "urls_failed": n, "error": text|null}],
 *	 "invalidations": [{"key": uuid, "job": uuid|null,
 *	     "kind": "purge|ban|tag", "soft": bool, "node": text|null,
 *	     "subject": text, "objects_dropped": n, "objects_queued": n,
 *	     "occurred_at": t, "echo": bool}],
 *	 "results": [{"key": uuid, "job": uuid, "url": "http://host/path",
 *	     "variant": "", "node": text|null, "status": n|null,
 *	     "load_ms": x|null, "ttfb_ms": x|null, "cache_status": text|null,
 *	     "outcome": "cached|fresh|uncacheable|origin_error|timeout|
 *	     failed", "reason": text|null, "ttl": x|null, "recorded_at": t}],
 *	 "traffic": [{"minute": t, "host": "shop.example", "hits": n,
 *	     "misses": n, "passes": n, "uncacheable": {"<reason>": n}}],
 *	 "tasks": [{"task": id, "ok": bool, "node": text|null,
 *	     "status": n|null, "load_ms": x|null, "ttfb_ms": x|null,
 *	     "cache_status": text|null, "outcome": "cached|...|failed",
 *	     "reason": text|null, "ttl": x|null, "recorded_at": t}]}
 *
 *	Every array may be absent or empty.  A field not listed, a value of
 *	another type, an unknown enum value, a time not from 0 to 1e11:
 *	422 (400 unknown_field at the top), naming the field
 *	("results[3].outcome"), and nothing is stored.  Rows are what
 *	`stoked run`'s result store writes (store/result_store*.c); the same
 *	job may come again in later batches with new counters and status
 *	(an upsert by key).  Trigger "sitemap" is stored as 'manual' (the
 *	schema has no such trigger; the job's source says the sitemap).
 *
 *	A batch is stored in ONE statement (agent_store.c): if (agent,
 *	batch) was stored before -> 200 {"batch", "duplicate": true} and
 *	nothing else is written; else jobs upserted by key (a key that is
 *	another website's job is left alone, and not counted), invalidations
 *	and results inserted unless their key is there (ON CONFLICT DO
 *	NOTHING), their job found by its key among the website's jobs (an
 *	invalidation's unknown job: stored with none; a result's: dropped
 *	and counted), results whose URL's host is not the website's (or a
 *	subdomain of it) dropped and counted, as are traffic rows of such a
 *	Host; traffic added to the website's hourly rollup (visitor_traffic,
 *	visitor_uncacheable: by UTC hour and Host); the agent's
 *	last_seen_at and lag_seconds (now less the oldest invalidation's or
 *	result's time in the batch, else less sent_at) updated.  Each of
 *	"tasks" is a task the agent claimed (4.) and warmed, with its one
 *	result (its URL, variant and job are the task's): it is done (ok)
 *	or failed, its result stored as a page_results row of its job, and
 *	its job counted (and done when all its tasks are), as a stoked
 *	worker's completion counts, only if it is this agent's and still
 *	open; any other, or one done already (by an earlier batch, or
 *	twice in this one), is dropped and counted: a task is completed
 *	once, whichever of the agent's claims of it warmed it, its lease
 *	run out or not.  -> 200 {"batch", "duplicate": false, "stored":
 *	{"jobs", "invalidations", "results", "traffic", "tasks"},
 *	"dropped": {"foreign_host", "unknown_job", "tasks"}}.  Batch keys
 *	are forgotten after 3 days.
 *
 *	The agent deletes a batch from its spool only on a 200; a 4xx other
 *	than 401 and 429 means the batch is bad: it logs and drops it
 *	(never retries it forever); 401: stop sending, hello again with
 *	backoff (the token may have been revoked: say so loudly);
 *	429/5xx/network: the same batch again (same key) with backoff.  It
 *	sends batches one at a time, in order (the next after the previous
 *	one's 200).
 *
 * 3. GET /api/agent/v1/commands?after=<cursor>&wait=<seconds, 0..30>
 *
 *	A long poll (api_agent_poll.c): answered at once if the agent has
 *	commands of id > after (after: 0 if absent; wait: 0 if absent),
 *	else held up to wait seconds, woken by a NOTIFY when a command is
 *	made for this agent, on whichever replica holds the poll; then
 *	{"commands": [], "cursor": after}.  A held answer is sent chunked:
 *	its status and headers when it is held, its body when it ends.  At
 *	most one poll of an agent is held per replica: its next ends the
 *	one before (answered empty).  A poll held when the replica stops is
 *	cut with its connection; the agent polls again.
 *
 *	-> 200 {"commands": [COMMAND...], "cursor": <id of the last command
 *	returned, or after>}, at most 100 commands.  The next poll's after
 *	acknowledges everything up to it: those commands are deleted.
 *
 *	COMMAND is {"id": n, "kind": "...", "created_at": t, ...}:
 *	- "purge": {"urls": ["http://host/path", ...], "tags": [...],
 *	  "hard": bool, "purge_id": uuid}: PURGE each URL on the node (Host:
 *	  the URL's host), and for tags what the website's VCL takes
 *	  (fetch/purger.c, vcl/shopware6.vcl: PURGE / with xkey or
 *	  xkey-hard); what it dropped and re-warmed comes back in batches.
 *	  One per agent of the website for POST /api/websites/:id/purge,
 *	  beside the purges the API sends itself to the website's
 *	  varnish_nodes, if it has any.
 *	- "settings": {"website": WEBSITE}: apply without a restart.  One
 *	  per agent whenever the website's settings change (a trigger of
 *	  0014_agents.sql, whoever changes them).
 *	- "invalidate": {"invalidation": "tag"|"purge", "subject": "...",
 *	  "from_node": "<agent name>"}: another node of the website saw this
 *	  invalidation; do the same here.  (The first draft of the protocol
 *	  named it "kind", which is the command's own: a COMMAND would have
 *	  held two.)  Made by a batch's ingest for each OTHER agent of the
 *	  website, of a tag invalidation only, only when its
 *	  broadcast_invalidations is on, never back to the agent it came
 *	  from, and never of one the agent marked "echo": what it did on
 *	  the control plane's word (a purge or invalidate command), which
 *	  would otherwise go round the nodes for ever.
 *	- "tasks": {"job": n}: tasks of that job were queued for this
 *	  agent: claim them (4.) now rather than at the next idle claim.
 *	Kinds an agent does not know are skipped with a warning, so that a
 *	newer control plane works with an older agent.
 *
 * 4. POST /api/agent/v1/tasks/claim
 *
 *	{"max": n} (1 to 100) -> 200 {"tasks": [{"id", "job", "url",
 *	"variant", "attempts", "lease_until"}], "lease": 120}: up to n of
 *	the agent's open tasks, most urgent first, leased to it for lease
 *	seconds ([] when none).  An agent that takes tasks claims at least
 *	every 30 s while it has room, [] or not.  A job (a URL list or a
 *	sitemap) of a website with agents gets one task per URL, variant
 *	and agent that claimed in the last two minutes, beside the stoked
 *	workers' (which
 *	warm the website's varnish_nodes, if it has any: without, and with
 *	agents at work, there is none); its urls_total counts them all.
 *	Each is warmed by its agent on its own node, from inside the
 *	tenant's network: a signed warm request for url in variant (its
 *	inputs as the website's variant_inputs say), its verdict from the
 *	node's log, within the website's concurrency to the origin.  A
 *	task is only ever its agent's: no other agent and no stoked worker
 *	claims it.  One whose lease ran out (the agent stopped, or the
 *	link was down) is claimed again by the same agent; if an earlier
 *	claim of it is reported as well, the first report counts, the
 *	other is dropped (2.).  Tasks are not renewed: an agent claims no
 *	more than it warms within the lease.  A revoked agent's open tasks
 *	fail at once, so that their jobs end; an agent away for good
 *	leaves its tasks queued until it comes back or is revoked.  An
 *	older agent never claims, so it is given none.
 */

#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/log.h"
#include "store/agent_store.h"
#include "api_agent_link.h"
#include "api_input.h"
#include "api_tenant.h"

/* A time the database takes: after 1970, before the year 5000. */
#define AGENT_TIME_MAX 1e11
#define AGENT_URL_MAX 8192
#define AGENT_TEXT_MAX 65536
#define AGENT_INT_MAX 2147483647LL
/* Traffic counters: bigint, summed; well within it. */
#define AGENT_COUNT_MAX 1000000000000LL

/*--------------------------------------------------------------------
 * What a batch's rows may be
 */

enum agent_ftype {
	AGF_UUID,
	AGF_TEXT, /* max: bytes */
	AGF_INT, /* min, max */
	AGF_NUMBER, /* min, max */
	AGF_TIME, /* seconds since the epoch */
	AGF_BOOL,
	AGF_COUNTS, /* {"reason": n, ...} */
};

#define AGF_REQUIRED 1U
#define AGF_NULLABLE 2U

struct agent_field {
	const char *name;
	enum agent_ftype type;
	unsigned flags;
	long long min, max;
	const char *const *one_of; /* a text's values; NULL: any */
};

static const char *const agent_triggers[] = { "purge", "ban", "tag", "expiry",
	"manual", "sitemap", "schedule", NULL };
static const char *const agent_statuses[] = { "queued", "running", "done",
	"failed", "cancelled", NULL };
static const char *const agent_kinds[] = { "purge", "ban", "tag", NULL };
static const char *const agent_outcomes[] = { "cached", "fresh", "uncacheable",
	"origin_error", "timeout", "failed", NULL };

#define R AGF_REQUIRED
#define N AGF_NULLABLE

static const struct agent_field agent_job_fields[] = {
	{ "key", AGF_UUID, R, 0, 0, NULL },
	{ "trigger", AGF_TEXT, R, 0, 16, agent_triggers },
	{ "source", AGF_TEXT, N, 0, AGENT_TEXT_MAX, NULL },
	{ "status", AGF_TEXT, R, 0, 16, agent_statuses },
	{ "created_at", AGF_TIME, R, 0, 0, NULL },
	{ "finished_at", AGF_TIME, N, 0, 0, NULL },
	{ "urls_total", AGF_INT, R, 0, AGENT_INT_MAX, NULL },
	{ "urls_completed", AGF_INT, R, 0, AGENT_INT_MAX, NULL },
	{ "urls_failed", AGF_INT, R, 0, AGENT_INT_MAX, NULL },
	{ "error", AGF_TEXT, N, 0, AGENT_TEXT_MAX, NULL },
};

static const struct agent_field agent_inval_fields[] = {
	{ "key", AGF_UUID, R, 0, 0, NULL },
	{ "job", AGF_UUID, N, 0, 0, NULL },
	{ "kind", AGF_TEXT, R, 0, 16, agent_kinds },
	{ "soft", AGF_BOOL, 0, 0, 0, NULL },
	{ "node", AGF_TEXT, N, 0, AGENT_URL_MAX, NULL },
	{ "subject", AGF_TEXT, R, 0, AGENT_TEXT_MAX, NULL },
	{ "objects_dropped", AGF_INT, 0, 0, AGENT_INT_MAX, NULL },
	{ "objects_queued", AGF_INT, 0, 0, AGENT_INT_MAX, NULL },
	{ "occurred_at", AGF_TIME, R, 0, 0, NULL },
	{ "echo", AGF_BOOL, 0, 0, 0, NULL },
};

static const struct agent_field agent_result_fields[] = {
	{ "key", AGF_UUID, R, 0, 0, NULL },
	{ "job", AGF_UUID, R, 0, 0, NULL },
	{ "url", AGF_TEXT, R, 1, AGENT_URL_MAX, NULL },
	{ "variant", AGF_TEXT, 0, 0, AGENT_TEXT_MAX, NULL },
	{ "node", AGF_TEXT, N, 0, AGENT_URL_MAX, NULL },
	{ "status", AGF_INT, N, 0, 999, NULL },
	{ "load_ms", AGF_NUMBER, N, 0, 1000000000, NULL },
	{ "ttfb_ms", AGF_NUMBER, N, 0, 1000000000, NULL },
	{ "cache_status", AGF_TEXT, N, 0, 32, NULL },
	{ "outcome", AGF_TEXT, R, 0, 16, agent_outcomes },
	{ "reason", AGF_TEXT, N, 0, AGENT_TEXT_MAX, NULL },
	{ "ttl", AGF_NUMBER, N, -1000000000, 1000000000, NULL },
	{ "recorded_at", AGF_TIME, R, 0, 0, NULL },
};

/* A task of the agent's done: its one result, its URL, variant and job
 * the task's. */
static const struct agent_field agent_task_fields[] = {
	{ "task", AGF_INT, R, 1, INT64_MAX, NULL },
	{ "ok", AGF_BOOL, R, 0, 0, NULL },
	{ "node", AGF_TEXT, N, 0, AGENT_URL_MAX, NULL },
	{ "status", AGF_INT, N, 0, 999, NULL },
	{ "load_ms", AGF_NUMBER, N, 0, 1000000000, NULL },
	{ "ttfb_ms", AGF_NUMBER, N, 0, 1000000000, NULL },
	{ "cache_status", AGF_TEXT, N, 0, 32, NULL },
	{ "outcome", AGF_TEXT, R, 0, 16, agent_outcomes },
	{ "reason", AGF_TEXT, N, 0, AGENT_TEXT_MAX, NULL },
	{ "ttl", AGF_NUMBER, N, -1000000000, 1000000000, NULL },
	{ "recorded_at", AGF_TIME, R, 0, 0, NULL },
};

static const struct agent_field agent_traffic_fields[] = {
	{ "minute", AGF_TIME, R, 0, 0, NULL },
	{ "host", AGF_TEXT, R, 1, 255, NULL },
	{ "hits", AGF_INT, R, 0, AGENT_COUNT_MAX, NULL },
	{ "misses", AGF_INT, R, 0, AGENT_COUNT_MAX, NULL },
	{ "passes", AGF_INT, R, 0, AGENT_COUNT_MAX, NULL },
	{ "uncacheable", AGF_COUNTS, 0, 0, AGENT_COUNT_MAX, NULL },
};

#undef R
#undef N

struct agent_rows {
	const char *name;
	const struct agent_field *field;
	unsigned nfield;
};

#define AGENT_ROWS(name, f)                                                    \
	{                                                                      \
		name, f, sizeof f / sizeof f[0]                                \
	}

/* In the order of struct ags_batch's arrays. */
static const struct agent_rows agent_rows[] = {
	AGENT_ROWS("jobs", agent_job_fields),
	AGENT_ROWS("invalidations", agent_inval_fields),
	AGENT_ROWS("results", agent_result_fields),
	AGENT_ROWS("traffic", agent_traffic_fields),
	AGENT_ROWS("tasks", agent_task_fields),
};
#define AGENT_NROWS (sizeof agent_rows / sizeof agent_rows[0])

/* 8-4-4-4-12 hex digits. */
static int
agent_is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return (0);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL) {
			return (0);
		}
	}
	return (1);
}

static int
agent_text(struct api_req *r, const struct agent_field *f, json_t *v,
    const char *path)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	unsigned i;

	if (strlen(s) != len) {
		http_api_error(r, 422, "invalid", path,
		    "%s must not hold a NUL character", path);
		return (-1);
	}
	if (f->type == AGF_UUID) {
		if (agent_is_uuid(s))
			return (0);
		http_api_error(r, 422, "invalid", path, "%s must be a uuid",
		    path);
		return (-1);
	}
	if ((long long)len < f->min || (long long)len > f->max) {
		http_api_error(r, 422, len > 0 ? "too_long" : "required", path,
		    "%s must hold %lld to %lld bytes", path, f->min, f->max);
		return (-1);
	}
	if (f->one_of == NULL)
		return (0);
	for (i = 0; f->one_of[i] != NULL; i++)
		if (!strcmp(s, f->one_of[i]))
			return (0);
	http_api_error(r, 422, "invalid", path,
	    "%s: '%.32s' is not one of %s%s", path, s, f->one_of[0],
	    i > 1 ? ", ..." : "");
	return (-1);
}

static int
agent_number(struct api_req *r, const struct agent_field *f, double x,
    const char *path)
{
	double min = (double)f->min, max = (double)f->max;

	if (f->type == AGF_TIME) {
		min = 0;
		max = AGENT_TIME_MAX;
	}
	if (isfinite(x) && x >= min && x <= max)
		return (0);
	http_api_error(r, 422, "out_of_range", path,
	    "%s must be from %.0f to %.0f", path, min, max);
	return (-1);
}

static int
agent_counts(struct api_req *r, const struct agent_field *f, json_t *v,
    const char *path)
{
	char sub[256];
	const char *k;
	json_t *n;

	if (json_object_size(v) > 64) {
		http_api_error(r, 422, "too_long", path,
		    "%s holds 64 reasons at most", path);
		return (-1);
	}
	json_object_foreach(v, k, n)
	{
		snprintf(sub, sizeof sub, "%.160s.%.64s", path, k);
		if (strlen(k) == 0 || strlen(k) > 64) {
			http_api_error(r, 422, "invalid", sub,
			    "%s: a reason is 1 to 64 bytes", sub);
			return (-1);
		}
		if (!json_is_integer(n)) {
			http_api_error(r, 422, "invalid", sub,
			    "%s must be a whole number", sub);
			return (-1);
		}
		if (agent_number(r, f, (double)json_integer_value(n), sub) != 0)
			return (-1);
	}
	return (0);
}

/* One value, not null. */
static int
agent_value(struct api_req *r, const struct agent_field *f, json_t *v,
    const char *path)
{
	static const char *const want[] = {
		[AGF_UUID] = "a uuid",
		[AGF_TEXT] = "a string",
		[AGF_INT] = "a whole number",
		[AGF_NUMBER] = "a number",
		[AGF_TIME] = "a time, seconds since the epoch",
		[AGF_BOOL] = "true or false",
		[AGF_COUNTS] = "an object of counts",
	};

	switch (f->type) {
	case AGF_UUID:
	case AGF_TEXT:
		if (json_is_string(v))
			return (agent_text(r, f, v, path));
		break;
	case AGF_INT:
		if (json_is_integer(v))
			return (agent_number(r, f,
			    (double)json_integer_value(v), path));
		break;
	case AGF_NUMBER:
	case AGF_TIME:
		if (json_is_number(v))
			return (agent_number(r, f, json_number_value(v), path));
		break;
	case AGF_BOOL:
		if (json_is_boolean(v))
			return (0);
		break;
	case AGF_COUNTS:
		if (json_is_object(v))
			return (agent_counts(r, f, v, path));
		break;
	default:
		WRONG("agent field type");
	}
	http_api_error(r, 422, "invalid", path, "%s must be %s", path,
	    want[f->type]);
	return (-1);
}

/* One row: each field known, each required one there. */
static int
agent_row(struct api_req *r, const struct agent_rows *rw, json_t *row, size_t i)
{
	char path[256];
	const char *k;
	json_t *v;
	unsigned u;

	snprintf(path, sizeof path, "%s[%zu]", rw->name, i);
	if (!json_is_object(row)) {
		http_api_error(r, 422, "invalid", path, "%s must be an object",
		    path);
		return (-1);
	}
	json_object_foreach(row, k, v)
	{
		for (u = 0; u < rw->nfield; u++)
			if (!strcmp(k, rw->field[u].name))
				break;
		snprintf(path, sizeof path, "%s[%zu].%.64s", rw->name, i, k);
		if (u == rw->nfield) {
			http_api_error(r, 422, "unknown_field", path,
			    "unknown field %s", path);
			return (-1);
		}
		if (json_is_null(v) && (rw->field[u].flags & AGF_NULLABLE))
			continue;
		if (json_is_null(v)) {
			http_api_error(r, 422, "invalid", path,
			    "%s may not be null", path);
			return (-1);
		}
		if (agent_value(r, &rw->field[u], v, path) != 0)
			return (-1);
	}
	for (u = 0; u < rw->nfield; u++) {
		if (!(rw->field[u].flags & AGF_REQUIRED) ||
		    json_object_get(row, rw->field[u].name) != NULL)
			continue;
		snprintf(path, sizeof path, "%s[%zu].%s", rw->name, i,
		    rw->field[u].name);
		http_api_error(r, 422, "required", path, "%s is required",
		    path);
		return (-1);
	}
	return (0);
}

/*--------------------------------------------------------------------
 * The routes
 */

static const struct api_field agent_hello_fields[] = {
	{ "name", AF_STRING, AF_REQUIRED, 1, 200, NULL, NULL, NULL },
	{ "version", AF_STRING, AF_NULLABLE, 0, 64, NULL, NULL, NULL },
	{ "node", AF_STRING, AF_NULLABLE, 0, AGENT_URL_MAX, NULL, NULL, NULL },
	{ "run", AF_STRING, AF_NULLABLE, 0, 64, NULL, NULL, NULL },
};
#define AGENT_HELLO_NFIELDS                                                    \
	(sizeof agent_hello_fields / sizeof agent_hello_fields[0])

/* What the store said, as an agent is answered: a revoked agent (since
 * its token was checked) is the same 401. */
static void
agent_answered(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_req *r = api_req_cast(priv);

	switch (st) {
	case AS_OK:
		AN(json);
		http_api_reply_text(r, 200, json);
		return;
	case AS_NOT_FOUND:
		http_api_error(r, 401, "invalid_agent_token", NULL,
		    "no such agent token, or it was revoked");
		return;
	default:
		log_warning("api", "an agent's request: %s",
		    err != NULL ? err : "?");
		http_api_error(r, 503, NULL, NULL,
		    "the database did not answer; try again");
		return;
	}
}

void
api_agent_hello_post(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	json_t *v[AGENT_HELLO_NFIELDS];
	const char *err;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	assert(api_caller(r)->agent > 0);
	if (api_input(r, agent_hello_fields, AGENT_HELLO_NFIELDS, v) != 0)
		return;
	if (ags_hello(t->pool, api_caller(r)->agent, json_string_value(v[0]),
	        api_input_str(v[1]), api_input_str(v[2]), api_input_str(v[3]),
	        agent_answered, r, &err) != 0)
		http_api_error(r, 503, NULL, NULL, "%s", err);
}

/*--------------------------------------------------------------------
 * A batch stored, counted for /metrics
 */

struct agent_batch_call {
	unsigned magic;
#define AGENT_BATCH_CALL_MAGIC 0xa9e7b0c1
	struct api_req *r;
	struct api_agent_stats *st;
};

static const char *const agent_rows_kind[AAR__MAX] = {
	[AAR_JOBS] = "jobs",
	[AAR_INVALIDATIONS] = "invalidations",
	[AAR_RESULTS] = "results",
	[AAR_TRAFFIC] = "traffic",
	[AAR_TASKS] = "tasks",
};

/* The store's answer says what it stored: {"duplicate", "stored"}. */
static void
agent_batch_count(struct api_agent_stats *st, const char *json)
{
	json_t *doc, *stored;
	unsigned u;

	doc = json_loads(json, 0, NULL);
	if (doc == NULL)
		return;
	if (json_is_true(json_object_get(doc, "duplicate"))) {
		st->duplicate++;
	} else {
		st->stored++;
		stored = json_object_get(doc, "stored");
		for (u = 0; u < AAR__MAX; u++)
			st->rows[u] += (uint64_t)json_integer_value(
			    json_object_get(stored, agent_rows_kind[u]));
	}
	json_decref(doc);
}

static void
agent_batch_answered(void *priv, enum as_status st, const char *json,
    const char *err)
{
	struct agent_batch_call *c;
	struct api_req *r;

	CAST_OBJ_NOTNULL(c, priv, AGENT_BATCH_CALL_MAGIC);
	r = c->r;
	if (st == AS_OK) {
		AN(json);
		agent_batch_count(c->st, json);
	}
	FREE_OBJ(c);
	agent_answered(r, st, json, err);
}

void
api_agent_link_metrics(void *priv, struct metrics *m)
{
	struct api_tenant *t;
	unsigned u;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	metrics_u64(m, M_API_AGENT_BATCHES, t->agent_stats.stored, "outcome",
	    "stored", NULL);
	metrics_u64(m, M_API_AGENT_BATCHES, t->agent_stats.duplicate, "outcome",
	    "duplicate", NULL);
	for (u = 0; u < AAR__MAX; u++)
		metrics_u64(m, M_API_AGENT_ROWS, t->agent_stats.rows[u], "kind",
		    agent_rows_kind[u], NULL);
}

/* A batch's fields: its key and time, then agent_rows[]'s. */
static const char *const agent_batch_fields[] = { "batch", "sent_at", "jobs",
	"invalidations", "results", "traffic", "tasks" };
#define AGENT_BATCH_NFIELDS                                                    \
	(sizeof agent_batch_fields / sizeof agent_batch_fields[0])

/* The rows of one kind checked, as JSON for the store ("[]" when
 * absent); NULL once answered. */
static char *
agent_rows_json(struct api_req *r, const struct agent_rows *rw, json_t *a)
{
	char *s;
	size_t i;
	json_t *row;

	if (a == NULL) {
		s = strdup("[]");
		AN(s);
		return (s);
	}
	if (!json_is_array(a)) {
		http_api_error(r, 422, "invalid", rw->name,
		    "%s must be an array", rw->name);
		return (NULL);
	}
	if (json_array_size(a) > AGENT_BATCH_ROWS_MAX) {
		http_api_error(r, 422, "too_long", rw->name,
		    "%s must hold at most %d rows: send a batch more often",
		    rw->name, AGENT_BATCH_ROWS_MAX);
		return (NULL);
	}
	json_array_foreach(a, i, row)
	{
		if (agent_row(r, rw, row, i) != 0)
			return (NULL);
	}
	s = json_dumps(a, JSON_COMPACT);
	AN(s);
	return (s);
}

void
api_agent_batches_post(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct agent_batch_call *c;
	struct ags_batch bt;
	json_t *body, *v;
	char *rows[AGENT_NROWS];
	const char *err, *k;
	unsigned u, n = 0;
	int rv;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	assert(api_caller(r)->agent > 0);
	body = api_body(r);
	/* Not api_input(): its array items are all of one type. */
	json_object_foreach(body, k, v)
	{
		for (u = 0; u < AGENT_BATCH_NFIELDS; u++)
			if (!strcmp(k, agent_batch_fields[u]))
				break;
		if (u == AGENT_BATCH_NFIELDS) {
			http_api_error(r, 400, "unknown_field", k,
			    "unknown field '%.64s': a batch has batch, "
			    "sent_at, jobs, invalidations, results, traffic, "
			    "tasks",
			    k);
			return;
		}
	}
	v = json_object_get(body, "batch");
	if (v == NULL || !json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > 200 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		http_api_error(r, 422, v == NULL ? "required" : "invalid",
		    "batch", "batch is its key: 1 to 200 bytes, a string");
		return;
	}
	v = json_object_get(body, "sent_at");
	if (v == NULL || !json_is_number(v) ||
	    !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
	    json_number_value(v) > AGENT_TIME_MAX) {
		http_api_error(r, 422, v == NULL ? "required" : "invalid",
		    "sent_at", "sent_at is a time, seconds since the epoch");
		return;
	}
	memset(&bt, 0, sizeof bt);
	bt.key = json_string_value(json_object_get(body, "batch"));
	bt.sent_at = json_number_value(v);
	for (n = 0; n < AGENT_NROWS; n++) {
		rows[n] = agent_rows_json(r, &agent_rows[n],
		    json_object_get(body, agent_rows[n].name));
		if (rows[n] == NULL)
			break;
	}
	if (n < AGENT_NROWS) {
		for (u = 0; u < n; u++)
			free(rows[u]);
		return;
	}
	bt.jobs = rows[0];
	bt.invalidations = rows[1];
	bt.results = rows[2];
	bt.traffic = rows[3];
	bt.tasks = rows[4];
	bt.ninvalidations =
	    json_array_size(json_object_get(body, "invalidations"));
	bt.ntasks = json_array_size(json_object_get(body, "tasks"));
	ALLOC_OBJ(c, AGENT_BATCH_CALL_MAGIC);
	AN(c);
	c->r = r;
	c->st = &t->agent_stats;
	rv = ags_ingest(t->pool, api_caller(r)->agent, &bt,
	    agent_batch_answered, c, &err);
	for (u = 0; u < AGENT_NROWS; u++)
		free(rows[u]);
	if (rv != 0) {
		FREE_OBJ(c);
		http_api_error(r, 503, NULL, NULL, "%s", err);
	}
}

static const struct api_field agent_claim_fields[] = {
	{ "max", AF_INT, AF_REQUIRED, 1, AGS_TASKS_MAX, NULL, NULL, NULL },
};

void
api_agent_tasks_claim_post(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	json_t *v[1];
	const char *err;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	assert(api_caller(r)->agent > 0);
	if (api_input(r, agent_claim_fields, 1, v) != 0)
		return;
	if (ags_claim(t->pool, api_caller(r)->agent,
	        (unsigned)json_integer_value(v[0]), agent_answered, r,
	        &err) != 0)
		http_api_error(r, 503, NULL, NULL, "%s", err);
}
