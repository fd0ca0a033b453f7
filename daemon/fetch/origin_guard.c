/*
 * Per-origin admission: AIMD on the origin's answers, a rate, pauses and
 * a circuit breaker.  See origin_guard.h for the rules; the why of each
 * number is next to it.
 */

#define _GNU_SOURCE /* strptime(), timegm() */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "origin_guard.h"

/*
 * Origin names come from Host headers, which visitors choose: past this
 * many origins, idle ones are forgotten (they start afresh if they come
 * back), so that the table cannot grow without bound.
 */
#define MAX_ORIGINS 10000

/* How long a caller waits before asking again for a free slot. */
#define WAIT_SLOT 0.005

/*
 * Latency is compared between a short memory (the last few answers) and
 * a long one (the last fifty or so), so that an origin whose pages differ
 * in cost is judged against itself, not against its fastest page.
 * Answers clearly slower than usual (by NORMAL_BAND) move the long memory
 * by time, not by count, and slowly (over minutes): else an origin we
 * push harder step by step would look normal to us at every step.  That
 * they move it at all lets an origin that is slower for reasons of its
 * own become, in time, the new normal.
 */
#define NORMAL_BAND 1.25
#define SHORT_ALPHA 0.25
#define LONG_ALPHA 0.02
#define LONG_SLOW_TAU 300.0
/* Below this much extra latency nothing is "slow": timer noise. */
#define SLOW_FLOOR 0.010

struct origin {
	unsigned magic;
#define ORIGIN_MAGIC 0x0a16e7d1
	char *name;
	enum og_state state;
	double limit, ssthresh;
	unsigned inflight, inflight_max;
	/* Answers whose verdict is still to come (og_sample()) that came
	 * while the limit was in use: what they will grow it by.  Their
	 * slots went to others meanwhile, which is no evidence. */
	unsigned in_use_owed;
	double lat_short, lat_long, lat_when;
	double last_decrease;
	double paused_until;
	double tokens, refilled;
	unsigned consecutive;
	double cooldown;
	uint64_t requests, failures, slow, backoffs, breaker_opened;
	uint64_t retry_after;
	UT_hash_handle hh;
};

struct origin_guard {
	unsigned magic;
#define OG_MAGIC 0x0a16e7d0
	struct og_conf conf;
	struct origin *origins;
	double now; /* as of the last og_admit() */
};

void
og_conf_default(struct og_conf *c)
{
	memset(c, 0, sizeof *c);
	c->ceiling = 16;
	/*
	 * Four before the first answer, as TCP's initial window: an origin
	 * the ceiling says may take 16 can take 4 unseen, and a first
	 * small invalidation is not held a round trip per doubling.
	 */
	c->initial = 4;
	c->rate = 0;
	c->latency_factor = 2.0;
	c->breaker_failures = 5;
	c->breaker_cooldown = 2.0;
	c->breaker_cooldown_max = 60.0;
	c->retry_after_max = 300.0;
}

static void
forget_idle(struct origin_guard *g)
{
	struct origin *o, *tmp;

	HASH_ITER(hh, g->origins, o, tmp)
	{
		/* A pause not over yet is kept: it is the origin's word. */
		if (o->inflight > 0 || o->paused_until > g->now)
			continue;
		HASH_DEL(g->origins, o);
		free(o->name);
		o->magic = 0;
		free(o);
	}
}

int
og_conf_option(struct og_conf *c, const char *name, const char *arg, char *why,
    size_t whylen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (!strcmp(name, "origin-max")) {
		if (errno || end == arg || *end != '\0' || v != (unsigned)v ||
		    v < 1 || v > 1024) {
			snprintf(why, whylen, "--origin-max must be 1 to 1024");
			return (-1);
		}
		c->ceiling = (unsigned)v;
		return (0);
	}
	assert(!strcmp(name, "origin-rate"));
	if (errno || end == arg || *end != '\0' || !(v >= 0 && v < 1e6)) {
		snprintf(why, whylen,
		    "--origin-rate must be 0 (none) to 999999 a second");
		return (-1);
	}
	c->rate = v;
	return (0);
}

