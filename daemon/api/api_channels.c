/*
 * A project's notification channels, their tests and deliveries.  A
 * creation or a change goes through three steps, each of which may
 * answer the request and end it:
 *
 *	1. the body (api_input), then each field's sense: the kind's
 *	   fields (a URL for webhook, slack and teams; recipients for
 *	   email), the events, the thresholds (on the loop);
 *	   a change first reads the channel, for its kind and the caller's
 *	   role;
 *	2. the URL's host, resolved on the offload threads and judged as
 *	   a website's are (addr_policy.h): a channel may not point stoked
 *	   at the operator's own network;
 *	3. the store, bound to the caller.
 *
 * A webhook's secret is made here (libsodium's CSPRNG) and shown in the
 * answer to its creation only; its deliveries are signed with it
 * (notify/notify_webhook.c).
 */

#include "config.h"

#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vsb.h"

#include "core/offload.h"
#include "fetch/addr_policy.h"
#include "store/channel_store.h"
#include "store/pg_array.h"
#include "api_answer.h"
#include "api_bodies.h"
#include "api_channels.h"
#include "api_input.h"
#include "api_tenant.h"

#define CH_SECRET_BYTES 32
#define CH_SECRET_PREFIX "whsec_"
#define CH_SECRET_LEN (sizeof CH_SECRET_PREFIX - 1 + 2 * CH_SECRET_BYTES)
#define CH_LIST_DEFAULT 50
#define CH_LIST_MAX 200

static const char *const ch_kinds[] = { "webhook", "slack", "teams", "email" };

static const char *const ch_events[] = {
	"job.finished",
	"job.failed",
	"anomaly.*",
	"anomaly.hit_ratio",
	"anomaly.visitor_hit_ratio",
	"anomaly.origin_errors",
	"anomaly.unreachable",
	"anomaly.agent_silent",
	"report.daily",
	"report.weekly",
};

/* A threshold's name and range (0018_notifications.sql's defaults). */
static const struct {
	const char *name;
	double min, max;
} ch_settings[] = {
	{ "hit_ratio_below", 0, 1 },
	{ "visitor_hit_ratio_below", 0, 1 },
	{ "origin_error_share_above", 0, 1 },
	{ "agent_silent_minutes", 1, 10080 },
	{ "min_requests", 1, 1e9 },
};
_Static_assert(sizeof ch_settings / sizeof ch_settings[0] == CH_NSETTINGS,
    "api_bodies.h counts the settings");

/*--------------------------------------------------------------------
 * How each route answers what the store says
 */

static const struct api_answer op_list = { .ok = 200,
	.what = "listing channels",
	.not_found = "no such project" };
static const struct api_answer op_create = { .ok = 201,
	.what = "creating a channel",
	.not_found = "no such project",
	.forbidden = "only an owner or an admin manages channels",
	.plan_status = 422,
	.plan = "a project has at most 50 channels" };
static const struct api_answer op_read = { .ok = 200,
	.what = "reading a channel",
	.not_found = "no such channel" };
static const struct api_answer op_change = { .ok = 200,
	.what = "changing a channel",
	.not_found = "no such channel",
	.forbidden = "only an owner or an admin manages channels" };
static const struct api_answer op_delete = { .ok = 204,
	.what = "deleting a channel",
	.not_found = "no such channel",
	.forbidden = "only an owner or an admin manages channels" };
static const struct api_answer op_test = { .ok = 202,
	.what = "testing a channel",
	.not_found = "no such channel",
	.forbidden = "only an owner or an admin tests channels" };
static const struct api_answer op_deliveries = { .ok = 200,
	.what = "listing deliveries",
	.not_found = "no such project" };

/* A request on its way through the steps above. */
struct api_ch {
	unsigned magic;
#define API_CH_MAGIC 0x5e7a0c81
	struct api_req *r;
	struct api_tenant *t;
	const struct api_answer *op;
	int64_t user, project, channel;
	json_t *body; /* a change's, or a creation's fields */
	const char *kind;
	char host[ADDR_HOST_MAX + 1]; /* the URL's, to resolve; "" none */
	unsigned mask;
	const char *why;
	char secret[CH_SECRET_LEN + 1];
};

