/*
 * origin_guard: the limit grows while the origin keeps up, backs off when
 * it slows down or fails, never passes the ceiling, honours Retry-After
 * and the rate, and the breaker stops everything for a dead origin.
 *
 * The origin here is simulated in virtual time: a server with a few
 * workers whose answers take longer as requests queue for them, and
 * which refuses (503) what its queue cannot hold.
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fetch/origin_guard.h"
#include "unit.h"

#define MAXQ 256

struct sim {
	unsigned workers; /* requests served at once at full speed */
	unsigned queue_max; /* in flight beyond this: 503 */
	double service; /* seconds per request, alone */
	unsigned n;
	double end[MAXQ], started[MAXQ];
	long status[MAXQ];
	unsigned inflight_max;
	unsigned long served, refused;
	double inflight_sum; /* for the mean, over admissions */
	unsigned long admissions;
};

/* Client with endless demand: run for `until` seconds of virtual time. */
static void
simulate(struct origin_guard *g, struct sim *s, double t, double until)
{
	struct og_outcome oc;
	double next, w, lat;
	unsigned i, k;

	while (t < until) {
		/* Admit as much as the guard lets go now. */
		w = 0;
		while (s->n < MAXQ && (w = og_admit(g, "o", t)) == 0) {
			i = s->n++;
			if (s->n > s->inflight_max)
				s->inflight_max = s->n;
			s->inflight_sum += s->n;
			s->admissions++;
			s->started[i] = t;
			if (s->n > s->queue_max) {
				s->status[i] = 503;
				s->end[i] = t + 0.001;
			} else {
				/* Queued behind the busy workers. */
				k = (s->n + s->workers - 1) / s->workers;
				s->status[i] = 200;
				s->end[i] = t + s->service * k;
			}
		}
		next = until;
		if (w > 0 && t + w < next)
			next = t + w;
		for (i = 0; i < s->n; i++)
			if (s->end[i] < next)
				next = s->end[i];
		t = next;
		for (i = 0; i < s->n;) {
			if (s->end[i] > t) {
				i++;
				continue;
			}
			memset(&oc, 0, sizeof oc);
			oc.started = s->started[i];
			oc.ok = 1;
			oc.status = s->status[i];
			lat = s->end[i] - s->started[i];
			oc.latency = lat;
			if (oc.status == 503)
				s->refused++;
			else
				s->served++;
			og_done(g, "o", t, &oc);
			s->n--;
			s->end[i] = s->end[s->n];
			s->started[i] = s->started[s->n];
			s->status[i] = s->status[s->n];
		}
	}
}

static void
test_grows_to_ceiling(void)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_info info;
	struct sim s;

	og_conf_default(&c);
	c.ceiling = 12;
	g = og_new(&c);
	memset(&s, 0, sizeof s);
	/* An origin with room for far more than the ceiling. */
	s.workers = 100;
	s.queue_max = 1000;
	s.service = 0.05;
	simulate(g, &s, 0, 10);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK(info.limit <= 12);
	CHECK(info.limit >= 11);
	CHECK_INT_EQ(s.inflight_max, 12);
	CHECK_INT_EQ(s.refused, 0);
	CHECK_INT_EQ(info.backoffs, 0);
	og_free(&g);
	CHECK(g == NULL);
}

/*
 * Answers from a cache in front of the origin: however slow they come on
 * a busy machine, they are not the origin's, and do not halve its limit.
 * The same answers from the origin itself do.
 */