static struct origin *
get(struct origin_guard *g, const char *name)
{
	struct origin *o;

	HASH_FIND_STR(g->origins, name, o);
	if (o != NULL)
		return (o);
	if (HASH_COUNT(g->origins) >= MAX_ORIGINS)
		forget_idle(g);
	o = calloc(1, sizeof *o);
	AN(o);
	o->magic = ORIGIN_MAGIC;
	o->name = strdup(name);
	AN(o->name);
	o->state = OG_CLOSED;
	o->limit = g->conf.initial;
	/* Slow start up to the ceiling, until the origin first objects. */
	o->ssthresh = g->conf.ceiling;
	o->cooldown = g->conf.breaker_cooldown;
	o->tokens = g->conf.rate > 1 ? g->conf.rate : 1;
	o->last_decrease = -1;
	HASH_ADD_KEYPTR(hh, g->origins, o->name, strlen(o->name), o);
	return (o);
}

static unsigned
slots(const struct origin_guard *g, const struct origin *o)
{
	unsigned n = (unsigned)o->limit;

	if (n < 1)
		n = 1;
	return (n < g->conf.ceiling ? n : g->conf.ceiling);
}

double
og_admit(struct origin_guard *g, const char *name, double now)
{
	struct origin *o;
	double burst;

	CHECK_OBJ_NOTNULL(g, OG_MAGIC);
	g->now = now;
	o = get(g, name);
	if (now < o->paused_until)
		return (o->paused_until - now);
	if (o->state == OG_OPEN)
		o->state = OG_HALF_OPEN; /* the cooldown is over: probe */
	if (o->state == OG_HALF_OPEN && o->inflight > 0)
		return (WAIT_SLOT * 20);
	if (o->inflight >= slots(g, o))
		return (WAIT_SLOT);
	if (g->conf.rate > 0) {
		burst = g->conf.rate > 1 ? g->conf.rate : 1;
		o->tokens += (now - o->refilled) * g->conf.rate;
		if (o->tokens > burst)
			o->tokens = burst;
		o->refilled = now;
		/* A token short by rounding is a token. */
		if (o->tokens < 1 - 1e-9)
			return (fmax((1 - o->tokens) / g->conf.rate, 1e-3));
		o->tokens = fmax(o->tokens - 1, 0);
	}
	o->inflight++;
	if (o->inflight > o->inflight_max)
		o->inflight_max = o->inflight;
	o->requests++;
	return (0);
}

/*
 * Halve the limit, once per round trip: answers to requests sent before
 * the last decrease were sent under the old limit and say nothing new.
 */
static void
decrease(struct origin *o, double started, double now)
{
	if (started < o->last_decrease)
		return;
	o->limit = o->limit / 2;
	if (o->limit < 1)
		o->limit = 1;
	o->ssthresh = o->limit;
	o->last_decrease = now;
	o->backoffs++;
}

/*
 * Only a limit in use is evidence that a larger one would do: in use as
 * it will be once the verdicts owed have grown it, else each answer that
 * came before the first of them was judged would count, against a limit
 * already outgrown, and slow start would overshoot by as many.
 */
static int
in_use(const struct origin_guard *g, const struct origin *o)
{
	double l = o->limit;

	if (l < o->ssthresh)
		l += o->in_use_owed;
	else
		l += o->in_use_owed / l;
	if (l > g->conf.ceiling)
		l = g->conf.ceiling;
	return (o->inflight + 1 >= (unsigned)l);
}

static void
increase(const struct origin_guard *g, struct origin *o, int used)
{
	if (!used)
		return;
	if (o->limit < o->ssthresh)
		o->limit += 1;
	else
		o->limit += 1 / o->limit;
	if (o->limit > g->conf.ceiling)
		o->limit = g->conf.ceiling;
}

