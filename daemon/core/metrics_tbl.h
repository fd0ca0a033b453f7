/*
 * Every metric stoked serves at /metrics, in the order it lists them:
 * the pipeline's, from the log to the database.  One row a metric:
 *
 *	METRIC(ID, name, type, help)
 *
 * ID names it in C (M_ID), type is COUNTER, GAUGE, SUMMARY or HISTOGRAM
 * (core/metrics.h metrics_hist), help is
 * the line Prometheus shows.  Labels are the caller's: "instance" (a
 * varnishd, as -n names it), "origin" (a Host), and what a row says.
 * Included with METRIC defined; no include guard, on purpose.
 */

/* vsl/: reading each varnishd's log */
METRIC(VSL_ATTACHED, "stoke_vsl_attached", GAUGE,
    "1 while the instance's shared memory log is attached, else 0")
METRIC(VSL_GROUPS, "stoke_vsl_groups_total", COUNTER,
    "Request groups read from the log")
METRIC(VSL_TRANSACTIONS, "stoke_vsl_transactions_total", COUNTER,
    "Transactions read from the log")
METRIC(VSL_OVERRUNS, "stoke_vsl_overruns_total", COUNTER,
    "Times varnishd overwrote log not yet read; stoked resynced")
METRIC(VSL_ABANDONS, "stoke_vsl_abandons_total", COUNTER,
    "Times the log was abandoned by varnishd; stoked resynced")
METRIC(VSL_RECONNECTS, "stoke_vsl_reconnects_total", COUNTER,
    "Times stoked opened the log again: after an overrun, an abandon or a "
    "restart of varnishd")
METRIC(VSL_WAKES, "stoke_vsl_wakes_total", COUNTER,
    "Times the VCL rang the doorbell (stoke.doorbell()) and the log was "
    "read at once")
METRIC(VSL_TXN_DROPPED, "stoke_vsl_transactions_dropped_total", COUNTER,
    "Transactions left out: more in one request group than stoked keeps")
METRIC(VSL_INCOMPLETE, "stoke_vsl_groups_incomplete_total", COUNTER,
    "Request groups read before all their transactions ended: open too "
    "long, too many open, or the log lost under them")
METRIC(VSL_TRUNCATED, "stoke_vsl_strings_dropped_total", COUNTER,
    "Strings of a transaction (headers, tag lists) not kept because its "
    "transactions held too much text already: tags may be missing")
METRIC(VSL_ORPHANS, "stoke_vsl_transactions_orphaned_total", COUNTER,
    "Transactions never read as part of a request: its beginning was not "
    "in the log read, or varnishd went away with them")
METRIC(RECORDS_BAD, "stoke_records_bad_total", COUNTER,
    "vmod_stoke records that could not be parsed")
METRIC(EVENTS, "stoke_events_total", COUNTER,
    "Events the log gave, by type (hit, miss, fetch, purge, ban, ...)")

/* index/: what each varnishd has cached */
METRIC(INDEX_OBJECTS, "stoke_index_objects", GAUGE, "Objects in the index")
METRIC(INDEX_BYTES, "stoke_index_bytes", GAUGE, "Memory the index takes")
METRIC(INDEX_KEY_BYTES, "stoke_index_key_bytes", GAUGE,
    "Of the index's memory, its strings: host, URL, variant, header names "
    "and values")
METRIC(INDEX_TAGS, "stoke_index_tags", GAUGE, "Distinct tags in the index")
METRIC(INDEX_EVICTIONS, "stoke_index_evictions_total", COUNTER,
    "Objects evicted to keep the index within --index-mb")
METRIC(INDEX_NUKED, "stoke_index_nuked_total", COUNTER,
    "Objects dropped from the index because Varnish evicted them for space "
    "(LRU nukes, seen only with varnishd -p vsl_mask=+ExpKill)")
METRIC(INDEX_EXPIRATIONS, "stoke_index_expirations_total", COUNTER,
    "Objects dropped from the index when their TTL, grace and keep ended")
METRIC(INDEX_RESETS, "stoke_index_resets_total", COUNTER,
    "Times the index was emptied because varnishd or its cache child "
    "restarted, losing the cache; it is learned again from the log")
METRIC(INDEX_INVALIDATED, "stoke_index_invalidated_total", COUNTER,
    "Objects a purge, ban or tag invalidation dropped (hard) or made "
    "stale (soft)")
METRIC(INDEX_LEARNED, "stoke_index_learned_from_hits_total", COUNTER,
    "Objects learned from a hit, cached before stoked saw them fetched")
METRIC(BAN_ERRORS, "stoke_ban_errors_total", COUNTER,
    "Ban expressions the index could not evaluate")

/* warm/: re-warming what was lost */
METRIC(REWARM_QUEUED, "stoke_rewarm_queued_total", COUNTER,
    "Objects queued to be fetched again")