static void
test_hits_are_not_the_origins(void)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_info info;
	struct og_outcome oc;
	double t = 0;
	unsigned i, k, cached;

	for (cached = 0; cached < 2; cached++) {
		og_conf_default(&c);
		c.ceiling = 16;
		g = og_new(&c);
		for (i = 0; i < 400; i++) {
			/* All the guard lets go, answered together. */
			for (k = 0; og_admit(g, "o", t) == 0; k++)
				continue;
			memset(&oc, 0, sizeof oc);
			oc.ok = 1;
			oc.status = 200;
			oc.cached = cached;
			oc.latency = i < 50 ? 0.002 : 0.2;
			oc.started = t;
			t += oc.latency;
			while (k-- > 0)
				og_done(g, "o", t, &oc);
		}
		CHECK(og_info(g, "o", &info) == 0);
		if (cached) {
			CHECK_INT_EQ(info.backoffs, 0);
			CHECK(info.limit >= 15.9);
		} else {
			CHECK(info.backoffs > 0);
			CHECK(info.limit < 15);
		}
		og_free(&g);
	}
}

static void
test_backs_off_an_overloaded_origin(void)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_info info;
	struct sim s;

	og_conf_default(&c);
	c.ceiling = 64;
	g = og_new(&c);
	memset(&s, 0, sizeof s);
	/* Four workers; more queue and wait; over sixteen are refused. */
	s.workers = 4;
	s.queue_max = 16;
	s.service = 0.05;
	simulate(g, &s, 0, 60);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK(info.backoffs > 0);
	/* Far from the ceiling it could have used... */
	CHECK(s.inflight_max <= 16);
	/* ...close to what the origin can do, and hardly ever refused. */
	CHECK(s.inflight_sum / s.admissions >= 3);
	CHECK(s.inflight_sum / s.admissions <= 10);
	CHECK(s.refused * 100 <= s.served);
	printf("overloaded: mean in flight %.1f, max %u, served %lu, "
	       "refused %lu, backoffs %ju\n",
	    s.inflight_sum / s.admissions, s.inflight_max, s.served, s.refused,
	    (uintmax_t)info.backoffs);
	og_free(&g);
}

static void
test_failures_halve_once_per_round_trip(void)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_outcome oc;
	struct og_info info;
	unsigned i;

	og_conf_default(&c);
	c.ceiling = 16;
	c.initial = 16;
	c.breaker_failures = 100;
	g = og_new(&c);
	for (i = 0; i < 16; i++)
		CHECK(og_admit(g, "o", 1.0) == 0);
	/* Full: the next one waits. */
	CHECK(og_admit(g, "o", 1.0) > 0);
	memset(&oc, 0, sizeof oc);
	oc.started = 1.0;
	oc.ok = 1;
	oc.status = 502;
	oc.latency = 0.01;
	/* Sixteen 502s from one round trip: one halving, not sixteen. */
	for (i = 0; i < 16; i++)
		og_done(g, "o", 1.1, &oc);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK(fabs(info.limit - 8) < 1e-9);
	CHECK_INT_EQ(info.backoffs, 1);
	CHECK_INT_EQ(info.failures, 16);
	CHECK_INT_EQ(info.inflight, 0);
	/* A timeout sent after that halving halves again. */
	CHECK(og_admit(g, "o", 1.2) == 0);
	oc.started = 1.2;
	oc.ok = 0;
	oc.status = 0;
	og_done(g, "o", 31.2, &oc);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK(fabs(info.limit - 4) < 1e-9);
	CHECK_STR_EQ(og_state_name(info.state), "closed");
	og_free(&g);
}

