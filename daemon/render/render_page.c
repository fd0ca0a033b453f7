/*
 * A page's life: a browser context and a target made for it, attached
 * as a flattened session; the session set up (pipelined: the browser
 * runs one session's commands in order) and navigated; at the load
 * event, scrolled to its end; once quiet, its timings read; then the
 * target and its context closed, whatever happened.  A time bound
 * covers it all: a page that never loads, never goes quiet or hangs
 * its renderer ends at the bound, with what it had asked for so far.
 *
 * Requests are answered as they come (Fetch.requestPaused) from a
 * fetch of our own; one in flight when the page ends is left to finish
 * on its own (orphaned), since the fetcher cannot take it back.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <sodium.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vsb.h"
#include "vtim.h"

#include "core/log.h"
#include "fetch/addr_policy.h"
#include "warm/warm_url.h"
#include "cdp_pipe.h"
#include "render_idle.h"
#include "render_page.h"

#define RP_BODY_MAX (16u << 20) /* a response larger fails in the page */
#define RP_TIMEOUT 30.0
#define RP_QUIET 0.5
#define RP_MAX_SUBS 2000 /* what one page may pull in, recorded */
#define RP_MAX_LONGTASKS 50

/* Run in every frame before its own scripts: what the timings need. */
static const char rp_observe_js[] =
    "(() => { if (window.__stoke) return;"
    " const s = window.__stoke = { lcp: -1, lt: [], popups: 0 };"
    " const open = window.open;"
    " window.open = function () { s.popups++;"
    "   return open.apply(this, arguments); };"
    " try { new PerformanceObserver(l => { for (const e of l.getEntries())"
    "   s.lcp = e.renderTime || e.loadTime || e.startTime; })"
    "   .observe({ type: 'largest-contentful-paint', buffered: true });"
    " } catch (e) {}"
    " try { new PerformanceObserver(l => { for (const e of l.getEntries())"
    "   s.lt.push(e.startTime + e.duration); })"
    "   .observe({ type: 'longtask', buffered: true });"
    " } catch (e) {} })();";

/*
 * A viewport at a time down to the end, so that each lazy element on
 * the way is seen (IntersectionObserver fires for what was in view at
 * a frame, not for what a jump passed over); again while the page
 * grows, within 200 steps and 5 s.
 */
static const char rp_scroll_js[] =
    "(async () => { const t0 = Date.now();"
    " const frame = () => new Promise(r => setTimeout(r, 50));"
    " let y = 0;"
    " for (let i = 0; i < 200 && Date.now() - t0 < 5000; i++) {"
    "   const h = document.documentElement.scrollHeight;"
    "   if (y >= h - window.innerHeight && i > 0) {"
    "     await frame();"
    "     if (document.documentElement.scrollHeight <= h) break;"
    "   }"
    "   y = Math.min(y + window.innerHeight, h);"
    "   window.scrollTo(0, y); await frame(); }"
    " return true; })()";

static const char rp_timings_js[] =
    "(() => { const n = performance.getEntriesByType('navigation')[0]"
    " || {}; const s = window.__stoke || { lcp: -1, lt: [] };"
    " const r = x => typeof x === 'number' && x > 0 ? x : -1;"
    " return { ttfb: r(n.responseStart), dcl: r(n.domContentLoadedEventEnd),"
    "   load: r(n.loadEventEnd), lcp: r(s.lcp), lt: s.lt.slice(-50),"
    "   popups: s.popups || 0 }; })()";

enum rp_state {
	RP_CONTEXT, /* making its browser context */
	RP_TARGET, /* making its target */
	RP_ATTACH, /* attaching to it */
	RP_SETUP, /* its session set up */
	RP_LOADING, /* navigated, until the load event */
	RP_SCROLLING,
	RP_SETTLING, /* until the network is quiet */
	RP_TIMINGS, /* reading them */
	RP_DONE,
};

/* A session of the page: its own, or a frame's or a worker's. */
struct rp_session {
	unsigned magic;
#define RP_SESSION_MAGIC 0x2c0f7a11
	char *id;
	VTAILQ_ENTRY(rp_session) list;
};

/* A paused request, fetched for the page. */
struct rp_fetch {
	unsigned magic;
#define RP_FETCH_MAGIC 0x2c0f7a12
	struct render_page *rp; /* NULL: the page ended meanwhile */
	char *session, *rid, *url, *type;
	int document; /* the page's own */
	int favicon; /* the browser's own, not the page's */
	char target[4096];
	char host[1024];
	char accept[256];
	VTAILQ_ENTRY(rp_fetch) list;
};

