/*
 * warm_queue: most popular first, oldest first among equals, each key
 * once while queued or in flight, bounded.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "warm/warm_queue.h"
#include "unit.h"

int
main(void)
{
	struct warm_queue *q = wq_new(4);
	struct warm_task *t, *a, *b;
	char url[32];
	int i;

	CHECK_INT_EQ(wq_push(q, "h", "/low", "", 1.0, 10, 0), 1);
	CHECK_INT_EQ(wq_push(q, "h", "/high", "", 5.0, 11, 0), 1);
	CHECK_INT_EQ(wq_push(q, "h", "/mid-old", "", 3.0, 12, 0), 1);
	CHECK_INT_EQ(wq_push(q, "h", "/mid-new", "", 3.0, 13, 0), 1);
	/* Once: the same key again, whatever its priority. */
	CHECK_INT_EQ(wq_push(q, "h", "/high", "", 9.0, 14, 0), 0);
	/* A variant is another object. */
	CHECK_INT_EQ(wq_push(q, "h", "/high", "currency=USD", 9.0, 14, 0), -1);
	CHECK_INT_EQ((int)wq_len(q), 4);

	a = wq_pop(q);
	CHECK_STR_EQ(a->url, "/high");
	b = wq_pop(q);
	CHECK_STR_EQ(b->url, "/mid-old");
	CHECK_INT_EQ((int)wq_inflight(q), 2);
	/* In flight still counts as present. */
	CHECK_INT_EQ(wq_push(q, "h", "/high", "", 1.0, 20, 0), 0);
	wq_done(q, a);
	CHECK_INT_EQ(wq_push(q, "h", "/high", "", 1.0, 21, 0), 1);
	t = wq_pop(q);
	CHECK_STR_EQ(t->url, "/mid-new");
	wq_done(q, t);
	wq_done(q, b);
	t = wq_pop(q);
	CHECK_STR_EQ(t->url, "/low");
	wq_done(q, t);
	t = wq_pop(q);
	CHECK_STR_EQ(t->url, "/high");
	CHECK(t->priority == 1.0);
	wq_done(q, t);
	CHECK(wq_pop(q) == NULL);
	CHECK_INT_EQ((int)wq_inflight(q), 0);
	/* The caller's trigger travels with the task. */
	CHECK_INT_EQ(wq_push(q, "h", "/t", "", 1.0, 30, 7), 1);
	t = wq_pop(q);
	CHECK_INT_EQ(t->trigger, 7);
	CHECK(t->queued == 30);
	wq_done(q, t);
	wq_free(&q);

	/* Heap order over many, and freeing with tasks left. */
	q = wq_new(1000);
	for (i = 0; i < 1000; i++) {
		snprintf(url, sizeof url, "/u%d", i);
		CHECK_INT_EQ(wq_push(q, "h", url, "",
		                 (double)((i * 7919) % 1000), i, 0),
		    1);
	}
	a = wq_pop(q);
	for (i = 1; i < 500; i++) {
		b = wq_pop(q);
		CHECK(b->priority <= a->priority);
		wq_done(q, a);
		a = b;
	}
	wq_free(&q);
	return (unit_done());
}