static void
open_breaker(struct origin_guard *g, struct origin *o, double now)
{
	o->state = OG_OPEN;
	if (o->paused_until < now + o->cooldown)
		o->paused_until = now + o->cooldown;
	o->cooldown *= 2;
	if (o->cooldown > g->conf.breaker_cooldown_max)
		o->cooldown = g->conf.breaker_cooldown_max;
	o->breaker_opened++;
	o->limit = 1;
	o->ssthresh = g->conf.ceiling;
}

static int
is_slow(const struct origin_guard *g, const struct origin *o, double lat)
{
	return (lat > o->lat_long * g->conf.latency_factor &&
	    lat - o->lat_long > SLOW_FLOOR);
}

static void
latency_sample(const struct origin_guard *g, struct origin *o, double lat,
    double now)
{
	double a;

	if (o->lat_long == 0) {
		o->lat_short = o->lat_long = lat;
		o->lat_when = now;
		return;
	}
	o->lat_short += SHORT_ALPHA * (lat - o->lat_short);
	if (lat > o->lat_long * NORMAL_BAND) {
		a = (now - o->lat_when) / LONG_SLOW_TAU;
		if (a > LONG_ALPHA)
			a = LONG_ALPHA;
	} else {
		a = LONG_ALPHA;
	}
	if (a > 0)
		o->lat_long += a * (lat - o->lat_long);
	o->lat_when = now;
}

/* A success: grows the limit, unless the origin took longer than usual. */
static void
judge(const struct origin_guard *g, struct origin *o, double now,
    const struct og_outcome *r, int used)
{
	/*
	 * A hit's latency is the cache's and the client's: on a busy
	 * machine it would halve the limit for an origin that was never
	 * asked.  It still went well, which is what the limit grows on.
	 */
	if (r->cached) {
		increase(g, o, used);
		return;
	}
	latency_sample(g, o, r->latency, now);
	if (is_slow(g, o, o->lat_short)) {
		o->slow++;
		decrease(o, r->started, now);
	} else {
		increase(g, o, used);
	}
}

void
og_done(struct origin_guard *g, const char *name, double now,
    const struct og_outcome *r)
{
	struct origin *o;
	double ra;
	int failed;

	CHECK_OBJ_NOTNULL(g, OG_MAGIC);
	AN(r);
	o = get(g, name);
	assert(o->inflight > 0);
	o->inflight--;
	failed = !r->ok || r->status >= 500 || r->status == 429;
	if (r->retry_after > 0 && (r->status == 429 || r->status == 503)) {
		ra = r->retry_after;
		if (ra > g->conf.retry_after_max)
			ra = g->conf.retry_after_max;
		if (o->paused_until < now + ra)
			o->paused_until = now + ra;
		o->retry_after++;
	}
	if (failed) {
		o->failures++;
		o->consecutive++;
		if (o->state == OG_HALF_OPEN ||
		    (o->state == OG_CLOSED &&
		        o->consecutive >= g->conf.breaker_failures))
			open_breaker(g, o, now);
		else
			decrease(o, r->started, now);
		return;
	}
	o->consecutive = 0;
	if (o->state != OG_CLOSED) {
		/* The probe came back: start again gently. */
		o->state = OG_CLOSED;
		o->cooldown = g->conf.breaker_cooldown;
		o->limit = 1;
		o->last_decrease = now;
		return;
	}
	if (r->latency_later && !r->cached) {
		/* Bounded, should a verdict never come. */
		if (in_use(g, o) && o->in_use_owed < g->conf.ceiling)
			o->in_use_owed++;
		return;
	}
	judge(g, o, now, r, in_use(g, o));
}

void
og_sample(struct origin_guard *g, const char *name, double now,
    const struct og_outcome *r)
{
	struct origin *o;
	int used;

	CHECK_OBJ_NOTNULL(g, OG_MAGIC);
	AN(r);
	HASH_FIND_STR(g->origins, name, o);
	/* Forgotten since: it starts afresh, this says nothing of it. */
	if (o == NULL)
		return;
	CHECK_OBJ(o, ORIGIN_MAGIC);
	used = o->in_use_owed > 0;
	if (used)
		o->in_use_owed--;
	/* Failing since: the breaker's probe decides now. */
	if (o->state == OG_CLOSED)
		judge(g, o, now, r, used);
}