struct render_page {
	unsigned magic;
#define RENDER_PAGE_MAGIC 0x2c0f7a13
	struct event_base *eb;
	struct cdp_pipe *cdp;
	struct fetcher *f;
	enum rp_state state;
	/* The request, copied */
	char *url, *node;
	char *hosts[RENDER_MAX_HOSTS];
	unsigned nhost;
	char *hdrs[RENDER_MAX_HDRS];
	unsigned nhdr;
	enum fetch_addr addr;
	double timeout, quiet;
	render_done_f *done;
	void *priv;
	/* The browser's names for what is ours */
	char *context, *target;
	VTAILQ_HEAD(, rp_session) sessions; /* the first is the page's */
	VTAILQ_HEAD(, rp_fetch) fetches;
	struct render_idle idle;
	double t0;
	struct event *bound, *settle, *fin;
	struct render_sub *subs;
	unsigned nsub;
	struct render_report rep;
	double longtasks[RP_MAX_LONGTASKS];
	unsigned nlongtask;
	unsigned setup; /* commands of the set-up not answered yet */
	char why[256];
};

static void rp_end(struct render_page *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
rp_dup(const char *s)
{
	char *d;

	if (s == NULL)
		return (NULL);
	d = strdup(s);
	AN(d);
	return (d);
}

static const char *
rp_main_session(const struct render_page *rp)
{
	struct rp_session *s = VTAILQ_FIRST(&rp->sessions);

	return (s != NULL ? s->id : NULL);
}

static struct rp_session *
rp_session_find(const struct render_page *rp, const char *id)
{
	struct rp_session *s;

	if (id == NULL)
		return (NULL);
	VTAILQ_FOREACH(s, &rp->sessions, list)
	if (!strcmp(s->id, id))
		return (s);
	return (NULL);
}

static void
rp_session_add(struct render_page *rp, const char *id)
{
	struct rp_session *s;

	ALLOC_OBJ(s, RP_SESSION_MAGIC);
	AN(s);
	s->id = rp_dup(id);
	VTAILQ_INSERT_TAIL(&rp->sessions, s, list);
}

/* A command whose answer does not matter: what fails shows elsewhere. */
static void
rp_send(struct render_page *rp, const char *session, const char *method,
    json_t *params)
{
	(void)cdp_pipe_call(rp->cdp, session, method, params, NULL, NULL);
}

/*--------------------------------------------------------------------
 * The report
 */

static void
rp_sub_add(struct render_page *rp, const struct rp_fetch *pf,
    const struct fetch_result *res)
{
	struct render_sub *s;
	unsigned u;

	for (u = 0; u < rp->nsub; u++)
		if (!strcmp(rp->subs[u].url, pf->url))
			return;
	if (rp->nsub == RP_MAX_SUBS)
		return;
	if (rp->nsub % 64 == 0) {
		rp->subs =
		    realloc(rp->subs, (rp->nsub + 64) * sizeof *rp->subs);
		AN(rp->subs);
	}
	s = &rp->subs[rp->nsub++];
	memset(s, 0, sizeof *s);
	s->url = rp_dup(pf->url);
	s->type = rp_dup(pf->type != NULL ? pf->type : "Other");
	if (res != NULL && res->ok) {
		s->status = res->status;
		s->bytes = res->body_bytes;
		s->hit = res->hit || res->age > 0;
		rp->rep.sub_bytes += s->bytes;
		rp->rep.sub_hits += s->hit;
	}
}

static void
rp_vsb_ms(struct vsb *vsb, const char *name, double v)
{
	if (v >= 0)
		VSB_printf(vsb, "\"%s\":%.1f,", name, v);
	else
		VSB_printf(vsb, "\"%s\":null,", name);
}

/* s as a JSON string, or null. */
static void
rp_vsb_str(struct vsb *vsb, const char *s)
{
	json_t *e;
	char *j;

	if (s == NULL) {
		VSB_cat(vsb, "null");
		return;
	}
	e = json_string(s);
	AN(e);
	j = json_dumps(e, JSON_ENCODE_ANY);
	AN(j);
	VSB_cat(vsb, j);
	free(j);
	json_decref(e);
}

char *
render_report_json(const struct render_report *r)
{
	struct vsb *vsb;
	char *s;

	AN(r);
	vsb = VSB_new_auto();
	AN(vsb);
	VSB_putc(vsb, '{');
	rp_vsb_ms(vsb, "ttfb_ms", r->t.ttfb);
	rp_vsb_ms(vsb, "dcl_ms", r->t.dcl);
	rp_vsb_ms(vsb, "load_ms", r->t.load);
	rp_vsb_ms(vsb, "lcp_ms", r->t.lcp);
	rp_vsb_ms(vsb, "tti_ms", r->t.tti);
	VSB_printf(vsb,
	    "\"subrequests\":%u,\"subrequest_bytes\":%ju,"
	    "\"subrequest_hits\":%u,\"blocked\":%u,\"popups\":%u,"
	    "\"render_ms\":%.1f,\"error\":",
	    r->nsub, (uintmax_t)r->sub_bytes, r->sub_hits, r->blocked,
	    r->popups, r->elapsed * 1e3);
	rp_vsb_str(vsb, r->error);
	VSB_putc(vsb, '}');
	AZ(VSB_finish(vsb));
	s = rp_dup(VSB_data(vsb));
	VSB_destroy(&vsb);
	return (s);
}

char *
render_report_cut(const char *json, unsigned cut, const char *note)
{
	struct vsb *vsb;
	size_t len;
	char *s;

	AN(json);
	len = strlen(json);
	assert(len >= 2 && json[len - 1] == '}');
	vsb = VSB_new_auto();
	AN(vsb);
	VSB_bcat(vsb, json, (ssize_t)len - 1);
	VSB_printf(vsb,
	    "%s\"assets_cut\":%u,\"assets_note\":", len > 2 ? "," : "", cut);
	rp_vsb_str(vsb, note);
	VSB_putc(vsb, '}');
	AZ(VSB_finish(vsb));
	s = rp_dup(VSB_data(vsb));
	VSB_destroy(&vsb);
	return (s);
}

/* From the loop: the owner may free the page from its callback. */
static void
rp_on_fin(evutil_socket_t fd, short what, void *priv)
{
	struct render_page *rp;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	rp->done(rp->priv, &rp->rep);
}

static void
rp_end(struct render_page *rp, const char *fmt, ...)
{
	struct rp_fetch *pf;
	struct timeval tv = { 0, 0 };
	va_list ap;

	if (rp->state == RP_DONE)
		return;
	rp->state = RP_DONE;
	(void)event_del(rp->bound);
	(void)event_del(rp->settle);
	cdp_pipe_forget(rp->cdp, rp);
	VTAILQ_FOREACH(pf, &rp->fetches, list)
	pf->rp = NULL;
	VTAILQ_INIT(&rp->fetches);
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(rp->why, sizeof rp->why, fmt, ap);
		va_end(ap);
		rp->rep.error = rp->why;
	}
	/* Closing the target ends its renderer, hung or not. */
	if (rp->target != NULL)
		rp_send(rp, NULL, "Target.closeTarget",
		    json_pack("{s:s}", "targetId", rp->target));
	if (rp->context != NULL)
		rp_send(rp, NULL, "Target.disposeBrowserContext",
		    json_pack("{s:s}", "browserContextId", rp->context));
	rp->rep.subs = rp->subs;
	rp->rep.nsub = rp->nsub;
	rp->rep.t.tti = render_tti(rp->rep.t.dcl, rp->longtasks, rp->nlongtask);
	rp->rep.elapsed = VTIM_mono() - rp->t0;
	AZ(evtimer_add(rp->fin, &tv));
}

