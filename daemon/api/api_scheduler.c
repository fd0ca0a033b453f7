/*
 * The scheduler of api_scheduler.h.
 *
 * A look is one read of the due websites (at most SCHED_BATCH), then one
 * statement for each: arm it (its first slot, once its schedule is
 * new) or claim its slot.  The next look waits for the last answer; a
 * full batch is followed by another look at once.
 */

#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/cron.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/test_clock.h"
#include "core/tzfile.h"
#include "store/schedule_store.h"
#include "api_scheduler.h"
#include "api_tasks.h"

#define SCHED_BATCH 64

struct api_scheduler {
	unsigned magic;
#define API_SCHEDULER_MAGIC 0x5e7a0d11
	struct pg_pool *pool;
	const char *clock;
	struct event *timer;
	struct timeval period;
	unsigned pending; /* statements of this look in flight */
	int full; /* the look read a full batch */
	int stopped;
	uint64_t started, skipped;
};

/* One statement about one website, until it answers. */
struct sched_op {
	unsigned magic;
#define SCHED_OP_MAGIC 0x5e7a0d12
	struct api_scheduler *s;
	int64_t website;
};

static void sched_look(struct api_scheduler *);

/* The look is over once nothing is in flight: the next, soon or now. */
static void
sched_done(struct api_scheduler *s)
{
	CHECK_OBJ_NOTNULL(s, API_SCHEDULER_MAGIC);
	assert(s->pending > 0);
	if (--s->pending > 0 || s->stopped)
		return;
	if (s->full)
		event_active(s->timer, EV_TIMEOUT, 0);
}

static struct sched_op *
sched_op_new(struct api_scheduler *s, int64_t website)
{
	struct sched_op *op;

	ALLOC_OBJ(op, SCHED_OP_MAGIC);
	AN(op);
	op->s = s;
	op->website = website;
	s->pending++;
	return (op);
}

/* The op's statement was refused before it left: said, and undone. */
static void
sched_op_refused(struct sched_op *op, const char *err)
{
	struct api_scheduler *s;

	CHECK_OBJ_NOTNULL(op, SCHED_OP_MAGIC);
	s = op->s;
	log_warning("schedule", "website %jd: %s", (intmax_t)op->website, err);
	FREE_OBJ(op);
	sched_done(s);
}

/*--------------------------------------------------------------------
 * Arming and claiming
 */

static void
sched_armed(void *priv, enum as_status st, const char *json, const char *err)
{
	struct sched_op *op;
	struct api_scheduler *s;

	CAST_OBJ_NOTNULL(op, priv, SCHED_OP_MAGIC);
	(void)json;
	s = op->s;
	if (st == AS_ERROR && !s->stopped)
		log_warning("schedule", "arming website %jd: %s",
		    (intmax_t)op->website, err);
	FREE_OBJ(op);
	sched_done(s);
}

static void
sched_claimed(void *priv, enum as_status st, const char *json, const char *err)
{
	struct sched_op *op;
	struct api_scheduler *s;
	const char *outcome;
	json_t *a;

	CAST_OBJ_NOTNULL(op, priv, SCHED_OP_MAGIC);
	s = op->s;
	if (st != AS_OK || json == NULL) {
		if (!s->stopped)
			log_warning("schedule", "claiming website %jd: %s",
			    (intmax_t)op->website, err);
	} else {
		a = json_loads(json, 0, NULL);
		AN(a);
		outcome = json_string_value(json_object_get(a, "outcome"));
		AN(outcome);
		if (!strcmp(outcome, "started")) {
			s->started++;
			log_info("schedule", "website %jd: job %jd started",
			    (intmax_t)op->website,
			    (intmax_t)json_integer_value(
			        json_object_get(a, "job_id")));
		} else if (!strcmp(outcome, "skipped")) {
			s->skipped++;
			log_notice("schedule",
			    "website %jd: slot skipped, job %jd still runs",
			    (intmax_t)op->website,
			    (intmax_t)json_integer_value(
			        json_object_get(a, "busy_job_id")));
		}
		json_decref(a);
	}
	FREE_OBJ(op);
	sched_done(s);
}

/* The slot after now, by the website's schedule and zone; -1: never
 * (a schedule or a zone this stoked cannot read: parked until changed). */
static int64_t
sched_next(int64_t id, const char *expr, const char *zone, int64_t now)
{
	const struct tz *z;
	char why[256];
	struct cron c;
	int64_t next;

	z = tz_get(zone, why, sizeof why);
	if (z == NULL) {
		log_warning("schedule", "website %jd: schedule_tz: %s",
		    (intmax_t)id, why);
		return (-1);
	}
	if (cron_parse(expr, &c, why, sizeof why) != 0) {
		log_warning("schedule", "website %jd: schedule: %s",
		    (intmax_t)id, why);
		return (-1);
	}
	if (cron_next(&c, z, now, &next) != 0)
		return (-1);
	return (next);
}