void
og_cancel(struct origin_guard *g, const char *name)
{
	struct origin *o;

	CHECK_OBJ_NOTNULL(g, OG_MAGIC);
	o = get(g, name);
	assert(o->inflight > 0);
	o->inflight--;
}

double
og_retry_after(const char *v, double now)
{
	struct tm tm;
	char *end;
	double s;

	if (v == NULL)
		return (0);
	while (*v == ' ')
		v++;
	if (*v >= '0' && *v <= '9') {
		s = strtod(v, &end);
		while (*end == ' ')
			end++;
		return (*end == '\0' && isfinite(s) && s > 0 ? s : 0);
	}
	/* IMF-fixdate, the only date form RFC 9110 lets a sender use. */
	memset(&tm, 0, sizeof tm);
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return (0);
	s = (double)timegm(&tm) - now;
	return (s > 0 ? s : 0);
}

static void
og_fill(const struct origin *o, struct og_info *i)
{
	memset(i, 0, sizeof *i);
	i->origin = o->name;
	i->state = o->state;
	i->limit = o->limit;
	i->inflight = o->inflight;
	i->inflight_max = o->inflight_max;
	i->latency = o->lat_short;
	i->base_latency = o->lat_long;
	i->paused_until = o->paused_until;
	i->requests = o->requests;
	i->failures = o->failures;
	i->slow = o->slow;
	i->backoffs = o->backoffs;
	i->breaker_opened = o->breaker_opened;
	i->retry_after = o->retry_after;
}

int
og_info(struct origin_guard *g, const char *name, struct og_info *i)
{
	struct origin *o;

	CHECK_OBJ_NOTNULL(g, OG_MAGIC);
	HASH_FIND_STR(g->origins, name, o);
	if (o == NULL)
		return (-1);
	og_fill(o, i);
	return (0);
}

void
og_foreach(struct origin_guard *g, og_each_f *f, void *priv)
{
	struct origin *o, *tmp;
	struct og_info i;

	CHECK_OBJ_NOTNULL(g, OG_MAGIC);
	HASH_ITER(hh, g->origins, o, tmp)
	{
		og_fill(o, &i);
		f(priv, &i);
	}
}

const char *
og_state_name(enum og_state s)
{
	switch (s) {
	case OG_CLOSED:
		return ("closed");
	case OG_OPEN:
		return ("open");
	case OG_HALF_OPEN:
		return ("half-open");
	}
	return ("?");
}

struct origin_guard *
og_new(const struct og_conf *c)
{
	struct origin_guard *g;

	AN(c);
	assert(c->ceiling > 0);
	g = calloc(1, sizeof *g);
	AN(g);
	g->magic = OG_MAGIC;
	g->conf = *c;
	if (g->conf.initial < 1)
		g->conf.initial = 1;
	if (g->conf.initial > g->conf.ceiling)
		g->conf.initial = g->conf.ceiling;
	if (g->conf.latency_factor <= 1)
		g->conf.latency_factor = 2.0;
	if (g->conf.breaker_failures < 1)
		g->conf.breaker_failures = 1;
	return (g);
}

void
og_set_limits(struct origin_guard *g, unsigned ceiling, double rate)
{
	CHECK_OBJ_NOTNULL(g, OG_MAGIC);
	assert(ceiling > 0);
	assert(rate >= 0);
	g->conf.ceiling = ceiling;
	if (g->conf.initial > ceiling)
		g->conf.initial = ceiling;
	g->conf.rate = rate;
}

void
og_free(struct origin_guard **gp)
{
	struct origin_guard *g;
	struct origin *o, *tmp;

	AN(gp);
	g = *gp;
	*gp = NULL;
	if (g == NULL)
		return;
	CHECK_OBJ_NOTNULL(g, OG_MAGIC);
	HASH_ITER(hh, g->origins, o, tmp)
	{
		HASH_DEL(g->origins, o);
		free(o->name);
		o->magic = 0;
		free(o);
	}
	g->magic = 0;
	free(g);
}
