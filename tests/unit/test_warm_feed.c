/*
 * warm_feed: each URL listed once, taken once, in order; a taker that
 * finds it empty is woken through its descriptor when a take's worth
 * has gathered, on a flush, or at the close, and not for every URL;
 * two threads taking at once share every URL between them, none twice.
 */

#define _GNU_SOURCE /* pipe2() */

#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "warm/warm_feed.h"
#include "unit.h"

#define NURL 20000

static struct warm_feed *feed;
static int seen[NURL];

/* A byte waiting on the pipe, taken. */
static int
woken(int fd)
{
	char b[16];

	return (read(fd, b, sizeof b) > 0);
}

static void *
taker(void *priv)
{
	const char *u[7];
	size_t n, i;
	int ended = 0, fd[2], k, *count = priv;
	char b;

	if (pipe2(fd, O_CLOEXEC) != 0)
		return (NULL);
	while (!ended) {
		n = wf_take(feed, u, 7, fd[1], &ended);
		for (i = 0; i < n; i++)
			if (sscanf(u[i], "http://shop/%d", &k) == 1 && k >= 0 &&
			    k < NURL) {
				__atomic_add_fetch(&seen[k], 1,
				    __ATOMIC_RELAXED);
				(*count)++;
			}
		/* Empty, not ended: wait to be woken. */
		if (n == 0 && !ended && read(fd[0], &b, 1) != 1)
			break;
	}
	wf_forget(feed, fd[1]);
	(void)close(fd[0]);
	(void)close(fd[1]);
	return (NULL);
}

int
main(void)
{
	const char *u[8];
	char url[64];
	pthread_t t[2];
	int fd[2], ended, n[2] = { 0, 0 }, i, once;

	/* A wake-up lost would leave a taker waiting: fail, not hang. */
	alarm(60);
	feed = wf_new();
	CHECK(pipe2(fd, O_NONBLOCK | O_CLOEXEC) == 0);

	/* Empty: the taker waits, and is not woken by one URL alone. */
	CHECK_INT_EQ((int)wf_take(feed, u, 8, fd[1], &ended), 0);
	CHECK_INT_EQ(ended, 0);
	CHECK_INT_EQ(wf_put(feed, "http://shop/a"), 1);
	CHECK_INT_EQ(wf_put(feed, "http://shop/a"), 0);
	CHECK_INT_EQ(wf_put(feed, "ftp://shop/a"), -1);
	CHECK_INT_EQ(wf_put(feed, "HTTPS://shop/b"), 1);
	CHECK(!woken(fd[0]));
	/* A flush wakes it; it takes both, in order. */
	wf_flush(feed);
	CHECK(woken(fd[0]));
	CHECK_INT_EQ((int)wf_take(feed, u, 8, fd[1], &ended), 2);
	CHECK_STR_EQ(u[0], "http://shop/a");
	CHECK_STR_EQ(u[1], "HTTPS://shop/b");
	CHECK_INT_EQ((int)wf_listed(feed), 2);
	/* Once woken, it is not woken again until it waits again. */
	wf_flush(feed);
	CHECK(!woken(fd[0]));

	/* A take's worth wakes it without a flush. */
	CHECK_INT_EQ((int)wf_take(feed, u, 8, fd[1], &ended), 0);
	for (i = 0; i < 64; i++) {
		snprintf(url, sizeof url, "http://shop/c/%d", i);
		CHECK_INT_EQ(wf_put(feed, url), 1);
		if (i == 62)
			CHECK(!woken(fd[0]));
	}
	CHECK(woken(fd[0]));
	CHECK_INT_EQ((int)wf_take(feed, u, 8, fd[1], &ended), 8);
	CHECK_STR_EQ(u[7], "http://shop/c/7");
	CHECK_INT_EQ(ended, 0);
	/* Closed, it ends once what is left is taken. */
	wf_close(feed);
	CHECK(wf_closed(feed));
	for (i = 0; i < 7; i++)
		CHECK_INT_EQ((int)wf_take(feed, u, 8, fd[1], &ended), 8);
	CHECK_INT_EQ(ended, 1);
	CHECK_INT_EQ((int)wf_take(feed, u, 8, fd[1], &ended), 0);
	CHECK_INT_EQ(ended, 1);
	CHECK(!woken(fd[0]));
	wf_free(&feed);
	CHECK(feed == NULL);

	/* Closing wakes whoever waits, to find the end. */
	feed = wf_new();
	CHECK_INT_EQ((int)wf_take(feed, u, 8, fd[1], &ended), 0);
	wf_close(feed);
	CHECK(woken(fd[0]));
	CHECK_INT_EQ((int)wf_take(feed, u, 8, fd[1], &ended), 0);
	CHECK_INT_EQ(ended, 1);
	wf_free(&feed);

	/* Two takers while URLs are put: each URL taken exactly once. */
	feed = wf_new();
	CHECK(pthread_create(&t[0], NULL, taker, &n[0]) == 0);
	CHECK(pthread_create(&t[1], NULL, taker, &n[1]) == 0);
	for (i = 0; i < NURL; i++) {
		snprintf(url, sizeof url, "http://shop/%d", i);
		CHECK_INT_EQ(wf_put(feed, url), 1);
		if (i % 1000 == 999)
			wf_flush(feed);
	}
	wf_close(feed);
	CHECK(pthread_join(t[0], NULL) == 0);
	CHECK(pthread_join(t[1], NULL) == 0);
	CHECK_INT_EQ(n[0] + n[1], NURL);
	once = 1;
	for (i = 0; i < NURL; i++)
		if (seen[i] != 1)
			once = 0;
	CHECK(once);
	wf_free(&feed);
	(void)close(fd[0]);
	(void)close(fd[1]);
	return (unit_done());
}
