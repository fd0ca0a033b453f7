/*
 * The rows the result store keeps, as a writer of them sees them.
 *
 * result_store.c keeps the books: jobs, invalidations and results, each
 * with its row key, from the watch hooks (result_store_watch.c) until a
 * writer has taken them.  A writer is one of two kinds, as
 * hash_slinger.h has its slingers: PostgreSQL (result_store_write.c),
 * whose rows are in the database once written, and the agent link's
 * batches (link/batch.c), whose rows are in its spool once taken.  The
 * store calls the writer on its tick and when a batch of rows waits;
 * the writer takes what it can, in order: jobs first, then what refers
 * to them.
 */

#ifndef STOKE_RESULT_ROWS_H
#define STOKE_RESULT_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "vqueue.h"

struct result_store;

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
	unsigned written : 1; /* its row is with the writer for good */
	unsigned sending : 1;
	uint64_t version, sent_version, written_version;
	double last_write;
	int64_t db_id, website_id; /* PostgreSQL's */
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
	char *headers; /* the headers kept, a JSON object; or NULL */
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

/*
 * A writer.  priv is what rs_new_writer() was given; the store is
 * handed back so that the writer may walk and take its rows.
 */
struct rs_writer {
	unsigned magic;
#define RS_WRITER_MAGIC 0x5e7d0a05
	const char *name;
	/* Take what can be taken now (nothing while a write is in flight). */
	void (*flush)(void *priv, struct result_store *);
	/* Once per interval, before flush: the writer's own watching. */
	void (*tick)(void *priv, struct result_store *);
	/* Can rows be written now?  Said when rows must be dropped. */
	int (*connected)(const void *priv);
	/* A write in flight: rs_drain() waits for its end. */
	int (*busy)(const void *priv);
	/* The store is freed: so is the writer's priv. */
	void (*fini)(void *priv);
};

/* What the store keeps, in order: jobs as made, rows as they came. */
struct rs_job *rs_job_first(const struct result_store *);
struct rs_inval *rs_inval_first(const struct result_store *);
struct rs_row *rs_row_first(const struct result_store *);
size_t rs_results_waiting(const struct result_store *);
unsigned rs_batch(const struct result_store *);
int rs_draining(const struct result_store *);
int rs_job_final(const struct rs_job *);
/* A row key: the run's half, then the row's, so that keys count up. */
void
rs_row_key(const struct result_store *, uint64_t seq, char *buf, size_t len);
/* The job's row is with the writer for good (its first write). */
void rs_job_taken(struct result_store *, struct rs_job *);
/* The job, written or not, may go if nothing more is to come of it. */
void rs_forget(struct result_store *, struct rs_job *);
/* Rows done with: written, or dropped (counted with rs_dropped). */
void rs_row_done(struct result_store *, struct rs_row *);
void rs_inval_done(struct result_store *, struct rs_inval *);
void rs_written(struct result_store *, size_t n);
void rs_dropped(struct result_store *, size_t n);
void rs_write_error(struct result_store *);
/* The writer's flush again, from the loop, now. */
void rs_kick(struct result_store *);
/* Rows waiting again below the limit: said once, with what was lost. */
void rs_room_again(struct result_store *);

#endif