static struct api_ch *
api_ch_new(struct api_req *r, void *priv, const struct api_answer *op,
    int64_t project, int64_t channel)
{
	struct api_ch *c;

	ALLOC_OBJ(c, API_CH_MAGIC);
	AN(c);
	CAST_OBJ_NOTNULL(c->t, priv, API_TENANT_MAGIC);
	c->r = r;
	c->op = op;
	c->user = api_caller(r)->user;
	c->project = project;
	c->channel = channel;
	return (c);
}

static void
api_ch_free(struct api_ch **cp)
{
	struct api_ch *c;

	TAKE_OBJ_NOTNULL(c, cp, API_CH_MAGIC);
	if (c->body != NULL)
		json_decref(c->body);
	sodium_memzero(c->secret, sizeof c->secret);
	FREE_OBJ(c);
}

static void
api_ch_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_ch *c;
	struct api_req *r;
	const struct api_answer *op;

	CAST_OBJ_NOTNULL(c, priv, API_CH_MAGIC);
	r = c->r;
	op = c->op;
	api_ch_free(&c);
	api_answer(r, op, st, json, err);
}

static void
api_ch_refused(struct api_ch **cp, const char *err)
{
	struct api_ch *c;

	TAKE_OBJ_NOTNULL(c, cp, API_CH_MAGIC);
	http_api_error(c->r, 503, NULL, NULL, "%s", err);
	api_ch_free(&c);
}

/* The route's :id and :channel_id (when channel is not NULL); -1 once
 * answered 404. */
static int
api_ch_ids(struct api_req *r, int64_t *project, int64_t *channel)
{
	if (api_param_id(r, "id", project) != 0) {
		http_api_error(r, 404, NULL, "id", "no such project");
		return (-1);
	}
	if (channel != NULL && api_param_id(r, "channel_id", channel) != 0) {
		http_api_error(r, 404, NULL, "channel_id", "no such channel");
		return (-1);
	}
	return (0);
}

/*--------------------------------------------------------------------
 * Step 1: each field's sense
 */

static int
api_ch_known(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return (1);
	return (0);
}

static int
api_ch_events(struct api_req *r, json_t *events)
{
	const char *e, *f;
	size_t i, j;
	json_t *v, *w;

	json_array_foreach(events, i, v)
	{
		e = json_string_value(v);
		if (!api_ch_known(e, ch_events,
		        sizeof ch_events / sizeof ch_events[0])) {
			http_api_error(r, 422, "invalid", "events",
			    "events[%zu]: %s is not an event (job.finished, "
			    "job.failed, anomaly.*, anomaly.hit_ratio, "
			    "anomaly.visitor_hit_ratio, anomaly.origin_errors, "
			    "anomaly.unreachable, anomaly.agent_silent, "
			    "report.daily, report.weekly)",
			    i, e);
			return (-1);
		}
		json_array_foreach(events, j, w)
		{
			f = json_string_value(w);
			if (j < i && !strcmp(e, f)) {
				http_api_error(r, 422, "invalid", "events",
				    "events[%zu]: %s is given twice", i, e);
				return (-1);
			}
		}
	}
	return (0);
}

static int
api_ch_settings(struct api_req *r, json_t *settings)
{
	const char *k;
	json_t *v;
	size_t i;
	double d;

	json_object_foreach(settings, k, v)
	{
		for (i = 0; i < CH_NSETTINGS; i++)
			if (!strcmp(k, ch_settings[i].name))
				break;
		if (i == CH_NSETTINGS) {
			http_api_error(r, 422, "invalid", "settings",
			    "settings.%s: no such setting (hit_ratio_below, "
			    "visitor_hit_ratio_below, "
			    "origin_error_share_above, agent_silent_minutes, "
			    "min_requests)",
			    k);
			return (-1);
		}
		d = json_number_value(v);
		if (d < ch_settings[i].min || d > ch_settings[i].max) {
			http_api_error(r, 422, "invalid", "settings",
			    "settings.%s is from %g to %g", k,
			    ch_settings[i].min, ch_settings[i].max);
			return (-1);
		}
	}
	return (0);
}

/* An address of one '@' between two parts, nothing a header or an
 * envelope would read otherwise. */
