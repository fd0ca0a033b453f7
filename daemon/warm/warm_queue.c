/*
 * A binary heap on (priority, -queued) with a uthash set of the keys
 * queued or in flight, so that a URL invalidated twice is fetched once.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/str.h"
#include "warm_queue.h"

struct wq_entry {
	struct warm_task task;
	char *key; /* host \1 url \1 variant */
	UT_hash_handle hh;
};

struct warm_queue {
	unsigned magic;
#define WARM_QUEUE_MAGIC 0x3a77e1c5
	struct wq_entry **heap;
	size_t len, max, inflight;
	struct wq_entry *keys;
};

static int
before(const struct wq_entry *a, const struct wq_entry *b)
{
	if (a->task.priority != b->task.priority)
		return (a->task.priority > b->task.priority);
	return (a->task.queued < b->task.queued);
}

static void
swap(struct warm_queue *q, size_t i, size_t j)
{
	struct wq_entry *t = q->heap[i];

	q->heap[i] = q->heap[j];
	q->heap[j] = t;
}

static void
up(struct warm_queue *q, size_t i)
{
	while (i > 0 && before(q->heap[i], q->heap[(i - 1) / 2])) {
		swap(q, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
down(struct warm_queue *q, size_t i)
{
	size_t l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < q->len && before(q->heap[l], q->heap[m]))
			m = l;
		if (r < q->len && before(q->heap[r], q->heap[m]))
			m = r;
		if (m == i)
			return;
		swap(q, i, m);
		i = m;
	}
}

static void
entry_free(struct wq_entry *e)
{
	free(e->task.host);
	free(e->task.url);
	free(e->task.variant);
	free(e->key);
	free(e);
}

struct warm_queue *
wq_new(size_t max)
{
	struct warm_queue *q = calloc(1, sizeof *q);

	AN(q);
	assert(max > 0);
	q->magic = WARM_QUEUE_MAGIC;
	q->max = max;
	q->heap = calloc(max, sizeof *q->heap);
	AN(q->heap);
	return (q);
}

void
wq_free(struct warm_queue **qp)
{
	struct warm_queue *q;
	struct wq_entry *e, *t;

	AN(qp);
	q = *qp;
	*qp = NULL;
	if (q == NULL)
		return;
	CHECK_OBJ_NOTNULL(q, WARM_QUEUE_MAGIC);
	/* Everything in the key set: queued and in flight alike. */
	HASH_ITER(hh, q->keys, e, t)
	{
		HASH_DEL(q->keys, e);
		entry_free(e);
	}
	free(q->heap);
	q->magic = 0;
	free(q);
}

int
wq_push(struct warm_queue *q, const char *host, const char *url,
    const char *variant, double priority, double now, uint64_t trigger)
{
	struct wq_entry *e;
	size_t hl, ul, vl;
	char *key;

	CHECK_OBJ_NOTNULL(q, WARM_QUEUE_MAGIC);
	hl = strlen(host);
	ul = strlen(url);
	vl = strlen(variant != NULL ? variant : "");
	key = malloc(hl + ul + vl + 3);
	AN(key);
	memcpy(key, host, hl);
	key[hl] = '\1';
	memcpy(key + hl + 1, url, ul);
	key[hl + 1 + ul] = '\1';
	memcpy(key + hl + ul + 2, variant != NULL ? variant : "", vl + 1);
	HASH_FIND_STR(q->keys, key, e);
	if (e != NULL) {
		free(key);
		return (0);
	}
	/* In flight counts: a task may come back for another try. */
	if (q->len + q->inflight == q->max) {
		free(key);
		return (-1);
	}
	e = calloc(1, sizeof *e);
	AN(e);
	e->key = key;
	e->task.host = str_dup(host);
	e->task.url = str_dup(url);
	e->task.variant = str_dup(variant);
	e->task.priority = priority;
	e->task.queued = now;
	e->task.trigger = trigger;
	HASH_ADD_KEYPTR(hh, q->keys, e->key, strlen(e->key), e);
	q->heap[q->len] = e;
	up(q, q->len++);
	return (1);
}

struct warm_task *
wq_pop(struct warm_queue *q)
{
	struct wq_entry *e;

	CHECK_OBJ_NOTNULL(q, WARM_QUEUE_MAGIC);
	if (q->len == 0)
		return (NULL);
	e = q->heap[0];
	q->heap[0] = q->heap[--q->len];
	down(q, 0);
	q->inflight++;
	return (&e->task);
}

void
wq_done(struct warm_queue *q, struct warm_task *t)
{
	struct wq_entry *e;

	CHECK_OBJ_NOTNULL(q, WARM_QUEUE_MAGIC);
	AN(t);
	assert(q->inflight > 0);
	e = (struct wq_entry *)(void *)((char *)t -
	    offsetof(struct wq_entry, task));
	HASH_DEL(q->keys, e);
	q->inflight--;
	entry_free(e);
}

void
wq_retry(struct warm_queue *q, struct warm_task *t)
{
	struct wq_entry *e;

	CHECK_OBJ_NOTNULL(q, WARM_QUEUE_MAGIC);
	AN(t);
	assert(q->inflight > 0);
	/* In flight, it kept its room. */
	assert(q->len < q->max);
	e = (struct wq_entry *)(void *)((char *)t -
	    offsetof(struct wq_entry, task));
	q->inflight--;
	/* It keeps its time of loss: latency counts from there. */
	e->task.attempts++;
	q->heap[q->len] = e;
	up(q, q->len++);
}

size_t
wq_len(const struct warm_queue *q)
{
	CHECK_OBJ_NOTNULL(q, WARM_QUEUE_MAGIC);
	return (q->len);
}

size_t
wq_inflight(const struct warm_queue *q)
{
	CHECK_OBJ_NOTNULL(q, WARM_QUEUE_MAGIC);
	return (q->inflight);
}
