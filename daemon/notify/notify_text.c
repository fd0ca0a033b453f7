/*
 * An event's words, the same for every kind of channel: what a chat
 * message, an e-mail or a card says of a job that ended, an anomaly, a
 * report or a test.  The webhook's body is the payload itself; these are
 * for people.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/str.h"
#include "notify.h"

/*--------------------------------------------------------------------
 * Reading the payload
 */

static const char *
nt_str(json_t *o, const char *a, const char *b)
{
	json_t *v;

	v = json_object_get(o, a);
	if (b != NULL)
		v = json_object_get(v, b);
	return (json_is_string(v) ? json_string_value(v) : NULL);
}

static json_int_t
nt_int(json_t *o, const char *a, const char *b)
{
	json_t *v;

	v = json_object_get(json_object_get(o, a), b);
	return (json_is_integer(v) ? json_integer_value(v) : 0);
}

/* A number, or -1 when the payload has none (null). */
static double
nt_num(json_t *o, const char *a, const char *b)
{
	json_t *v;

	v = json_object_get(json_object_get(o, a), b);
	return (json_is_number(v) ? json_number_value(v) : -1);
}

/* A website as people call it: its name, else its base URL. */
static const char *
nt_name(json_t *w)
{
	const char *n;

	n = nt_str(w, "name", NULL);
	if (n != NULL && *n != '\0')
		return (n);
	n = nt_str(w, "base_url", NULL);
	return (n != NULL ? n : "a website");
}

static const char *
nt_website(json_t *p)
{
	return (nt_name(json_object_get(p, "website")));
}

/* A count of an object, 0 when it has none. */
static intmax_t
nt_count(json_t *o, const char *name)
{
	return ((intmax_t)json_integer_value(json_object_get(o, name)));
}

/*--------------------------------------------------------------------
 * Writing the words
 */

/* A string cut short (vsnprintf) may end inside a character: JSON takes
 * only whole ones. */