static int
api_ch_recipients(struct api_req *r, json_t *to)
{
	const char *a, *at, *p;
	size_t i;
	json_t *v;

	json_array_foreach(to, i, v)
	{
		a = json_string_value(v);
		at = strchr(a, '@');
		for (p = a; *p != '\0'; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
			    strchr("<>,;:\"()[]\\", *p) != NULL)
				break;
		if (*p != '\0' || at == NULL || at == a || at[1] == '\0' ||
		    strchr(at + 1, '@') != NULL) {
			http_api_error(r, 422, "invalid_email", "recipients",
			    "recipients[%zu]: %s is not an e-mail address", i,
			    a);
			return (-1);
		}
	}
	return (0);
}

/*
 * What the kind needs and allows: -1 once answered.  On creation
 * (create), what it needs must be given.
 */
static int
api_ch_kind(struct api_ch *c, json_t **v, int create)
{
	struct addr_url u;
	const char *why;
	int email;

	email = !strcmp(c->kind, "email");
	if (email && v[CH_URL] != NULL) {
		http_api_error(c->r, 422, "kind_field", "url",
		    "an e-mail channel has recipients, not a url");
		return (-1);
	}
	if (!email && v[CH_RECIPIENTS] != NULL) {
		http_api_error(c->r, 422, "kind_field", "recipients",
		    "a %s channel has a url, not recipients", c->kind);
		return (-1);
	}
	if (create && email && v[CH_RECIPIENTS] == NULL) {
		http_api_error(c->r, 422, "required", "recipients",
		    "an e-mail channel needs its recipients");
		return (-1);
	}
	if (create && !email && v[CH_URL] == NULL) {
		http_api_error(c->r, 422, "required", "url",
		    "a %s channel needs its url", c->kind);
		return (-1);
	}
	if (v[CH_URL] == NULL)
		return (0);
	if (addr_url_parse(json_string_value(v[CH_URL]), &u, &why) != 0) {
		http_api_error(c->r, 422, "invalid_url", "url", "url: %s", why);
		return (-1);
	}
	snprintf(c->host, sizeof c->host, "%s", u.host);
	return (0);
}

/* What every body may hold, whatever its kind: -1 once answered. */
static int
api_ch_fields(struct api_req *r, json_t **v)
{
	if (v[CH_EVENTS] != NULL && api_ch_events(r, v[CH_EVENTS]) != 0)
		return (-1);
	if (v[CH_SETTINGS] != NULL && api_ch_settings(r, v[CH_SETTINGS]) != 0)
		return (-1);
	if (v[CH_RECIPIENTS] != NULL &&
	    api_ch_recipients(r, v[CH_RECIPIENTS]) != 0)
		return (-1);
	return (0);
}

/*--------------------------------------------------------------------
 * Step 3
 */

static char *
api_ch_array(json_t *a)
{
	struct vsb *vsb;
	size_t i;
	json_t *v;
	char *s;

	vsb = pg_array_new();
	json_array_foreach(a, i, v)
	{
		pg_array_text(vsb, json_string_value(v));
	}
	pg_array_end(vsb);
	s = strdup(VSB_data(vsb));
	AN(s);
	VSB_destroy(&vsb);
	return (s);
}

/* The channel as listed, and its secret, this once. */
static void
api_ch_created(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_ch *c;
	json_t *ch;

	CAST_OBJ_NOTNULL(c, priv, API_CH_MAGIC);
	if (st != AS_OK || json == NULL || c->secret[0] == '\0') {
		api_ch_done(c, st, json, err);
		return;
	}
	ch = json_loads(json, 0, NULL);
	AN(ch);
	AZ(json_object_set_new(ch, "secret", json_string(c->secret)));
	http_api_reply(c->r, 201, ch, NULL);
	api_ch_free(&c);
}