/*--------------------------------------------------------------------
 * Requests
 */

static void
rp_fetch_free(struct rp_fetch *pf)
{
	free(pf->session);
	free(pf->rid);
	free(pf->url);
	free(pf->type);
	FREE_OBJ(pf);
}

static void
rp_fail_request(struct render_page *rp, const char *session, const char *rid,
    const char *reason)
{
	rp_send(rp, session, "Fetch.failRequest",
	    json_pack("{s:s, s:s}", "requestId", rid, "errorReason", reason));
}

static void
rp_header(json_t *hdrs, const char *name, const char *value)
{
	if (value != NULL)
		AZ(json_array_append_new(hdrs,
		    json_pack("{s:s, s:s}", "name", name, "value", value)));
}

static void
rp_fulfill(struct render_page *rp, const struct rp_fetch *pf,
    const struct fetch_result *res)
{
	json_t *hdrs, *params;
	size_t blen;
	char *b64;

	hdrs = json_array();
	AN(hdrs);
	rp_header(hdrs, "Content-Type", res->content_type);
	rp_header(hdrs, "Cache-Control", res->cache_control);
	rp_header(hdrs, "Location", res->location);
	params = json_pack("{s:s, s:i, s:o}", "requestId", pf->rid,
	    "responseCode", (int)res->status, "responseHeaders", hdrs);
	AN(params);
	if (res->body != NULL && res->body_bytes > 0) {
		blen = sodium_base64_ENCODED_LEN(res->body_bytes,
		    sodium_base64_VARIANT_ORIGINAL);
		b64 = malloc(blen);
		AN(b64);
		sodium_bin2base64(b64, blen, (const unsigned char *)res->body,
		    res->body_bytes, sodium_base64_VARIANT_ORIGINAL);
		AZ(json_object_set_new(params, "body", json_string(b64)));
		free(b64);
	}
	rp_send(rp, pf->session, "Fetch.fulfillRequest", params);
}