static void
nt_cut(char *buf)
{
	size_t l, k, need;
	unsigned char c;

	l = strlen(buf);
	k = l;
	while (k > 0 && l - k < 4 && ((unsigned char)buf[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0)
		return;
	c = (unsigned char)buf[k - 1];
	if (c < 0x80)
		return;
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (k - 1 + need > l)
		buf[k - 1] = '\0';
}

static void
nt_line(struct notify_text *t, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	if (t->nline == NOTIFY_LINES_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	nt_cut(buf);
	t->line[t->nline++] = str_dup(buf);
}

static void
nt_fact(struct notify_text *t, const char *name, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	if (t->nfact == NOTIFY_FACTS_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	nt_cut(buf);
	t->fact_name[t->nfact] = str_dup(name);
	t->fact_value[t->nfact++] = str_dup(buf);
}

static void
nt_link(struct notify_text *t, const char *public_url, const char *what,
    json_int_t id)
{
	size_t l;

	if (public_url == NULL || id <= 0)
		return;
	l = strlen(public_url);
	while (l > 0 && public_url[l - 1] == '/')
		l--;
	t->link =
	    str_printf("%.*s/%s/%jd", (int)l, public_url, what, (intmax_t)id);
}

/* "85.0 %", or "n/a". */
static void
nt_share(char *buf, size_t len, double v)
{
	if (v < 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.1f %%", v * 100);
}

static void
nt_job(struct notify_text *t, const struct notify_event *e, const char *pub)
{
	json_t *p = e->payload, *o;
	const char *err;
	char share[32];
	int failed;

	failed = !strcmp(e->event, "job.failed");
	t->tone = failed ? NT_BAD : NT_INFO;
	t->title =
	    str_printf("Job %jd %s: %s", (intmax_t)nt_int(p, "job", "id"),
	        failed ? "failed" : "finished", nt_website(p));
	nt_line(t, "The warm job of %s (%s) %s.", nt_website(p),
	    nt_str(p, "website", "base_url") != NULL
	        ? nt_str(p, "website", "base_url")
	        : "?",
	    failed ? "failed" : "is done");
	err = nt_str(p, "job", "error");
	if (err != NULL)
		nt_line(t, "Error: %s", err);
	nt_fact(t, "URLs", "%jd", (intmax_t)nt_int(p, "job", "urls_total"));
	nt_fact(t, "Warmed", "%jd",
	    (intmax_t)nt_int(p, "job", "urls_completed"));
	nt_fact(t, "Failed", "%jd", (intmax_t)nt_int(p, "job", "urls_failed"));
	nt_fact(t, "Duration", "%.1f s",
	    nt_num(p, "job", "duration_seconds") < 0
	        ? 0.
	        : nt_num(p, "job", "duration_seconds"));
	nt_share(share, sizeof share, nt_num(p, "job", "hit_ratio"));
	nt_fact(t, "Hit ratio", "%s", share);
	o = json_object_get(json_object_get(p, "job"), "outcomes");
	nt_fact(t, "Outcomes",
	    "%jd cached, %jd fresh, %jd uncacheable, %jd origin errors, "
	    "%jd timeouts, %jd failed",
	    nt_count(o, "cached"), nt_count(o, "fresh"),
	    nt_count(o, "uncacheable"), nt_count(o, "origin_error"),
	    nt_count(o, "timeout"), nt_count(o, "failed"));
	nt_link(t, pub, "jobs", nt_int(p, "job", "id"));
}

/* An anomaly's kind as people say it. */
static const struct {
	const char *kind, *what, *unit;
} nt_anomalies[] = {
	{ "hit_ratio", "the hit ratio of warm requests", "share" },
	{ "visitor_hit_ratio", "the hit ratio of visitors' requests", "share" },
	{ "origin_errors", "the share of origin errors and timeouts", "share" },
	{ "unreachable", "the website is unreachable", NULL },
	{ "agent_silent", "an agent is silent", "minutes" },
};

static void
nt_anomaly(struct notify_text *t, const struct notify_event *e, const char *pub)
{
	json_t *p = e->payload;
	const char *kind, *state, *what = "an anomaly", *unit = NULL;
	const char *agent;
	char v[32], th[32];
	unsigned u;
	int raised;

	kind = nt_str(p, "anomaly", "kind");
	state = nt_str(p, "anomaly", "state");
	raised = state == NULL || strcmp(state, "cleared");
	for (u = 0;
	     kind != NULL && u < sizeof nt_anomalies / sizeof nt_anomalies[0];
	     u++)
		if (!strcmp(kind, nt_anomalies[u].kind)) {
			what = nt_anomalies[u].what;
			unit = nt_anomalies[u].unit;
		}
	t->tone = raised ? NT_WARN : NT_INFO;
	t->title = str_printf("%s on %s: %s", raised ? "Anomaly" : "Cleared",
	    nt_website(p), what);
	agent = nt_str(json_object_get(p, "anomaly"), "subject", NULL);
	if (unit != NULL && !strcmp(unit, "share")) {
		nt_share(v, sizeof v, nt_num(p, "anomaly", "value"));
		nt_share(th, sizeof th, nt_num(p, "anomaly", "threshold"));
	} else {
		snprintf(v, sizeof v, "%.0f", nt_num(p, "anomaly", "value"));
		snprintf(th, sizeof th, "%.0f",
		    nt_num(p, "anomaly", "threshold"));
	}
	if (raised)
		nt_line(t, "Since %s: %s.",
		    nt_str(p, "anomaly", "started_at") != NULL
		        ? nt_str(p, "anomaly", "started_at")
		        : "now",
		    what);
	else
		nt_line(t, "It is over (%s).",
		    nt_str(p, "anomaly", "cleared_at") != NULL
		        ? nt_str(p, "anomaly", "cleared_at")
		        : "now");
	if (unit != NULL) {
		nt_fact(t, "Value", "%s", v);
		nt_fact(t, "Threshold", "%s", th);
	}
	if (agent != NULL)
		nt_fact(t, "Subject", "%s", agent);
	nt_link(t, pub, "websites", nt_int(p, "website", "id"));
}

/* A reason, how many, and a few of its URLs. */
static void
nt_uncacheable(struct notify_text *t, json_t *s)
{
	json_t *urls = json_object_get(s, "urls");

	nt_line(t, "  uncacheable: %s (%jd)%s%s%s%s%s",
	    nt_str(s, "reason", NULL) != NULL ? nt_str(s, "reason", NULL) : "?",
	    nt_count(s, "n"), json_array_size(urls) > 0 ? ": " : "",
	    json_array_size(urls) > 0
	        ? json_string_value(json_array_get(urls, 0))
	        : "",
	    json_array_size(urls) > 1 ? ", " : "",
	    json_array_size(urls) > 1
	        ? json_string_value(json_array_get(urls, 1))
	        : "",
	    json_array_size(urls) > 2 ? ", ..." : "");
}

static void
nt_report(struct notify_text *t, const struct notify_event *e, const char *pub)
{
	json_t *p = e->payload, *ws, *w, *s;
	const char *since;
	char share[32];
	size_t i, j;

	since = nt_str(p, "report", "since");
	t->title = str_printf("%s report of %s, from %.10s",
	    !strcmp(e->event, "report.weekly") ? "Weekly" : "Daily",
	    nt_str(p, "project", "name") != NULL ? nt_str(p, "project", "name")
	                                         : "your project",
	    since != NULL ? since : "?");
	ws = json_object_get(json_object_get(p, "report"), "websites");
	json_array_foreach(ws, i, w)
	{
		nt_share(share, sizeof share,
		    json_is_number(json_object_get(w, "hit_ratio"))
		        ? json_number_value(json_object_get(w, "hit_ratio"))
		        : -1);
		nt_line(t,
		    "%s: %jd jobs (%jd failed), %jd warm requests, "
		    "hit ratio %s.",
		    nt_name(w), nt_count(w, "jobs"), nt_count(w, "jobs_failed"),
		    nt_count(w, "warm_requests"), share);
		json_array_foreach(json_object_get(w, "slowest"), j, s)
		    nt_line(t, "  slow: %s (%.0f ms)",
		        nt_str(s, "url", NULL) != NULL ? nt_str(s, "url", NULL)
		                                       : "?",
		        json_number_value(json_object_get(s, "load_ms")));
		json_array_foreach(json_object_get(w, "uncacheable"), j, s)
		{
			nt_uncacheable(t, s);
		}
	}
	nt_fact(t, "Websites", "%zu", json_array_size(ws));
	nt_link(t, pub, "projects", nt_int(p, "project", "id"));
}

static void
nt_test(struct notify_text *t, const struct notify_event *e)
{
	json_t *p = e->payload;

	t->title = str_dup("Test notification from Stoke");
	nt_line(t, "The channel \"%s\" of %s works.",
	    nt_str(p, "channel", "name") != NULL ? nt_str(p, "channel", "name")
	                                         : "?",
	    nt_str(p, "project", "name") != NULL ? nt_str(p, "project", "name")
	                                         : "your project");
}

void
notify_text_init(struct notify_text *t, const struct notify_event *e,
    const char *public_url)
{
	AN(t);
	CHECK_OBJ_NOTNULL(e, NOTIFY_EVENT_MAGIC);
	INIT_OBJ(t, NOTIFY_TEXT_MAGIC);
	if (!strncmp(e->event, "job.", 4))
		nt_job(t, e, public_url);
	else if (!strncmp(e->event, "anomaly.", 8))
		nt_anomaly(t, e, public_url);
	else if (!strncmp(e->event, "report.", 7))
		nt_report(t, e, public_url);
	else if (!strcmp(e->event, "channel.test"))
		nt_test(t, e);
	else
		t->title = str_printf("Stoke: %s", e->event);
	AN(t->title);
}

void
notify_text_fini(struct notify_text *t)
{
	unsigned u;

	CHECK_OBJ_NOTNULL(t, NOTIFY_TEXT_MAGIC);
	free(t->title);
	for (u = 0; u < t->nline; u++)
		free(t->line[u]);
	for (u = 0; u < t->nfact; u++) {
		free(t->fact_name[u]);
		free(t->fact_value[u]);
	}
	free(t->link);
	memset(t, 0, sizeof *t);
}