static void
test_retry_after(void)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_outcome oc;
	double w;

	og_conf_default(&c);
	g = og_new(&c);
	CHECK(og_admit(g, "o", 100) == 0);
	memset(&oc, 0, sizeof oc);
	oc.started = 100;
	oc.ok = 1;
	oc.status = 429;
	oc.latency = 0.01;
	oc.retry_after = 30;
	og_done(g, "o", 100, &oc);
	w = og_admit(g, "o", 101);
	CHECK(fabs(w - 29) < 1e-9);
	/* Other origins are not held back. */
	CHECK(og_admit(g, "other", 101) == 0);
	CHECK(og_admit(g, "o", 130.5) == 0);
	/* A ten-hour Retry-After is capped. */
	oc.started = 130.5;
	oc.retry_after = 36000;
	og_done(g, "o", 131, &oc);
	w = og_admit(g, "o", 131);
	CHECK(fabs(w - c.retry_after_max) < 1e-9);

	CHECK(og_retry_after("120", 0) == 120);
	CHECK(og_retry_after(" 5 ", 0) == 5);
	CHECK(og_retry_after("-5", 0) == 0);
	CHECK(og_retry_after("soon", 0) == 0);
	CHECK(og_retry_after("12abc", 0) == 0);
	CHECK(og_retry_after(NULL, 0) == 0);
	/* 2015-10-21 07:28:00 UTC is 1445412480. */
	CHECK(
	    og_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470) == 10);
	CHECK(og_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490) == 0);
	og_free(&g);
}

static void
test_breaker(void)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_outcome oc;
	struct og_info info;
	double t = 10, w;
	unsigned i;

	og_conf_default(&c);
	c.breaker_failures = 5;
	c.breaker_cooldown = 2;
	c.breaker_cooldown_max = 8;
	g = og_new(&c);
	memset(&oc, 0, sizeof oc);
	oc.ok = 0; /* connection refused */
	for (i = 0; i < 5; i++) {
		CHECK(og_admit(g, "o", t) == 0);
		oc.started = t;
		og_done(g, "o", t, &oc);
	}
	CHECK(og_info(g, "o", &info) == 0);
	CHECK_STR_EQ(og_state_name(info.state), "open");
	CHECK_INT_EQ(info.breaker_opened, 1);
	/* Nothing goes while open. */
	w = og_admit(g, "o", t + 1);
	CHECK(fabs(w - 1) < 1e-9);
	/* Then one probe, and only one. */
	CHECK(og_admit(g, "o", t + 2) == 0);
	CHECK(og_admit(g, "o", t + 2) > 0);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK_STR_EQ(og_state_name(info.state), "half-open");
	/* The probe fails: open again, for twice as long. */
	oc.started = t + 2;
	og_done(g, "o", t + 2, &oc);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK_STR_EQ(og_state_name(info.state), "open");
	w = og_admit(g, "o", t + 2);
	CHECK(fabs(w - 4) < 1e-9);
	/* The cooldown doubles up to its maximum. */
	for (i = 0; i < 5; i++) {
		t += 100;
		CHECK(og_admit(g, "o", t) == 0);
		oc.started = t;
		og_done(g, "o", t, &oc);
	}
	w = og_admit(g, "o", t);
	CHECK(fabs(w - 8) < 1e-9);
	/* A probe that gets an answer closes it; warming restarts gently. */
	t += 100;
	CHECK(og_admit(g, "o", t) == 0);
	oc.started = t;
	oc.ok = 1;
	oc.status = 200;
	oc.latency = 0.05;
	og_done(g, "o", t, &oc);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK_STR_EQ(og_state_name(info.state), "closed");
	CHECK(fabs(info.limit - 1) < 1e-9);
	CHECK(og_admit(g, "o", t) == 0);
	CHECK(og_admit(g, "o", t) > 0);
	og_free(&g);
}

static void
test_rate(void)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_outcome oc;
	unsigned n = 0;
	double t = 0, w;

	og_conf_default(&c);
	c.ceiling = 100;
	c.initial = 100;
	c.rate = 20;
	g = og_new(&c);
	memset(&oc, 0, sizeof oc);
	oc.ok = 1;
	oc.status = 200;
	oc.latency = 0.001;
	/* Instant answers: only the rate holds the client back. */
	while (t < 10) {
		w = og_admit(g, "o", t);
		if (w > 0) {
			t += w;
			continue;
		}
		n++;
		oc.started = t;
		og_done(g, "o", t, &oc);
	}
	/* Twenty a second, plus the first second's burst. */
	CHECK(n >= 200 && n <= 221);
	og_free(&g);
}