static void rp_settle_check(struct render_page *);

static void
rp_on_fetched(void *priv, const struct fetch_result *res)
{
	struct render_page *rp;
	struct rp_fetch *pf;

	CAST_OBJ_NOTNULL(pf, priv, RP_FETCH_MAGIC);
	rp = pf->rp;
	if (rp == NULL) {
		rp_fetch_free(pf);
		return;
	}
	CHECK_OBJ_NOTNULL(rp, RENDER_PAGE_MAGIC);
	VTAILQ_REMOVE(&rp->fetches, pf, list);
	render_idle_end(&rp->idle, VTIM_mono());
	if (!pf->document && !pf->favicon)
		rp_sub_add(rp, pf, res);
	if (res->ok)
		rp_fulfill(rp, pf, res);
	else
		rp_fail_request(rp, pf->session, pf->rid,
		    res->error != NULL && strstr(res->error, "imed") != NULL
		        ? "TimedOut"
		        : "Failed");
	rp_fetch_free(pf);
	rp_settle_check(rp);
}

/* May this URL be fetched for the page: http(s), an allowed host. */
static int
rp_allowed(const struct render_page *rp, const char *url)
{
	struct addr_url u;
	const char *why;
	unsigned i;

	if (addr_url_parse(url, &u, &why) != 0)
		return (0);
	for (i = 0; i < rp->nhost; i++)
		if (!strcasecmp(u.host, rp->hosts[i]))
			return (1);
	return (0);
}

static void
rp_request(struct render_page *rp, const char *session, json_t *params)
{
	struct fetch_req rq;
	struct rp_fetch *pf;
	const char *rid, *url, *method, *type, *accept, *frame;
	char path[4096];
	json_t *req;
	double left;
	unsigned u;

	rid = json_string_value(json_object_get(params, "requestId"));
	req = json_object_get(params, "request");
	url = json_string_value(json_object_get(req, "url"));
	method = json_string_value(json_object_get(req, "method"));
	type = json_string_value(json_object_get(params, "resourceType"));
	frame = json_string_value(json_object_get(params, "frameId"));
	accept = json_string_value(
	    json_object_get(json_object_get(req, "headers"), "Accept"));
	if (rid == NULL)
		return;
	if (url == NULL || method == NULL ||
	    (strcmp(method, "GET") && strcmp(method, "HEAD")) ||
	    !rp_allowed(rp, url)) {
		rp->rep.blocked++;
		rp_fail_request(rp, session, rid, "BlockedByClient");
		return;
	}
	ALLOC_OBJ(pf, RP_FETCH_MAGIC);
	AN(pf);
	pf->rp = rp;
	pf->session = rp_dup(session);
	pf->rid = rp_dup(rid);
	pf->url = rp_dup(url);
	pf->type = rp_dup(type);
	/* The page's own document: its main frame's (whose id is the
	 * target's), before it loaded; redirects of it too. */
	pf->document = type != NULL && !strcmp(type, "Document") &&
	    frame != NULL && rp->target != NULL && !strcmp(frame, rp->target) &&
	    rp->state == RP_LOADING;
	if (warm_url_split(url, rp->node, pf->target, sizeof pf->target,
	        pf->host, sizeof pf->host, path, sizeof path) != 0) {
		rp->rep.blocked++;
		rp_fail_request(rp, session, rid, "BlockedByClient");
		rp_fetch_free(pf);
		return;
	}
	pf->favicon = type != NULL && !strcmp(type, "Other") &&
	    !strcmp(path, "/favicon.ico");
	memset(&rq, 0, sizeof rq);
	rq.url = pf->target;
	rq.host = pf->host;
	rq.method = method;
	rq.addr = rp->addr;
	rq.body_max = RP_BODY_MAX;
	left = rp->t0 + rp->timeout - VTIM_mono();
	rq.timeout = left > 1 ? left : 1;
	for (u = 0; u < rp->nhdr; u++)
		rq.hdr[rq.nhdr++] = rp->hdrs[u];
	/* The one header of the browser's passed on: what a page's
	 * fetch() accepts may choose the answer. */
	if (accept != NULL && strpbrk(accept, "\r\n") == NULL &&
	    (size_t)snprintf(pf->accept, sizeof pf->accept, "Accept: %s",
	        accept) < sizeof pf->accept)
		rq.hdr[rq.nhdr++] = pf->accept;
	VTAILQ_INSERT_TAIL(&rp->fetches, pf, list);
	render_idle_begin(&rp->idle, VTIM_mono());
	if (fetcher_submit(rp->f, &rq, rp_on_fetched, pf) != 0) {
		VTAILQ_REMOVE(&rp->fetches, pf, list);
		render_idle_end(&rp->idle, VTIM_mono());
		rp_fail_request(rp, session, rid, "Failed");
		rp_fetch_free(pf);
	}
}