METRIC(REWARM_EXPIRING, "stoke_rewarm_expiring_total", COUNTER,
    "Of those queued, popular objects refreshed before their TTL ends")
METRIC(REWARM_DUPLICATES, "stoke_rewarm_duplicates_total", COUNTER,
    "Objects not queued: already queued or in flight")
METRIC(REWARM_DROPPED, "stoke_rewarm_dropped_total", COUNTER,
    "Objects not queued: the queue was full")
METRIC(REWARM_UNREPLAYABLE, "stoke_rewarm_unreplayable_total", COUNTER,
    "Variants not queued: where their inputs come from is not known yet")
METRIC(REWARM_REFRESHED, "stoke_rewarm_refreshed_total", COUNTER,
    "Re-warms that fetched the object afresh and cached it again, "
    "unverified ones included")
METRIC(REWARM_NOT_WARM, "stoke_rewarm_not_warm_total", COUNTER,
    "Re-warms served from cache, not taken as warm requests")
METRIC(REWARM_RECACHED, "stoke_rewarm_recached_total", COUNTER,
    "Re-warms not fetched: cached again by another fetch while queued")
METRIC(REWARM_FAILED, "stoke_rewarm_failed_total", COUNTER,
    "Re-warms that failed every try: no answer, or an error status")
METRIC(REWARM_UNCACHEABLE, "stoke_rewarm_uncacheable_total", COUNTER,
    "Re-warms fetched that Varnish did not keep, as its log says")
METRIC(REWARM_UNVERIFIED, "stoke_rewarm_unverified_total", COUNTER,
    "Re-warms whose transaction the log did not show in time")
METRIC(REWARM_QUEUE_LENGTH, "stoke_rewarm_queue_length", GAUGE,
    "Objects waiting to be re-warmed")
METRIC(REWARM_INFLIGHT, "stoke_rewarm_inflight", GAUGE, "Re-warms in flight")
METRIC(REWARM_LATENCY, "stoke_rewarm_latency_seconds", SUMMARY,
    "From the invalidation to the object cached again, lately")
METRIC(VERIFY_MATCHED, "stoke_verify_matched_total", COUNTER,
    "Warm requests matched with their own transaction in the log")
METRIC(VERIFY_UNMATCHED, "stoke_verify_unmatched_total", COUNTER,
    "Warm requests whose transaction the log did not show in time")

/* fetch/: what the origin guard allows each origin */
METRIC(ORIGIN_LIMIT, "stoke_origin_limit", GAUGE,
    "Fetches the guard allows in flight to the origin now")
METRIC(ORIGIN_INFLIGHT, "stoke_origin_inflight", GAUGE,
    "Fetches in flight to the origin")
METRIC(ORIGIN_INFLIGHT_MAX, "stoke_origin_inflight_max", GAUGE,
    "The most fetches in flight to the origin at once")
METRIC(ORIGIN_OPEN, "stoke_origin_open", GAUGE,
    "1 while the origin's circuit breaker is open or probing, else 0")
METRIC(ORIGIN_PAUSED, "stoke_origin_paused", GAUGE,
    "1 while fetches to the origin are held back, by its Retry-After or "
    "its open breaker's cooldown, else 0")
METRIC(ORIGIN_LATENCY, "stoke_origin_latency_seconds", GAUGE,
    "The origin's smoothed response time, to the first byte")
METRIC(ORIGIN_REQUESTS, "stoke_origin_requests_total", COUNTER,
    "Fetches sent to the origin")
METRIC(ORIGIN_FAILURES, "stoke_origin_failures_total", COUNTER,
    "Fetches the origin failed: 5xx, 429, timeouts, no answer")
METRIC(ORIGIN_BACKOFFS, "stoke_origin_backoffs_total", COUNTER,
    "Times the guard halved what it allows the origin")
METRIC(ORIGIN_BREAKER_OPENED, "stoke_origin_breaker_opened_total", COUNTER,
    "Times the origin's circuit breaker opened")
METRIC(ORIGIN_RETRY_AFTER, "stoke_origin_retry_after_total", COUNTER,
    "Retry-After headers the origin sent and the guard obeyed")

/* store/: PostgreSQL */
METRIC(DB_CONNECTED, "stoke_db_connected", GAUGE,
    "1 while the database takes writes, else 0")
METRIC(DB_ROWS_BUFFERED, "stoke_db_rows_buffered", GAUGE,
    "Rows waiting in memory to be written")
METRIC(DB_ROWS_BUFFER_MAX, "stoke_db_rows_buffer_max", GAUGE,
    "Rows that may wait in memory (--db-buffer); past it, new rows are "
    "dropped")
METRIC(DB_ROWS_WRITTEN, "stoke_db_rows_written_total", COUNTER,
    "Rows written to the database")
