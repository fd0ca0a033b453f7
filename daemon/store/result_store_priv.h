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

#include "result_rows.h"
#include "result_store.h"

struct instance_inval;
struct wb_result;

struct result_store {
	unsigned magic;
#define RESULT_STORE_MAGIC 0x5e7d0a02
	struct event_base *eb;
	const struct rs_writer *w;
	void *wpriv;
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
	unsigned full : 1; /* rows dropped: said once */
	unsigned draining : 1;
	struct event *tick, *kick;
	uint64_t written, dropped, errors, dropped_episode;
};

/* result_store.c */
struct rs_job *rs_job_find(const struct result_store *, uint64_t key);
struct rs_job *rs_job_get(struct result_store *, uint64_t key);
void rs_maybe_done(struct rs_job *);
void rs_describe(struct result_store *, struct rs_job *, const char *trigger,
    const char *host, const char *source);
void rs_add_result(struct result_store *, struct rs_job *,
    const struct wb_result *, const char *host, const char *variant);
void rs_add_inval(struct result_store *, struct rs_job *,
    const struct instance_inval *, const char *node);

/* result_store_str.c */
size_t rs_clean_len(const char *s);
char *rs_clean(char *dst, const char *s);
char *rs_clean_dup(const char *s);
char *rs_base_of(const char *host);
char *rs_host_of(const char *url);

/* result_store_write.c: the PostgreSQL writer */
struct pg_pool;
void *rs_pg_new(struct pg_pool *, const char *runner);
extern const struct rs_writer rs_pg_writer;
int rs_pg_connected(const void *priv);

#endif