/*--------------------------------------------------------------------
 * Settling, and the timings
 */

static double
rp_ms(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return (json_is_number(v) ? json_number_value(v) : -1);
}

static void
rp_on_timings(void *priv, json_t *result, const char *error)
{
	struct render_page *rp;
	json_t *v, *lt, *x;
	size_t i;

	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	if (error != NULL) {
		rp_end(rp, "reading the timings: %s", error);
		return;
	}
	v = json_object_get(json_object_get(result, "result"), "value");
	if (log_enabled(LL_DEBUG)) {
		char *d = json_dumps(result, JSON_COMPACT);
		log_debug("render", "%s: %s", rp->url, d);
		free(d);
	}
	rp->rep.t.ttfb = rp_ms(v, "ttfb");
	rp->rep.t.dcl = rp_ms(v, "dcl");
	rp->rep.t.load = rp_ms(v, "load");
	rp->rep.t.lcp = rp_ms(v, "lcp");
	/* Those the browser's own blocker stopped; those it let through
	 * were counted as they were closed. */
	x = json_object_get(v, "popups");
	if (json_is_integer(x) &&
	    json_integer_value(x) > (json_int_t)rp->rep.popups)
		rp->rep.popups = (unsigned)json_integer_value(x);
	lt = json_object_get(v, "lt");
	json_array_foreach(lt, i, x)
	{
		if (rp->nlongtask < RP_MAX_LONGTASKS && json_is_number(x))
			rp->longtasks[rp->nlongtask++] = json_number_value(x);
	}
	rp_end(rp, NULL);
}

static void
rp_evaluate(struct render_page *rp, const char *js, cdp_reply_f *cb)
{
	if (cdp_pipe_call(rp->cdp, rp_main_session(rp), "Runtime.evaluate",
	        json_pack("{s:s, s:b, s:b}", "expression", js, "awaitPromise",
	            1, "returnByValue", 1),
	        cb, rp) != 0)
		rp_end(rp, "the browser has gone");
}