/* Hostile Host headers cannot grow the table without bound. */
static void
test_many_origins(void)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_info info;
	unsigned i, n = 0;
	char name[32];

	struct og_outcome oc;

	og_conf_default(&c);
	g = og_new(&c);
	/* One origin busy all along. */
	CHECK(og_admit(g, "busy", 0) == 0);
	/* One whose breaker opened long ago; one told to wait 300 s. */
	memset(&oc, 0, sizeof oc);
	for (i = 0; i < c.breaker_failures; i++) {
		CHECK(og_admit(g, "dead", 0) == 0);
		og_done(g, "dead", 0, &oc);
	}
	CHECK(og_admit(g, "told", 0) == 0);
	oc.ok = 1;
	oc.status = 429;
	oc.retry_after = 300;
	og_done(g, "told", 0, &oc);
	for (i = 0; i < 25000; i++) {
		snprintf(name, sizeof name, "h%u.example", i);
		CHECK(og_admit(g, name, 100) == 0);
		og_cancel(g, name);
	}
	/* Forgotten, as it was idle; kept, as its pause is not over. */
	CHECK(og_info(g, "dead", &info) != 0);
	CHECK(og_info(g, "told", &info) == 0);
	for (i = 0; i < 25000; i++) {
		snprintf(name, sizeof name, "h%u.example", i);
		n += og_info(g, name, &info) == 0;
	}
	CHECK(n <= 10000);
	CHECK(og_info(g, "busy", &info) == 0);
	CHECK_INT_EQ(info.inflight, 1);
	og_cancel(g, "busy");
	og_free(&g);
}

/*
 * The latency the guard judges may come after the answer, from a better
 * witness (the cache's log of its backend fetch): on a busy machine the
 * time to the first byte grows with the client's own waits while the
 * origin's stays what it was.  Judged on the origin's time, the limit
 * keeps growing; when that time itself grows, the guard still backs off.
 */
static void
round_trips(struct origin_guard *g, double client, double origin_before,
    double origin_after)
{
	struct og_outcome oc;
	double t = 0;
	unsigned i, k, n;

	for (i = 0; i < 400; i++) {
		for (k = 0; og_admit(g, "o", t) == 0; k++)
			continue;
		memset(&oc, 0, sizeof oc);
		oc.ok = 1;
		oc.status = 200;
		oc.started = t;
		oc.latency_later = 1;
		/* What stoked measured: never read with latency_later. */
		oc.latency = i < 50 ? 0.02 : client;
		t += oc.latency;
		for (n = k; n-- > 0;)
			og_done(g, "o", t, &oc);
		oc.latency = i < 50 ? origin_before : origin_after;
		for (n = k; n-- > 0;)
			og_sample(g, "o", t, &oc);
	}
}

static void
test_latency_later(void)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_info info;
	struct og_outcome oc;
	unsigned k;

	og_conf_default(&c);
	c.ceiling = 16;
	c.initial = 4;

	/* A loaded machine: the first byte 10x later, the origin as fast. */
	g = og_new(&c);
	round_trips(g, 0.2, 0.02, 0.02);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK_INT_EQ(info.backoffs, 0);
	CHECK(info.limit >= 15.9);
	CHECK(fabs(info.latency - 0.02) < 1e-6);
	og_free(&g);

	/* The origin itself 20x slower: backs off as before. */
	g = og_new(&c);
	round_trips(g, 0.4, 0.02, 0.4);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK(info.backoffs > 0);
	CHECK(info.slow > 0);
	CHECK(info.limit < 15);
	og_free(&g);

	g = og_new(&c);
	for (k = 0; og_admit(g, "o", 1.0) == 0; k++)
		continue;
	CHECK_INT_EQ(k, 4);
	memset(&oc, 0, sizeof oc);
	oc.ok = 1;
	oc.status = 200;
	oc.started = 1.0;
	oc.latency = 5;
	oc.latency_later = 1;
	/* A hit's verdict is given at once: the origin was not asked. */
	oc.cached = 1;
	og_done(g, "o", 1.1, &oc);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK(fabs(info.limit - 5) < 1e-9);
	/* A miss's answer alone judges nothing: no sample, no growth. */
	oc.cached = 0;
	og_done(g, "o", 1.1, &oc);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK_INT_EQ(info.inflight, 2);
	CHECK(fabs(info.limit - 5) < 1e-9);
	CHECK(info.latency == 0);
	CHECK_INT_EQ(info.slow, 0);
	/* A failure halves at once, whatever follows. */
	oc.status = 503;
	og_done(g, "o", 1.2, &oc);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK(fabs(info.limit - 2.5) < 1e-9);
	CHECK_INT_EQ(info.backoffs, 1);
	og_cancel(g, "o");
	/* A sample for an origin the guard does not know adds none. */
	oc.status = 200;
	oc.latency = 0.02;
	og_sample(g, "unknown", 1.6, &oc);
	CHECK(og_info(g, "unknown", &info) == -1);
	og_free(&g);
}

