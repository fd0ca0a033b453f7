/*
 * What the statements about tenants' jobs share (tjob_store.c, and the
 * event streams' event_store.c): a job and a result as JSON, so that a
 * job read by a stream is the job the API answers, field for field.
 * The SQL names the job j and the result r.
 */

#ifndef STOKE_TJOB_STORE_PRIV_H
#define STOKE_TJOB_STORE_PRIV_H

#define TJ_FIELDS                                                              \
	"'id', j.id, 'website_id', j.website_id, 'status', j.status,"          \
	" 'trigger', j.trigger, 'source', j.source,"                           \
	" 'urls_total', j.urls_total, 'urls_completed', j.urls_completed,"     \
	" 'urls_failed', j.urls_failed, 'error', j.error,"                     \
	" 'created_at', j.created_at, 'started_at', j.started_at,"             \
	" 'finished_at', j.finished_at, 'notes', j.notes,"                     \
	" 'rate', " TJ_RATE ","                                                \
	" 'eta_seconds', CASE WHEN " TJ_RATE " > 0 THEN"                       \
	"  (j.urls_total - j.urls_completed - j.urls_failed) / " TJ_RATE       \
	"  END"
/* URLs a second since it started, while it runs. */
#define TJ_RATE                                                                \
	"(CASE WHEN j.status = 'running' AND j.started_at IS NOT NULL THEN"    \
	"  (j.urls_completed + j.urls_failed)::float8 / greatest(extract("     \
	"  epoch FROM clock_timestamp() - j.started_at)::float8, 0.001) END)"

#define TJ_RESULT_FIELDS                                                       \
	"'id', r.id, 'url', r.url, 'variant', r.variant, 'node', r.node,"      \
	" 'status', r.status, 'load_ms', r.load_ms, 'ttfb_ms', r.ttfb_ms,"     \
	" 'cache_status', r.cache_status, 'outcome', r.outcome,"               \
	" 'reason', r.reason, 'ttl', r.ttl, 'recorded_at', r.recorded_at"

#endif