static void
rp_settle_check(struct render_page *rp)
{
	struct timeval tv;
	double w;

	if (rp->state != RP_SETTLING)
		return;
	w = render_idle_wait(&rp->idle, VTIM_mono());
	if (w < 0)
		return; /* a request's end looks again */
	if (w == 0) {
		rp->state = RP_TIMINGS;
		rp_evaluate(rp, rp_timings_js, rp_on_timings);
		return;
	}
	tv.tv_sec = (time_t)w;
	tv.tv_usec = (suseconds_t)((w - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(rp->settle, &tv));
}

static void
rp_on_settle(evutil_socket_t fd, short what, void *priv)
{
	struct render_page *rp;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	rp_settle_check(rp);
}

static void
rp_on_scrolled(void *priv, json_t *result, const char *error)
{
	struct render_page *rp;

	(void)result;
	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	if (error != NULL) {
		rp_end(rp, "scrolling: %s", error);
		return;
	}
	rp->state = RP_SETTLING;
	rp_settle_check(rp);
}

static void
rp_on_bound(evutil_socket_t fd, short what, void *priv)
{
	struct render_page *rp;
	static const char *const doing[] = {
		[RP_CONTEXT] = "opening a tab",
		[RP_TARGET] = "opening a tab",
		[RP_ATTACH] = "opening a tab",
		[RP_SETUP] = "opening a tab",
		[RP_LOADING] = "the page did not load",
		[RP_SCROLLING] = "the page did not scroll",
		[RP_SETTLING] = "the page's network never went quiet",
		[RP_TIMINGS] = "the page did not answer",
		[RP_DONE] = "",
	};

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	rp->rep.timed_out = 1;
	rp_end(rp, "timeout after %.0f s: %s", rp->timeout, doing[rp->state]);
}

/*--------------------------------------------------------------------
 * Opening: context, target, session, navigation
 */

static void
rp_on_navigated(void *priv, json_t *result, const char *error)
{
	struct render_page *rp;
	const char *e;

	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	e = json_string_value(json_object_get(result, "errorText"));
	if (error != NULL || e != NULL)
		rp_end(rp, "navigating: %s", error != NULL ? error : e);
}

/* A session's interception: every request, at its start. */
static void
rp_intercept(struct render_page *rp, const char *session)
{
	rp_send(rp, session, "Fetch.enable",
	    json_pack("{s:[{s:s, s:s}]}", "patterns", "urlPattern", "*",
	        "requestStage", "Request"));
	/* Frames and workers of its own, held until intercepted too. */
	rp_send(rp, session, "Target.setAutoAttach",
	    json_pack("{s:b, s:b, s:b}", "autoAttach", 1,
	        "waitForDebuggerOnStart", 1, "flatten", 1));
}

/*
 * The session's set-up must all have taken before the page is loaded:
 * the browser answers (and applies) a session's commands of different
 * domains in no promised order, and a script added after the
 * navigation began would miss the document.
 */
static void
rp_on_setup(void *priv, json_t *result, const char *error)
{
	struct render_page *rp;

	(void)result;
	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	if (error != NULL) {
		rp_end(rp, "setting up a tab: %s", error);
		return;
	}
	assert(rp->setup > 0);
	if (--rp->setup > 0)
		return;
	rp->state = RP_LOADING;
	if (cdp_pipe_call(rp->cdp, rp_main_session(rp), "Page.navigate",
	        json_pack("{s:s}", "url", rp->url), rp_on_navigated, rp) != 0)
		rp_end(rp, "the browser has gone");
}

static void
rp_setup(struct render_page *rp, const char *session, const char *method,
    json_t *params)
{
	rp->setup++;
	if (cdp_pipe_call(rp->cdp, session, method, params, rp_on_setup, rp) !=
	    0)
		rp->setup--;
}

static void
rp_on_attached(void *priv, json_t *result, const char *error)
{
	struct render_page *rp;
	const char *s;

	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	s = json_string_value(json_object_get(result, "sessionId"));
	if (error != NULL || s == NULL) {
		rp_end(rp, "attaching to a tab: %s",
		    error != NULL ? error : "no session");
		return;
	}
	rp_session_add(rp, s);
	rp->state = RP_SETUP;
	rp_setup(rp, s, "Inspector.enable", NULL);
	rp_setup(rp, s, "Page.enable", NULL);
	rp_setup(rp, s, "Fetch.enable",
	    json_pack("{s:[{s:s, s:s}]}", "patterns", "urlPattern", "*",
	        "requestStage", "Request"));
	rp_setup(rp, s, "Target.setAutoAttach",
	    json_pack("{s:b, s:b, s:b}", "autoAttach", 1,
	        "waitForDebuggerOnStart", 1, "flatten", 1));
	rp_setup(rp, s, "Page.addScriptToEvaluateOnNewDocument",
	    json_pack("{s:s}", "source", rp_observe_js));
	if (rp->setup < 5)
		rp_end(rp, "the browser has gone");
}

static void
rp_on_target(void *priv, json_t *result, const char *error)
{
	struct render_page *rp;
	const char *t;

	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	t = json_string_value(json_object_get(result, "targetId"));
	if (error != NULL || t == NULL) {
		rp_end(rp, "opening a tab: %s",
		    error != NULL ? error : "no target");
		return;
	}
	rp->target = rp_dup(t);
	rp->state = RP_ATTACH;
	if (cdp_pipe_call(rp->cdp, NULL, "Target.attachToTarget",
	        json_pack("{s:s, s:b}", "targetId", t, "flatten", 1),
	        rp_on_attached, rp) != 0)
		rp_end(rp, "the browser has gone");
}

static void
rp_on_context(void *priv, json_t *result, const char *error)
{
	struct render_page *rp;
	const char *c;

	CAST_OBJ_NOTNULL(rp, priv, RENDER_PAGE_MAGIC);
	c = json_string_value(json_object_get(result, "browserContextId"));
	if (error != NULL || c == NULL) {
		rp_end(rp, "a browser context: %s",
		    error != NULL ? error : "none");
		return;
	}
	rp->context = rp_dup(c);
	rp->state = RP_TARGET;
	if (cdp_pipe_call(rp->cdp, NULL, "Target.createTarget",
	        json_pack("{s:s, s:s}", "url", "about:blank",
	            "browserContextId", c),
	        rp_on_target, rp) != 0)
		rp_end(rp, "the browser has gone");
}

/*--------------------------------------------------------------------
 * Events
 */

/* A frame or worker of the page: intercepted, then let run.  Another
 * page (a popup) is closed before it runs. */
static void
rp_child(struct render_page *rp, const char *session, json_t *params)
{
	const char *s, *type, *target;
	json_t *info;

	s = json_string_value(json_object_get(params, "sessionId"));
	info = json_object_get(params, "targetInfo");
	type = json_string_value(json_object_get(info, "type"));
	target = json_string_value(json_object_get(info, "targetId"));
	if (s == NULL || type == NULL)
		return;
	if (!strcmp(type, "page") || !strcmp(type, "tab")) {
		rp->rep.popups++;
		if (target != NULL)
			rp_send(rp, NULL, "Target.closeTarget",
			    json_pack("{s:s}", "targetId", target));
		return;
	}
	(void)session;
	rp_session_add(rp, s);
	rp_intercept(rp, s);
	rp_send(rp, s, "Runtime.runIfWaitingForDebugger", NULL);
}

/* A popup seen at the browser's level (Target.targetCreated). */
static int
rp_popup(struct render_page *rp, json_t *params)
{
	const char *opener, *target, *type;
	json_t *info;

	info = json_object_get(params, "targetInfo");
	opener = json_string_value(json_object_get(info, "openerId"));
	target = json_string_value(json_object_get(info, "targetId"));
	type = json_string_value(json_object_get(info, "type"));
	if (opener == NULL || target == NULL || rp->target == NULL ||
	    strcmp(opener, rp->target) || type == NULL || strcmp(type, "page"))
		return (0);
	rp->rep.popups++;
	rp_send(rp, NULL, "Target.closeTarget",
	    json_pack("{s:s}", "targetId", target));
	return (1);
}

int
render_page_event(struct render_page *rp, const char *session,
    const char *method, json_t *params)
{
	const char *t;

	CHECK_OBJ_NOTNULL(rp, RENDER_PAGE_MAGIC);
	if (rp->state == RP_DONE)
		return (0);
	if (session == NULL) {
		if (!strcmp(method, "Target.targetCreated"))
			return (rp_popup(rp, params));
		t = json_string_value(json_object_get(params, "targetId"));
		if (!strcmp(method, "Target.targetCrashed") &&
		    rp->target != NULL && t != NULL && !strcmp(rp->target, t)) {
			rp->rep.crashed = 1;
			rp_end(rp, "the page crashed");
			return (1);
		}
		return (0);
	}
	if (rp_session_find(rp, session) == NULL)
		return (0);
	if (!strcmp(method, "Fetch.requestPaused")) {
		rp_request(rp, session, params);
	} else if (!strcmp(method, "Target.attachedToTarget")) {
		rp_child(rp, session, params);
	} else if (!strcmp(method, "Page.javascriptDialogOpening")) {
		/* alert() would hold the page for ever. */
		rp_send(rp, session, "Page.handleJavaScriptDialog",
		    json_pack("{s:b}", "accept", 0));
	} else if (!strcmp(method, "Inspector.targetCrashed")) {
		rp->rep.crashed = 1;
		rp_end(rp, "the page crashed");
	} else if (!strcmp(method, "Page.loadEventFired") &&
	    rp->state == RP_LOADING && !strcmp(session, rp_main_session(rp))) {
		rp->state = RP_SCROLLING;
		rp_evaluate(rp, rp_scroll_js, rp_on_scrolled);
	}
	return (1);
}

/*--------------------------------------------------------------------
 * The page
 */

struct render_page *
render_page_start(struct event_base *eb, struct cdp_pipe *cdp,
    struct fetcher *f, const struct render_req *rq, render_done_f *done,
    void *priv)
{
	struct render_page *rp;
	struct timeval tv;
	unsigned u;

	AN(eb);
	AN(cdp);
	AN(f);
	AN(rq);
	AN(rq->url);
	AN(done);
	assert(rq->nhost <= RENDER_MAX_HOSTS);
	assert(rq->nhdr <= RENDER_MAX_HDRS);
	ALLOC_OBJ(rp, RENDER_PAGE_MAGIC);
	AN(rp);
	rp->eb = eb;
	rp->cdp = cdp;
	rp->f = f;
	rp->done = done;
	rp->priv = priv;
	rp->url = rp_dup(rq->url);
	rp->node = rp_dup(rq->node);
	for (u = 0; u < rq->nhost; u++)
		rp->hosts[rp->nhost++] = rp_dup(rq->hosts[u]);
	for (u = 0; u < rq->nhdr; u++)
		rp->hdrs[rp->nhdr++] = rp_dup(rq->hdrs[u]);
	rp->addr = rq->addr;
	rp->timeout = rq->timeout > 0 ? rq->timeout : RP_TIMEOUT;
	rp->quiet = rq->quiet > 0 ? rq->quiet : RP_QUIET;
	VTAILQ_INIT(&rp->sessions);
	VTAILQ_INIT(&rp->fetches);
	rp->rep.t.ttfb = rp->rep.t.dcl = rp->rep.t.load = -1;
	rp->rep.t.lcp = rp->rep.t.tti = -1;
	rp->t0 = VTIM_mono();
	render_idle_init(&rp->idle, rp->quiet, rp->t0);
	rp->bound = evtimer_new(eb, rp_on_bound, rp);
	rp->settle = evtimer_new(eb, rp_on_settle, rp);
	rp->fin = evtimer_new(eb, rp_on_fin, rp);
	AN(rp->bound);
	AN(rp->settle);
	AN(rp->fin);
	tv.tv_sec = (time_t)rp->timeout;
	tv.tv_usec = (suseconds_t)((rp->timeout - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(rp->bound, &tv));
	rp->state = RP_CONTEXT;
	if (cdp_pipe_call(cdp, NULL, "Target.createBrowserContext",
	        json_pack("{s:b}", "disposeOnDetach", 1), rp_on_context,
	        rp) != 0)
		rp_end(rp, "the browser has gone");
	return (rp);
}

void
render_page_lost(struct render_page *rp, const char *why)
{
	CHECK_OBJ_NOTNULL(rp, RENDER_PAGE_MAGIC);
	if (rp->state == RP_DONE)
		return;
	/* Nothing can be closed in a browser that is gone. */
	free(rp->target);
	free(rp->context);
	rp->target = rp->context = NULL;
	rp->rep.crashed = 1;
	rp_end(rp, "%s", why);
}

int
render_page_ended(const struct render_page *rp)
{
	CHECK_OBJ_NOTNULL(rp, RENDER_PAGE_MAGIC);
	return (rp->state == RP_DONE);
}

void
render_page_free(struct render_page **rpp)
{
	struct render_page *rp;
	struct rp_session *s;
	struct rp_fetch *pf;
	unsigned u;

	TAKE_OBJ_NOTNULL(rp, rpp, RENDER_PAGE_MAGIC);
	cdp_pipe_forget(rp->cdp, rp);
	VTAILQ_FOREACH(pf, &rp->fetches, list)
	pf->rp = NULL;
	while ((s = VTAILQ_FIRST(&rp->sessions)) != NULL) {
		VTAILQ_REMOVE(&rp->sessions, s, list);
		free(s->id);
		FREE_OBJ(s);
	}
	for (u = 0; u < rp->nsub; u++) {
		free(rp->subs[u].url);
		free(rp->subs[u].type);
	}
	free(rp->subs);
	for (u = 0; u < rp->nhost; u++)
		free(rp->hosts[u]);
	for (u = 0; u < rp->nhdr; u++)
		free(rp->hdrs[u]);
	free(rp->url);
	free(rp->node);
	free(rp->target);
	free(rp->context);
	event_free(rp->bound);
	event_free(rp->settle);
	event_free(rp->fin);
	FREE_OBJ(rp);
}
