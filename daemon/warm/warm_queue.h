/*
 * Objects waiting to be fetched again: most popular first, oldest first
 * among equals, each key at most once (queued or in flight).
 */

#ifndef STOKE_WARM_QUEUE_H
#define STOKE_WARM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct warm_queue;

struct warm_task {
	char *host;
	char *url;
	char *variant;
	double priority;
	double queued; /* when it was pushed */
	uint64_t trigger; /* the caller's: why it was queued */
	unsigned attempts; /* fetches tried before this one */
};

struct warm_queue *wq_new(size_t max);
void wq_free(struct warm_queue **);
/* 1: queued; 0: already queued or in flight; -1: the queue is full. */
int wq_push(struct warm_queue *, const char *host, const char *url,
    const char *variant, double priority, double now, uint64_t trigger);
/* The next task, now in flight, or NULL; give it back with wq_done(). */
struct warm_task *wq_pop(struct warm_queue *);
void wq_done(struct warm_queue *, struct warm_task *);
/*
 * Back in the queue for another try; attempts counts it.  It never
 * needs room: a task in flight keeps its place (wq_new's max counts
 * queued and in flight alike).
 */
void wq_retry(struct warm_queue *, struct warm_task *);
size_t wq_len(const struct warm_queue *);
size_t wq_inflight(const struct warm_queue *);

#endif
