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
 *	     failed", "reason": text|null, "ttl": x|null, "recorded_at": t,
 *	     "headers": HEADERS|null}],
 *	 "traffic": [{"minute": t, "host": "shop.example", "hits": n,
 *	     "misses": n, "passes": n, "uncacheable": {"<reason>": n}}],
 *	 "tasks": [{"task": id, "ok": bool, "node": text|null,
 *	     "status": n|null, "load_ms": x|null, "ttfb_ms": x|null,
 *	     "cache_status": text|null, "outcome": "cached|...|failed",
 *	     "reason": text|null, "ttl": x|null, "recorded_at": t,
 *	     "headers": HEADERS|null}],
 *	 "popular": [{"hour": t, "host": "shop.example", "path": "/p/1",
 *	     "hits": n}],
 *	 "searches": [{"hour": t, "host": "shop.example", "term": "tea",
 *	     "n": n}]}
 *
 *	HEADERS, optional (an agent before it sends none, and an agent
 *	sends it only when it kept some): the answer's response headers
 *	kept (fetch/fetch_kept.h), {"Cache-Control": "public, max-age=300",
 *	"X-Varnish": "32770 8", "Set-Cookie": "session", ...}: at most 16
 *	names, each an HTTP token of 1 to 64 bytes, each value a string of
 *	at most 256 bytes (422 too_long or invalid beyond, naming
 *	"results[3].headers" or the header: "results[3].headers.Age").
 *	Set-Cookie names the cookies set, never their values.  Stored as
 *	the result's headers, which GET /api/jobs/:id/results shows.
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
 *	{"jobs", "invalidations", "results", "traffic", "tasks",
 *	"popular", "searches"}, "dropped": {"foreign_host", "unknown_job",
 *	"tasks"}}.  Batch keys are forgotten after 3 days.
 *
 *	"popular" and "searches" (additions to version 1: a control plane
 *	before them answers 400 unknown_field, so the agent sends them in
 *	a batch of their own, which is all it loses then): what the
 *	node's visitors asked for most in a UTC hour (hour: its start) of
 *	one Host, counted by the agent in bounded memory (link/popular.h)
 *	and sent every --popular-every seconds, at most 1000 and 500 rows
 *	(422 too_long beyond).  A path is a URL's path, 1 to 2048 bytes,
 *	with no query string but a search page's term
 *	("/search?search=TERM", the term as below, form-encoded); a term
 *	what a visitor searched a shop for (a search page's "search"
 *	parameter), 1 to 100 bytes, trimmed, its spaces collapsed, in
 *	lower case.  Nothing of a visitor is sent: no cookie, address,
 *	user agent, nor any other query string.  Rows of a Host that is
 *	not the website's are dropped and counted (foreign_host); the
 *	others are added to the website's daily rollups (url_popularity,
 *	search_terms_seen, by UTC day), kept 35 days: a sitemap job ranks
 *	its URLs by them after <priority> (before <lastmod>), a crawl job
 *	after depth, and a Shopware website's job warms its visitors' 10
 *	most searched terms of the last 7 days beside its search_terms.
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
 *	other is dropped (2.).  A claim may carry an Idempotency-Key
 *	header (1 to 100 visible characters): asked again with the same
 *	key, it is answered the tasks that key's claim leased, while their
 *	lease holds, beside new ones up to max, so that an answer lost on
 *	the way (the control plane restarted, the connection cut) leaves
 *	no task waiting for its lease to run out.  (A retry that overtakes
 *	its own first request, still running, does not see what that one
 *	leases: those wait for the lease.)  Tasks are not renewed: an
 *	agent claims no more than it warms within the lease.  A revoked agent's open tasks
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
#include "api_agent_batch.h"
#include "api_agent_link.h"
#include "api_input.h"
#include "api_tenant.h"

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
	[AAR_POPULAR] = "popular",
	[AAR_SEARCHES] = "searches",
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

void
api_agent_batches_post(struct api_req *r, void *priv)
{
	struct api_input_err e;
	struct agent_batch_in in;
	struct agent_batch_call *c;
	struct api_tenant *t;
	const char *err;
	int rv;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	assert(api_caller(r)->agent > 0);
	if (agent_batch_read(api_body(r), &in, &e) != 0) {
		api_input_answer(r, &e);
		return;
	}
	ALLOC_OBJ(c, AGENT_BATCH_CALL_MAGIC);
	AN(c);
	c->r = r;
	c->st = &t->agent_stats;
	rv = ags_ingest(t->pool, api_caller(r)->agent, &in.bt,
	    agent_batch_answered, c, &err);
	agent_batch_clear(&in);
	if (rv != 0) {
		FREE_OBJ(c);
		http_api_error(r, 503, NULL, NULL, "%s", err);
	}
}

/* A claim's key: what an agent makes (its run and a count) fits. */
#define CLAIM_KEY_MAX 100

static int
claim_key_ok(const char *k)
{
	size_t n;

	for (n = 0; k[n] != '\0'; n++)
		if (k[n] < 0x21 || k[n] > 0x7e)
			return (0);
	return (n >= 1 && n <= CLAIM_KEY_MAX);
}

static const struct api_field agent_claim_fields[] = {
	{ "max", AF_INT, AF_REQUIRED, 1, AGS_TASKS_MAX, NULL, NULL, NULL },
};

void
api_agent_tasks_claim_post(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	json_t *v[1];
	const char *err, *key;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	assert(api_caller(r)->agent > 0);
	if (api_input(r, agent_claim_fields, 1, v) != 0)
		return;
	key = api_header(r, "Idempotency-Key");
	if (key != NULL && !claim_key_ok(key)) {
		http_api_error(r, 400, "invalid", "Idempotency-Key",
		    "Idempotency-Key is 1 to %d visible characters, no spaces",
		    CLAIM_KEY_MAX);
		return;
	}
	if (ags_claim(t->pool, api_caller(r)->agent,
	        (unsigned)json_integer_value(v[0]), key, agent_answered, r,
	        &err) != 0)
		http_api_error(r, 503, NULL, NULL, "%s", err);
}