static void
sched_claim(struct api_scheduler *s, json_t *w, int64_t now, int64_t next)
{
	struct sc_claim c;
	struct sched_op *op;
	char **variants = NULL, field[32], why[256], *start;
	const char *err, *sitemap;
	unsigned n = 0;

	memset(&c, 0, sizeof c);
	c.website = json_integer_value(json_object_get(w, "id"));
	c.schedule = json_string_value(json_object_get(w, "schedule"));
	c.tz = json_string_value(json_object_get(w, "schedule_tz"));
	c.slot = json_integer_value(json_object_get(w, "slot"));
	c.next = next;
	c.now = now;
	sitemap = json_string_value(json_object_get(w, "sitemap_url"));
	op = sched_op_new(s, c.website);
	/* The API checked the website's variants when they were set. */
	if (api_task_variants_of(json_object_get(w, "variants"), &variants, &n,
	        field, sizeof field, why, sizeof why) != 0) {
		api_task_variants_free(&variants, n);
		sched_op_refused(op, why);
		return;
	}
	start = api_task_sitemap_start(json_string_value(
	                                   json_object_get(w, "base_url")),
	    sitemap);
	c.start = start;
	c.variants = (const char *const *)variants;
	c.nvariant = n;
	if (sc_claim(s->pool, &c, sched_claimed, op, &err) != 0)
		sched_op_refused(op, err);
	free(start);
	api_task_variants_free(&variants, n);
}

static void
sched_website(struct api_scheduler *s, json_t *w, int64_t now)
{
	const char *expr, *zone, *err;
	struct sched_op *op;
	int64_t id, next;

	id = json_integer_value(json_object_get(w, "id"));
	expr = json_string_value(json_object_get(w, "schedule"));
	zone = json_string_value(json_object_get(w, "schedule_tz"));
	AN(expr);
	AN(zone);
	next = sched_next(id, expr, zone, now);
	if (!json_is_null(json_object_get(w, "slot"))) {
		sched_claim(s, w, now, next);
		return;
	}
	op = sched_op_new(s, id);
	if (sc_arm(s->pool, id, expr, zone, next, sched_armed, op, &err) != 0)
		sched_op_refused(op, err);
}

/*--------------------------------------------------------------------
 * Looks
 */

struct sched_look {
	unsigned magic;
#define SCHED_LOOK_MAGIC 0x5e7a0d13
	struct api_scheduler *s;
	int64_t now;
};

static void
sched_due(void *priv, enum as_status st, const char *json, const char *err)
{
	struct sched_look *l;
	struct api_scheduler *s;
	json_t *a, *list, *w;
	int64_t now;
	size_t i;

	CAST_OBJ_NOTNULL(l, priv, SCHED_LOOK_MAGIC);
	s = l->s;
	now = l->now;
	FREE_OBJ(l);
	if (st != AS_OK || json == NULL) {
		if (!s->stopped)
			log_warning("schedule", "reading due websites: %s",
			    err);
		s->full = 0;
		sched_done(s);
		return;
	}
	a = json_loads(json, 0, NULL);
	AN(a);
	list = json_object_get(a, "websites");
	s->full = json_array_size(list) >= SCHED_BATCH;
	/* The look's own count holds the look open until each is sent. */
	json_array_foreach(list, i, w) sched_website(s, w, now);
	json_decref(a);
	sched_done(s);
}

static void
sched_look(struct api_scheduler *s)
{
	struct sched_look *l;
	const char *err;
	int64_t now;

	CHECK_OBJ_NOTNULL(s, API_SCHEDULER_MAGIC);
	if (s->pending > 0 || s->stopped)
		return;
	now = test_clock_now(s->clock);
	if (now < 0)
		return;
	ALLOC_OBJ(l, SCHED_LOOK_MAGIC);
	AN(l);
	l->s = s;
	l->now = now;
	s->pending++;
	if (sc_due(s->pool, now, SCHED_BATCH, sched_due, l, &err) != 0) {
		/* The database is away: the next look will tell. */
		log_debug("schedule", "reading due websites: %s", err);
		FREE_OBJ(l);
		s->pending--;
	}
}

static void
sched_tick(evutil_socket_t fd, short what, void *priv)
{
	struct api_scheduler *s;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(s, priv, API_SCHEDULER_MAGIC);
	sched_look(s);
}

struct api_scheduler *
api_scheduler_new(struct event_base *eb, struct pg_pool *pool,
    const char *clock, double period)
{
	struct api_scheduler *s;

	AN(eb);
	AN(pool);
	assert(period > 0);
	ALLOC_OBJ(s, API_SCHEDULER_MAGIC);
	AN(s);
	s->pool = pool;
	s->clock = clock;
	s->period.tv_sec = (time_t)period;
	s->period.tv_usec =
	    (suseconds_t)((period - (double)(time_t)period) * 1e6);
	s->timer = event_new(eb, -1, EV_PERSIST, sched_tick, s);
	AN(s->timer);
	AZ(event_add(s->timer, &s->period));
	if (clock != NULL)
		log_warning("schedule",
		    "the time is what %s says (--test-clock): for tests only",
		    clock);
	return (s);
}

void
api_scheduler_stop(struct api_scheduler *s)
{
	CHECK_OBJ_NOTNULL(s, API_SCHEDULER_MAGIC);
	s->stopped = 1;
	if (s->timer != NULL) {
		event_free(s->timer);
		s->timer = NULL;
	}
}

void
api_scheduler_free(struct api_scheduler **sp)
{
	struct api_scheduler *s;

	TAKE_OBJ_NOTNULL(s, sp, API_SCHEDULER_MAGIC);
	AZ(s->timer);
	AZ(s->pending);
	FREE_OBJ(s);
}

void
api_scheduler_metrics(void *priv, struct metrics *m)
{
	struct api_scheduler *s;

	CAST_OBJ_NOTNULL(s, priv, API_SCHEDULER_MAGIC);
	metrics_u64(m, M_SCHEDULE_SLOTS, s->started, "outcome", "started",
	    NULL);
	metrics_u64(m, M_SCHEDULE_SLOTS, s->skipped, "outcome", "skipped",
	    NULL);
}