/*
 * A client that never has more than 8 in flight, whose slot goes to its
 * next request while the last one's verdict is still to come, lag
 * answers later: the limit grows to what is used, not to the ceiling,
 * so that a halving bites.
 */
static void
grows_on_use(unsigned lag)
{
	struct og_conf c;
	struct origin_guard *g;
	struct og_info info;
	struct og_outcome oc;
	double t = 0;
	unsigned i, k, owed = 0;

	og_conf_default(&c);
	c.ceiling = 16;
	c.initial = 4;
	g = og_new(&c);
	memset(&oc, 0, sizeof oc);
	oc.ok = 1;
	oc.status = 200;
	oc.latency_later = 1;
	oc.latency = 0.02;
	for (k = 0; k < 8 && og_admit(g, "o", t) == 0; k++)
		continue;
	for (i = 0; i < 2000; i++) {
		/* One answer, its slot taken again, then a verdict. */
		t += 0.0025;
		oc.started = t - 0.02;
		og_done(g, "o", t, &oc);
		k--;
		owed++;
		while (k < 8 && og_admit(g, "o", t) == 0)
			k++;
		if (owed > lag) {
			og_sample(g, "o", t, &oc);
			owed--;
		}
		while (k < 8 && og_admit(g, "o", t) == 0)
			k++;
	}
	CHECK_INT_EQ(k, 8);
	CHECK(og_info(g, "o", &info) == 0);
	CHECK(info.limit >= 8);
	CHECK(info.limit < 10);
	CHECK_INT_EQ(info.backoffs, 0);
	og_free(&g);
}

static void
test_latency_later_grows_on_use(void)
{
	grows_on_use(0);
	grows_on_use(1);
	grows_on_use(6);
}

/*
 * The first burst to an origin goes four at a time (or the ceiling, if
 * lower), before any answer: waiting a round trip per doubling from 2
 * cost a small invalidation most of its time.
 */
static void
test_initial(void)
{
	struct og_conf c;
	struct origin_guard *g;
	unsigned k;

	og_conf_default(&c);
	c.ceiling = 16;
	g = og_new(&c);
	for (k = 0; og_admit(g, "o", 0) == 0; k++)
		continue;
	CHECK_INT_EQ(k, 4);
	og_free(&g);
	c.ceiling = 3;
	g = og_new(&c);
	for (k = 0; og_admit(g, "o", 0) == 0; k++)
		continue;
	CHECK_INT_EQ(k, 3);
	og_free(&g);
}

int
main(void)
{
	test_many_origins();
	test_grows_to_ceiling();
	test_hits_are_not_the_origins();
	test_latency_later();
	test_latency_later_grows_on_use();
	test_initial();
	test_backs_off_an_overloaded_origin();
	test_failures_halve_once_per_round_trip();
	test_retry_after();
	test_breaker();
	test_rate();
	return (unit_done());
}
