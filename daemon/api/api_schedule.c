/*
 * A website's schedule: the store's row, and the next runs computed
 * here, from the same clock and code as the scheduler's.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/cron.h"
#include "core/test_clock.h"
#include "core/tzfile.h"
#include "store/schedule_store.h"
#include "api_answer.h"
#include "api_schedule.h"
#include "api_tenant.h"

static const struct api_answer op_schedule = { .ok = 200,
	.what = "reading a website's schedule",
	.not_found = "no such website" };

struct api_sc {
	unsigned magic;
#define API_SC_MAGIC 0x5e7a0d21
	struct api_req *r;
	struct api_tenant *t;
};

/*
 * next_runs (UTC) and next_runs_local (the zone's wall time, with its
 * offset) from now on; "error" when the schedule cannot run (the zone
 * gone from this machine, say).
 */
static void
api_sc_runs(json_t *a, const char *expr, const char *zone, int64_t now)
{
	json_t *utc, *local;
	const struct tz *z;
	char why[256], iso[TZ_ISO_LEN];
	struct cron c;
	int64_t t;
	unsigned i;

	snprintf(why, sizeof why, "no date of the next %d years matches it",
	    CRON_HORIZON_YEARS);
	utc = json_array();
	local = json_array();
	AN(utc);
	AN(local);
	z = tz_get(zone, why, sizeof why);
	if (expr != NULL && z != NULL &&
	    cron_parse(expr, &c, why, sizeof why) == 0) {
		for (t = now, i = 0; i < API_SCHEDULE_RUNS; i++) {
			if (cron_next(&c, z, t, &t) != 0)
				break;
			tz_iso(NULL, t, iso);
			AZ(json_array_append_new(utc, json_string(iso)));
			tz_iso(z, t, iso);
			AZ(json_array_append_new(local, json_string(iso)));
		}
	}
	AZ(json_object_set_new(a, "error",
	    expr != NULL && json_array_size(utc) == 0 ? json_string(why)
	                                              : json_null()));
	AZ(json_object_set_new(a, "next_runs", utc));
	AZ(json_object_set_new(a, "next_runs_local", local));
	tz_iso(NULL, now, iso);
	AZ(json_object_set_new(a, "now", json_string(iso)));
}

static void
api_sc_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_sc *sc;
	struct api_req *r;
	int64_t now;
	json_t *a;

	CAST_OBJ_NOTNULL(sc, priv, API_SC_MAGIC);
	r = sc->r;
	now = test_clock_now(sc->t->test_clock);
	FREE_OBJ(sc);
	if (st != AS_OK || json == NULL) {
		api_answer(r, &op_schedule, st, json, err);
		return;
	}
	if (now < 0)
		now = test_clock_now(NULL);
	a = json_loads(json, 0, NULL);
	AN(a);
	api_sc_runs(a, json_string_value(json_object_get(a, "schedule")),
	    json_string_value(json_object_get(a, "schedule_tz")), now);
	http_api_reply(r, 200, a, NULL);
}

void
api_website_schedule_get(struct api_req *r, void *priv)
{
	struct api_sc *sc;
	const char *err;
	int64_t id;

	if (api_param_id(r, "id", &id) != 0) {
		http_api_error(r, 404, NULL, "id", "no such website");
		return;
	}
	ALLOC_OBJ(sc, API_SC_MAGIC);
	AN(sc);
	sc->r = r;
	CAST_OBJ_NOTNULL(sc->t, priv, API_TENANT_MAGIC);
	if (sc_schedule(sc->t->pool, api_caller(r)->user, id, api_sc_done, sc,
	        &err) != 0) {
		FREE_OBJ(sc);
		http_api_error(r, 503, NULL, NULL, "%s", err);
	}
}