static void
api_ch_create(struct api_ch *c)
{
	struct cs_channel ch;
	char *events, *recipients = NULL, *settings = NULL;
	json_t *b = c->body;
	const char *err;
	int rv;

	memset(&ch, 0, sizeof ch);
	ch.kind = c->kind;
	ch.name = json_string_value(json_object_get(b, "name"));
	ch.url = json_string_value(json_object_get(b, "url"));
	events = api_ch_array(json_object_get(b, "events"));
	ch.events = events;
	if (json_object_get(b, "recipients") != NULL) {
		recipients = api_ch_array(json_object_get(b, "recipients"));
		ch.recipients = recipients;
	}
	if (json_object_get(b, "settings") != NULL) {
		settings =
		    json_dumps(json_object_get(b, "settings"), JSON_COMPACT);
		AN(settings);
		ch.settings = settings;
	}
	ch.enabled = !json_is_false(json_object_get(b, "enabled"));
	if (!strcmp(c->kind, "webhook")) {
		unsigned char raw[CH_SECRET_BYTES];

		randombytes_buf(raw, sizeof raw);
		strcpy(c->secret, CH_SECRET_PREFIX);
		AN(sodium_bin2hex(c->secret + strlen(CH_SECRET_PREFIX),
		    sizeof c->secret - strlen(CH_SECRET_PREFIX), raw,
		    sizeof raw));
		sodium_memzero(raw, sizeof raw);
		ch.secret = c->secret;
	}
	rv = cs_create(c->t->pool, c->user, c->project, &ch, api_ch_created, c,
	    &err);
	free(events);
	free(recipients);
	free(settings);
	if (rv != 0)
		api_ch_refused(&c, err);
}

static void
api_ch_store(struct api_ch *c)
{
	const char *err;
	char *set;
	int rv;

	if (c->op == &op_create) {
		api_ch_create(c);
		return;
	}
	set = json_dumps(c->body, JSON_COMPACT);
	AN(set);
	rv = cs_update(c->t->pool, c->user, c->project, c->channel, set,
	    api_ch_done, c, &err);
	free(set);
	if (rv != 0)
		api_ch_refused(&c, err);
}

/*--------------------------------------------------------------------
 * Step 2: the URL's host
 */

static void
api_ch_resolve(void *priv)
{
	struct api_ch *c;

	/* On an offload thread: c is the thread's alone until done. */
	CAST_OBJ_NOTNULL(c, priv, API_CH_MAGIC);
	c->mask = addr_resolve(c->host, &c->why);
}

static void
api_ch_resolved(void *priv)
{
	struct api_ch *c;
	unsigned bad;

	CAST_OBJ_NOTNULL(c, priv, API_CH_MAGIC);
	if (c->mask == 0) {
		http_api_error(c->r, 422, "unresolvable_host", "url",
		    "url: %s: %s", c->host, c->why);
		api_ch_free(&c);
		return;
	}
	bad = addr_verdict(c->mask, c->t->allow_private);
	if (bad != 0) {
		http_api_error(c->r, 422, "forbidden_address", "url",
		    "url: %s is %s, which stoked does not send to for a "
		    "tenant",
		    c->host, addr_class_name((enum addr_class)bad));
		api_ch_free(&c);
		return;
	}
	api_ch_store(c);
}

/* Step 2 if there is a host to judge, else step 3. */
static void
api_ch_check(struct api_ch *c)
{
	if (c->host[0] != '\0')
		offload_run(c->t->offload, api_ch_resolve, api_ch_resolved, c);
	else
		api_ch_store(c);
}

/*--------------------------------------------------------------------
 * A change: the channel read first
 */

static void
api_ch_read(void *priv, enum as_status st, const char *json, const char *err)
{
	json_t *v[CH__NFIELDS], *ch;
	struct api_ch *c;
	const char *role;
	unsigned i;
	int rv;

	CAST_OBJ_NOTNULL(c, priv, API_CH_MAGIC);
	if (st != AS_OK || json == NULL) {
		c->op = &op_change;
		api_ch_done(c, st, json, err);
		return;
	}
	ch = json_loads(json, 0, NULL);
	AN(ch);
	role = json_string_value(json_object_get(ch, "role"));
	AN(role);
	if (strcmp(role, "owner") && strcmp(role, "admin")) {
		json_decref(ch);
		http_api_error(c->r, 403, NULL, NULL, "%s",
		    op_change.forbidden);
		api_ch_free(&c);
		return;
	}
	for (i = 0; i < CH_KIND; i++)
		v[i] = json_object_get(c->body, api_ch_change_fields[i].name);
	c->kind = json_string_value(json_object_get(ch, "kind"));
	AN(c->kind);
	/* The kind's name is one of the table's, which outlive ch. */
	for (i = 0; i < sizeof ch_kinds / sizeof ch_kinds[0]; i++)
		if (!strcmp(c->kind, ch_kinds[i]))
			c->kind = ch_kinds[i];
	json_decref(ch);
	c->op = &op_change;
	rv = api_ch_kind(c, v, 0);
	if (rv != 0) {
		api_ch_free(&c);
		return;
	}
	api_ch_check(c);
}

