/*
 * result_store's private interfaces: the store and its rows, and the
 * functions one of its files calls in another.  Only result_store*.c
 * include this.
 */

#ifndef STOKE_RESULT_STORE_PRIV_H
#define STOKE_RESULT_STORE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>
#include <uthash.h>

#include "vqueue.h"

#include "result_store.h"

struct instance_inval;
struct wb_result;

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
	unsigned magic;
#define RS_ROW_MAGIC 0x5e7d0a03
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
	unsigned magic;
#define RS_INVAL_MAGIC 0x5e7d0a04
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

/* result_store.c */
int rs_connected(const struct result_store *);
struct rs_job *rs_job_find(const struct result_store *, uint64_t key);
struct rs_job *rs_job_get(struct result_store *, uint64_t key);
int rs_job_final(const struct rs_job *);
void rs_forget(struct result_store *, struct rs_job *);
void rs_maybe_done(struct rs_job *);
void rs_describe(struct result_store *, struct rs_job *, const char *trigger,
    const char *host, const char *source);
void rs_kick(struct result_store *);
void rs_add_result(struct result_store *, struct rs_job *,
    const struct wb_result *, const char *host, const char *variant);
void rs_add_inval(struct result_store *, struct rs_job *,
    const struct instance_inval *, const char *node);
void rs_row_done(struct result_store *, struct rs_row *);
void rs_inval_done(struct result_store *, struct rs_inval *);

/* result_store_str.c */
size_t rs_clean_len(const char *s);
char *rs_clean(char *dst, const char *s);
char *rs_clean_dup(const char *s);
char *rs_base_of(const char *host);
char *rs_host_of(const char *url);

/* result_store_write.c */
void rs_on_kick(evutil_socket_t, short, void *);
void rs_on_tick(evutil_socket_t, short, void *);

#endif