METRIC(DB_ROWS_DROPPED, "stoke_db_rows_dropped_total", COUNTER,
    "Rows dropped: the buffer was full, the database refused their data, "
    "or their job was dropped")
METRIC(DB_FLUSH_ERRORS, "stoke_db_flush_errors_total", COUNTER,
    "Batch writes that failed: sent again, or dropped if the database "
    "refused their data")
METRIC(DB_JOBS_OPEN, "stoke_db_jobs_open", GAUGE,
    "Jobs kept in memory: not yet written in their final state, or "
    "with rows waiting")
METRIC(DB_RESULTS_PRUNED, "stoke_db_results_pruned_total", COUNTER,
    "Page results deleted past their plan's retention")
METRIC(DB_PRUNE_ERRORS, "stoke_db_prune_errors_total", COUNTER,
    "Retention statements (one batch of deletes each) that failed")

/* link/: stoked agent's link to the control plane */
METRIC(AGENT_LINK_UP, "stoke_agent_link_up", GAUGE,
    "1 while the control plane answers the agent, else 0")
METRIC(AGENT_SPOOL_ROWS, "stoke_agent_spool_rows", GAUGE,
    "Rows in batches waiting for the control plane")
METRIC(AGENT_SPOOL_BYTES, "stoke_agent_spool_bytes", GAUGE,
    "Bytes of batches waiting for the control plane, by where they wait "
    "(memory, disk)")
METRIC(AGENT_BATCHES_SENT, "stoke_agent_batches_sent_total", COUNTER,
    "Batches the control plane took")
METRIC(AGENT_ROWS_DROPPED, "stoke_agent_rows_dropped_total", COUNTER,
    "Rows never sent: the spool was full, or the control plane refused "
    "their batch for its content")
METRIC(AGENT_COMMANDS, "stoke_agent_commands_total", COUNTER,
    "Commands from the control plane, by kind (\"unknown\": skipped)")
METRIC(AGENT_TASKS_CLAIMED, "stoke_agent_tasks_claimed_total", COUNTER,
    "Warm tasks of jobs the control plane leased to the agent")
METRIC(AGENT_TASKS_DONE, "stoke_agent_tasks_done_total", COUNTER,
    "Warm tasks the agent warmed on its node and reported, by whether "
    "they were warmed (ok: true, false)")

/* store/: the durable queue, as stoked serve last read it (on a timer,
 * never while /metrics is scraped) */
METRIC(QUEUE_DEPTH, "stoke_queue_depth", GAUGE,
    "Warm tasks that stoked workers can claim now: queued, or leased "
    "past their lease (not the agents')")
METRIC(JOBS, "stoke_jobs", GAUGE,
    "Jobs still open (queued or running), by status")

/* api/: the HTTP API, on each replica */
METRIC(API_REQUESTS, "stoke_api_requests_total", COUNTER,
    "Requests answered, by route pattern, method and status; route "
    "\"unmatched\" for paths no route takes")
METRIC(API_REQUEST_DURATION, "stoke_api_request_duration_seconds", HISTOGRAM,
    "From a request's arrival to its answer, by route pattern and method")
METRIC(API_LOGINS_FAILED, "stoke_api_logins_failed_total", COUNTER,
    "Logins refused for a wrong e-mail or password")
METRIC(API_LOCKOUTS, "stoke_api_lockouts_total", COUNTER,
    "Keys this replica locked after too many failures, by limit")
METRIC(API_RATE_LIMITED, "stoke_api_rate_limited_total", COUNTER,
    "Requests refused with 429, by limit: login (its address or e-mail "
    "locked), register (its address), user (past their rate), agent (an "
    "agent past its rate)")
METRIC(API_AGENT_BATCHES, "stoke_api_agent_batches_total", COUNTER,
    "Agents' batches this replica answered, by outcome: stored, duplicate "
    "(sent before: nothing stored again)")
METRIC(API_AGENT_ROWS, "stoke_api_agent_rows_total", COUNTER,
    "Rows of agents' batches stored, by kind (jobs, invalidations, "
    "results, traffic, tasks)")
METRIC(API_SSE_STREAMS, "stoke_api_sse_streams", GAUGE,
    "Event streams (Server-Sent Events) open on this replica")
METRIC(API_CONNECTIONS, "stoke_api_connections", GAUGE,
    "Client connections open on this replica's API (and /metrics) "
    "listeners")
METRIC(API_CONNECTIONS_REFUSED, "stoke_api_connections_refused_total", COUNTER,
    "Connections answered 503 and closed at once: the replica had "
    "--max-connections open")
METRIC(SCHEDULE_SLOTS, "stoke_schedule_slots_total", COUNTER,
    "Websites' scheduled slots this replica claimed, by outcome: started "
    "(a job), skipped (a job of the website was still queued or running)")