/*--------------------------------------------------------------------
 * The routes
 */

void
api_channels_get(struct api_req *r, void *priv)
{
	struct api_ch *c;
	const char *err;
	int64_t id;

	if (api_ch_ids(r, &id, NULL) != 0)
		return;
	c = api_ch_new(r, priv, &op_list, id, 0);
	if (cs_list(c->t->pool, c->user, id, api_ch_done, c, &err) != 0)
		api_ch_refused(&c, err);
}

void
api_channels_post(struct api_req *r, void *priv)
{
	json_t *v[CH__NFIELDS];
	struct api_ch *c;
	const char *kind;
	unsigned i;
	int64_t id;

	if (api_ch_ids(r, &id, NULL) != 0 ||
	    api_input(r, api_ch_create_fields, CH__NFIELDS, v) != 0 ||
	    api_ch_fields(r, v) != 0)
		return;
	kind = json_string_value(v[CH_KIND]);
	for (i = 0; i < sizeof ch_kinds / sizeof ch_kinds[0]; i++)
		if (!strcmp(kind, ch_kinds[i]))
			break;
	if (i == sizeof ch_kinds / sizeof ch_kinds[0]) {
		http_api_error(r, 422, "invalid", "kind",
		    "kind is webhook, slack, teams or email");
		return;
	}
	c = api_ch_new(r, priv, &op_create, id, 0);
	c->kind = ch_kinds[i];
	if (api_ch_kind(c, v, 1) != 0) {
		api_ch_free(&c);
		return;
	}
	c->body = json_incref(api_body(r));
	api_ch_check(c);
}

void
api_channel_patch(struct api_req *r, void *priv)
{
	json_t *v[CH__NFIELDS];
	struct api_ch *c;
	const char *err;
	int64_t id, ch;

	if (api_ch_ids(r, &id, &ch) != 0 ||
	    api_input(r, api_ch_change_fields, CH_KIND, v) != 0 ||
	    api_ch_fields(r, v) != 0)
		return;
	c = api_ch_new(r, priv, &op_read, id, ch);
	c->body = json_incref(api_body(r));
	if (cs_get(c->t->pool, c->user, id, ch, api_ch_read, c, &err) != 0)
		api_ch_refused(&c, err);
}

void
api_channel_delete(struct api_req *r, void *priv)
{
	struct api_ch *c;
	const char *err;
	int64_t id, ch;

	if (api_ch_ids(r, &id, &ch) != 0)
		return;
	c = api_ch_new(r, priv, &op_delete, id, ch);
	if (cs_delete(c->t->pool, c->user, id, ch, api_ch_done, c, &err) != 0)
		api_ch_refused(&c, err);
}

void
api_channel_test_post(struct api_req *r, void *priv)
{
	struct api_ch *c;
	const char *err;
	int64_t id, ch;

	if (api_ch_ids(r, &id, &ch) != 0)
		return;
	c = api_ch_new(r, priv, &op_test, id, ch);
	if (cs_test(c->t->pool, c->user, id, ch, api_ch_done, c, &err) != 0)
		api_ch_refused(&c, err);
}

void
api_deliveries_get(struct api_req *r, void *priv)
{
	struct api_ch *c;
	const char *err;
	int64_t id, ch, before, limit;

	if (api_ch_ids(r, &id, NULL) != 0)
		return;
	if (api_query_int(r, "channel", 0, 1, INT64_MAX, &ch) != 0) {
		http_api_error(r, 422, "invalid", "channel",
		    "channel is a channel's id");
		return;
	}
	if (api_query_int(r, "before", 0, 1, INT64_MAX, &before) != 0) {
		http_api_error(r, 422, "invalid", "before",
		    "before is a delivery's id");
		return;
	}
	if (api_query_int(r, "limit", CH_LIST_DEFAULT, 1, CH_LIST_MAX,
	        &limit) != 0) {
		http_api_error(r, 422, "invalid", "limit",
		    "limit is from 1 to %d", CH_LIST_MAX);
		return;
	}
	c = api_ch_new(r, priv, &op_deliveries, id, 0);
	if (cs_deliveries(c->t->pool, c->user, id, ch, before, (unsigned)limit,
	        api_ch_done, c, &err) != 0)
		api_ch_refused(&c, err);
}
