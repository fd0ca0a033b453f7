/*
 * A sitemap task's life: begun from the loop (never inside the call that
 * starts it), read by one crawl of its sitemaps (sitemap_crawl.h), or
 * of the site's pages (site_crawl.h: a crawl job, or a site without a
 * sitemap), and ended by one statement whose answer ends the task.
 *
 * A URL's value is the sitemap's (<priority>, then <lastmod>) or the
 * crawl's (its depth), with how popular it is with the website's
 * visitors between the two where its agents report it (popularity.h).
 * What it finds is kept as the plan's max_urls most valuable URLs: a
 * heap whose top is the least valuable kept, and a set beside it to
 * keep each URL once.  A URL found once the heap is full takes the
 * top's place if it is worth more, so a sitemap longer than the plan
 * allows leaves its best warm, not its first.  A crawl finds pages in
 * order of depth, the most valuable first: once full, it stops.
 *
 * A Shopware website's job first reads the shop's start page
 * (shopware_probe.h).  A shop's URLs are then kept in three tiers, each
 * worth more than the next whatever the sitemap or the crawl says
 * within it: the start page, its other languages' and its categories
 * (the navigation); the products and the sitemap's other pages; the
 * search pages of the website's search_terms, then of the terms its
 * visitors searched most (as its agents report them).  The currencies it
 * offers are warmed as variants of the job when the website says
 * auto_variants (each through variant_inputs' currency), else only
 * proposed; what was found is the job's detected, and the first words
 * of its notes.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vsb.h"

#include "core/log.h"
#include "fetch/addr_policy.h"
#include "sitemap/esi_probe.h"
#include "sitemap/popularity.h"
#include "sitemap/shopware.h"
#include "sitemap/shopware_probe.h"
#include "sitemap/site_crawl.h"
#include "sitemap/sitemap_crawl.h"
#include "store/task_queue.h"
#include "sitemap_task.h"

/* Documents read for one tenant's job, at most: a shop's few sitemaps
 * and its indexes, with room to spare. */
#define SMT_MAX_SITEMAPS 200
#define SMT_ERR_LEN 512
/* What a crawl said of itself, kept for the job's notes. */
#define SMT_CRAWL_NOTES 12
/* Pages of a sitemap read from the origin for their ESI fragments. */
#define SMT_ESI_PAGES 3
#define SMT_ESI_TIMEOUT 30.0
/* A shop's tiers: a sitemap's and a crawl's values are within 0..1. */
#define SMT_SW_CATEGORY 3.0
#define SMT_SW_PAGE 2.0
#define SMT_SW_SEARCH 1.0
#define SMT_SW_TIMEOUT 30.0
/* The job's variants and the shop's currencies, at most (as a job's). */
#define SMT_SW_VARIANTS 64

enum smt_state {
	SMT_BEGIN, /* waiting for the loop */
	SMT_DETECTING, /* a shop's start page */
	SMT_READING, /* the sitemaps */
	SMT_CRAWLING, /* the site's pages */
	SMT_PROBING, /* a sitemap's first pages, for their ESI fragments */
	SMT_WRITING, /* tq_expand() in flight */
	SMT_ENDED,
};

struct smt_url {
	char *url;
	double value; /* the sitemap's, or the crawl's */
	unsigned seq; /* the order found, among equals */
	int fragment;
	UT_hash_handle hh;
};

struct sitemap_task {
	unsigned magic;
#define SITEMAP_TASK_MAGIC 0x2f61c0d1
	enum smt_state state;
	int closed;
	struct event_base *eb;
	struct fetcher *f;
	struct task_queue *q;
	struct tq_task *t;
	int64_t job; /* t's, for what is said after t is gone */
	struct event *begin;
	struct sitemap_crawl *crawl;
	struct site_crawl *site;
	struct esi_probe *probe;
	struct vsb *notes; /* a sitemap's, while its pages are probed */
	unsigned nfrag; /* fragments the probe found */
	char host[ADDR_HOST_MAX + 1]; /* the website's */
	/* The crawl's settings (0019_crawl.sql), and what they say. */
	json_t *settings;
	int force;
	struct url_norm_drop drop;
	struct crawl_conf cc;
	char why_crawl[SMT_ERR_LEN]; /* why a sitemap job crawled */
	struct vsb *crawl_notes;
	unsigned ncrawl_notes;
	/* A Shopware website's: its settings (task_queue.h), what its
	 * start page said, and why it said nothing. */
	json_t *swconf;
	struct shopware_probe *swp;
	struct sw_shop *shop;
	char sw_err[SMT_ERR_LEN];
	double tier; /* added to a sitemap's or a crawl's values */
	unsigned nsearch; /* search pages kept */
	unsigned nvisitor; /* of them, of the visitors' terms only */
	/* What the website's visitors asked for most; NULL: unknown. */
	struct popularity *pop;
	/* The URLs kept: a heap, the least valuable on top, and a set. */
	struct smt_url **heap;
	unsigned nheap;
	struct smt_url *seen;
	unsigned seq;
	size_t foreign; /* on another host than the website's */
	unsigned capped; /* more URLs than the plan allows */
	sitemap_task_end_f *end;
	void *end_priv;
};

static void
smt_end(struct sitemap_task *st)
{
	st->state = SMT_ENDED;
	if (!st->closed)
		st->end(st->end_priv, st);
}

/*--------------------------------------------------------------------
 * The URLs kept
 */

/* Is a worth less than b?  Of equals, the one found later is. */
static int
smt_less(const struct smt_url *a, const struct smt_url *b)
{
	if (a->value != b->value)
		return (a->value < b->value);
	return (a->seq > b->seq);
}

static void
smt_sift_down(struct sitemap_task *st, unsigned i)
{
	struct smt_url *x;
	unsigned c;

	while ((c = 2 * i + 1) < st->nheap) {
		if (c + 1 < st->nheap && smt_less(st->heap[c + 1], st->heap[c]))
			c++;
		if (!smt_less(st->heap[c], st->heap[i]))
			return;
		x = st->heap[c];
		st->heap[c] = st->heap[i];
		st->heap[i] = x;
		i = c;
	}
}

static void
smt_sift_up(struct sitemap_task *st, unsigned i)
{
	struct smt_url *x;

	while (i > 0 && smt_less(st->heap[i], st->heap[(i - 1) / 2])) {
		x = st->heap[i];
		st->heap[i] = st->heap[(i - 1) / 2];
		st->heap[(i - 1) / 2] = x;
		i = (i - 1) / 2;
	}
}

static void
smt_url_free(struct sitemap_task *st, struct smt_url *u)
{
	HASH_DEL(st->seen, u);
	free(u->url);
	free(u);
}

/* Keep url if it is among the most valuable; 0, or -1 once full. */
static int
smt_keep(struct sitemap_task *st, const char *url, double value, int fragment)
{
	struct smt_url *u, k;

	HASH_FIND_STR(st->seen, url, u);
	if (u != NULL)
		return (0);
	k.value = value;
	k.seq = st->seq;
	if (st->nheap == st->t->max_urls) {
		st->capped = 1;
		if (st->nheap == 0 || !smt_less(st->heap[0], &k))
			return (-1);
		smt_url_free(st, st->heap[0]);
		st->heap[0] = st->heap[--st->nheap];
		smt_sift_down(st, 0);
	}
	u = calloc(1, sizeof *u);
	AN(u);
	u->url = strdup(url);
	AN(u->url);
	u->value = value;
	u->seq = st->seq++;
	u->fragment = fragment;
	HASH_ADD_KEYPTR(hh, st->seen, u->url, strlen(u->url), u);
	st->heap[st->nheap++] = u;
	smt_sift_up(st, st->nheap - 1);
	return (st->nheap == st->t->max_urls ? -1 : 0);
}

/* Most valuable first; of equals, in the order found. */
static int
smt_cmp(const void *a, const void *b)
{
	const struct smt_url *x = *(struct smt_url *const *)a;
	const struct smt_url *y = *(struct smt_url *const *)b;

	if (smt_less(x, y))
		return (1);
	if (smt_less(y, x))
		return (-1);
	return (0);
}

/*--------------------------------------------------------------------
 * A Shopware shop
 */

/* A URL the shop's start page named, as a category: on the site only. */
static void
smt_sw_keep(struct sitemap_task *st, const char *url)
{
	struct addr_url u;
	const char *why;

	if (addr_url_parse(url, &u, &why) == 0 && !strcmp(u.host, st->host))
		(void)smt_keep(st, url, SMT_SW_CATEGORY, 0);
}

/* A term's search page, after everything else; 1 if it is new. */
static int
smt_sw_term(struct sitemap_task *st, json_t *v)
{
	char url[URL_NORM_MAX + 1];
	unsigned n;

	if (!json_is_string(v) ||
	    sw_search_url(st->shop, st->t->base_url, json_string_value(v), url,
	        sizeof url) != 0)
		return (0);
	/* Worth least of all, they never take another's place. */
	n = st->nheap;
	(void)smt_keep(st, url, SMT_SW_SEARCH, 0);
	return (st->nheap > n);
}

/*
 * The search pages of the website's terms, then of those its visitors
 * searched most (0026_popularity.sql), in that order; each once.
 */
static void
smt_sw_search(struct sitemap_task *st)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(st->swconf, "search_terms"), i, v)
	    st->nsearch += (unsigned)smt_sw_term(st, v);
	json_array_foreach(json_object_get(st->swconf, "visitor_terms"), i, v)
	{
		if (smt_sw_term(st, v)) {
			st->nsearch++;
			st->nvisitor++;
		}
	}
}

static int
smt_sw_has(char *const *list, unsigned n, const char *s)
{
	unsigned u;

	for (u = 0; u < n; u++)
		if (!strcmp(list[u], s))
			return (1);
	return (0);
}

/*
 * A shop's other currencies (its default is the plain variant: no
 * cookie), proposed in det; and, when the website says auto_variants
 * and where currency comes from, the job's variants with them, in v.
 * The number of variants in v, 0 for the task's own.
 */
static unsigned
smt_sw_variants(const struct sitemap_task *st, json_t *det, char **v)
{
	json_t *proposed, *x;
	char cur[SW_ID_LEN + 16];
	const char *how = "none";
	unsigned n = 0, u;
	size_t i;

	proposed = json_array();
	AN(proposed);
	for (u = 0; st->shop->shopware && u < st->shop->ncurrency; u++)
		if (!st->shop->currency[u].active &&
		    sw_currency_variant(&st->shop->currency[u], cur,
		        sizeof cur) == 0)
			AZ(json_array_append_new(proposed,
			    json_pack("{s:s}", "currency",
			        st->shop->currency[u].id)));
	if (json_array_size(proposed) > 0)
		how = "proposed";
	if (json_array_size(proposed) > 0 &&
	    json_is_true(json_object_get(st->swconf, "auto_variants")) &&
	    json_is_string(json_object_get(st->swconf, "currency_input"))) {
		how = "warmed";
		json_array_foreach(json_object_get(st->swconf, "variants"), i,
		    x)
		{
			if (json_is_string(x) && n < SMT_SW_VARIANTS &&
			    !smt_sw_has(v, n, json_string_value(x)))
				v[n++] = strdup(json_string_value(x));
		}
		json_array_foreach(proposed, i, x)
		{
			snprintf(cur, sizeof cur, "currency=%s",
			    json_string_value(json_object_get(x, "currency")));
			if (n < SMT_SW_VARIANTS && !smt_sw_has(v, n, cur))
				v[n++] = strdup(cur);
		}
		for (u = 0; u < n; u++)
			AN(v[u]);
	}
	AZ(json_object_set_new(det, "proposed_variants", proposed));
	AZ(json_object_set_new(det, "currency_variants", json_string(how)));
	return (n);
}

/* What the owner is told first: what the shop is. */
static void
smt_sw_notes(const struct sitemap_task *st, json_t *det, struct vsb *vsb)
{
	const struct sw_shop *s = st->shop;
	const char *how;

	if (!s->shopware) {
		VSB_printf(vsb, "not Shopware: %s",
		    st->sw_err[0] != '\0'
		        ? st->sw_err
		        : "its start page has not the "
		          "markers of a Shopware 6 storefront");
		return;
	}
	VSB_printf(vsb, "Shopware %s detected",
	    s->version[0] != '\0' ? s->version : "6");
	if (s->version_from == SW_VERSION_ASSETS)
		VSB_printf(vsb, " (version from its theme's scripts)");
	VSB_printf(vsb,
	    ": %u categories, %u currencies, %u languages, %s sitemap; "
	    "%u search pages",
	    s->ncategory, s->ncurrency, s->nlanguage,
	    s->sitemaps_shopware > 0 ? "Shopware's" : "no Shopware",
	    st->nsearch);
	if (st->nvisitor > 0)
		VSB_printf(vsb, " (%u configured, %u of visitors' searches)",
		    st->nsearch - st->nvisitor, st->nvisitor);
	how = json_string_value(json_object_get(det, "currency_variants"));
	if (!strcmp(how, "warmed"))
		VSB_printf(vsb, "; its currencies warmed as variants");
	else if (!strcmp(how, "proposed"))
		VSB_printf(vsb,
		    "; its other currencies proposed as variants, not warmed "
		    "(auto_variants%s)",
		    json_is_true(json_object_get(st->swconf, "auto_variants"))
		        ? " without variant_inputs' currency"
		        : " is off");
}

/* A list of the settings, or an empty one: a new reference. */
static json_t *
smt_sw_list(json_t *a)
{
	a = json_is_array(a) ? json_incref(a) : json_array();
	AN(a);
	return (a);
}

/*
 * The job's detected (returned, to free), its notes with what the shop
 * is first, and the variants to warm in (v, d's).
 */
static char *
smt_sw_report(struct sitemap_task *st, const char *error, const char *notes,
    struct vsb *out, struct tq_detected *d, char **v)
{
	json_t *det;
	char *json;

	if (error == NULL && st->shop->shopware)
		smt_sw_search(st);
	det = sw_shop_json(st->shop);
	AZ(json_object_set_new(det, "error",
	    st->sw_err[0] != '\0' ? json_string(st->sw_err) : json_null()));
	AZ(json_object_set_new(det, "search_pages", json_integer(st->nsearch)));
	AZ(json_object_set_new(det, "search_terms",
	    json_pack("{s:o, s:o}", "configured",
	        smt_sw_list(json_object_get(st->swconf, "search_terms")),
	        "visitors",
	        smt_sw_list(json_object_get(st->swconf, "visitor_terms")))));
	d->nvariant = smt_sw_variants(st, det, v);
	d->variant = (const char *const *)v;
	smt_sw_notes(st, det, out);
	if (notes != NULL)
		VSB_printf(out, "; %s", notes);
	AZ(VSB_finish(out));
	json = json_dumps(det, JSON_COMPACT);
	AN(json);
	json_decref(det);
	d->json = json;
	return (json);
}

/*--------------------------------------------------------------------
 * The end, written
 */

static void
smt_on_expanded(void *priv, const struct tq_expanded *x, const char *err)
{
	struct sitemap_task *st;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	assert(st->state == SMT_WRITING);
	/* The queue has let go of it. */
	st->t = NULL;
	if (x != NULL && !x->ours)
		log_warning("worker",
		    "job %jd: the sitemap task's lease ran out; another "
		    "worker reads the sitemap again",
		    (intmax_t)st->job);
	else if (x != NULL && x->queued > 0)
		log_info("worker", "job %jd: %u warm tasks queued",
		    (intmax_t)st->job, x->queued);
	smt_end(st);
}

/* The job's end of it: URLs, or an error; notes either way. */
static void
smt_write(struct sitemap_task *st, const char *error, const char *notes)
{
	char *variant[SMT_SW_VARIANTS];
	struct tq_detected d, *dp = NULL;
	struct vsb *sw = NULL;
	char *det = NULL;
	struct tq_url *urls;
	unsigned u;

	st->state = SMT_WRITING;
	memset(&d, 0, sizeof d);
	if (st->shop != NULL) {
		sw = VSB_new_auto();
		AN(sw);
		det = smt_sw_report(st, error, notes, sw, &d, variant);
		notes = VSB_data(sw);
		dp = &d;
	}
	qsort(st->heap, st->nheap, sizeof *st->heap, smt_cmp);
	urls = calloc(st->nheap + 1, sizeof *urls);
	AN(urls);
	for (u = 0; u < st->nheap; u++) {
		urls[u].url = st->heap[u]->url;
		urls[u].priority = st->heap[u]->value;
		urls[u].fragment = st->heap[u]->fragment;
	}
	tq_expand(st->q, st->t, urls, st->nheap, error, notes, dp,
	    smt_on_expanded, st);
	free(urls);
	for (u = 0; u < d.nvariant; u++)
		free(variant[u]);
	free(det);
	if (sw != NULL)
		VSB_destroy(&sw);
}

static void
smt_fail(struct sitemap_task *st, const char *notes, const char *fmt, ...)
{
	char error[SMT_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(error, sizeof error, fmt, ap);
	va_end(ap);
	log_info("worker", "job %jd: %s (%s)", (intmax_t)st->job, error,
	    notes != NULL ? notes : "");
	smt_write(st, error, notes);
}

/*--------------------------------------------------------------------
 * The crawl of the site's pages
 */

static void
smt_on_page(void *priv, const char *url, unsigned depth, int fragment)
{
	struct sitemap_task *st;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	/* The start is worth most, and each link further away less; a
	 * fragment as much as the first page it was found on. */
	if (smt_keep(st, url,
	        st->tier +
	            (st->pop != NULL ? popularity_crawl_value(depth,
	                                   popularity_hits(st->pop, url))
	                             : 1.0 / (1 + depth)),
	        fragment) != 0)
		site_crawl_stop(st->site);
}

static void
smt_on_crawl_note(void *priv, const char *msg)
{
	struct sitemap_task *st;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	log_debug("worker", "job %jd: %s", (intmax_t)st->job, msg);
	if (st->ncrawl_notes++ < SMT_CRAWL_NOTES)
		VSB_printf(st->crawl_notes, "; %s", msg);
}

/* Whether the visitors' popularity ranked the URLs too. */
static void
smt_pop_note(const struct sitemap_task *st, struct vsb *vsb)
{
	if (st->pop != NULL)
		VSB_printf(vsb,
		    "; ranked by visitors' popularity too (%u paths of the "
		    "last 7 days)",
		    popularity_len(st->pop));
}

static void
smt_count(struct vsb *vsb, unsigned n, const char *one, const char *many)
{
	if (n > 0)
		VSB_printf(vsb, "; %u %s", n, n == 1 ? one : many);
}

/* What the owner of the job is told of the crawl. */
static void
smt_crawl_notes(const struct sitemap_task *st, const struct crawl_stats *cs,
    struct vsb *vsb)
{
	unsigned pages = 0, frags = 0, u;

	for (u = 0; u < st->nheap; u++)
		if (st->heap[u]->fragment)
			frags++;
		else
			pages++;
	if (st->why_crawl[0] != '\0')
		VSB_printf(vsb, "%s; ", st->why_crawl);
	VSB_printf(vsb,
	    "crawled %s to depth %u, at most %u pages: %u page%s and %u ESI "
	    "fragment%s to warm; it ended: %s",
	    st->cc.start, st->cc.max_depth, st->cc.max_pages, pages,
	    pages == 1 ? "" : "s", frags, frags == 1 ? "" : "s",
	    crawl_end_why[cs->end]);
	if (cs->crawl_delay > 0)
		VSB_printf(vsb, "; Crawl-delay %.3g s kept", cs->crawl_delay);
	smt_count(vsb, cs->disallowed, "URL kept out by robots.txt",
	    "URLs kept out by robots.txt");
	smt_count(vsb, cs->offsite, "link to another site not followed",
	    "links to other sites not followed");
	smt_count(vsb, cs->nofollow, "nofollow link not followed",
	    "nofollow links not followed");
	smt_count(vsb, cs->too_deep, "link past the depth not followed",
	    "links past the depth not followed");
	smt_count(vsb, cs->loops, "redirect to a URL seen before (a loop)",
	    "redirects to URLs seen before (loops)");
	smt_count(vsb, cs->too_many_hops, "redirect chain too long",
	    "redirect chains too long");
	smt_count(vsb, cs->cut, "page cut at the byte cap",
	    "pages cut at the byte cap");
	smt_count(vsb, cs->not_html, "answer not HTML, not warmed",
	    "answers not HTML, not warmed");
	smt_count(vsb, cs->failed, "fetch failed", "fetches failed");
	smt_count(vsb, cs->unfetched, "URL left unfetched",
	    "URLs left unfetched");
	if (st->capped)
		VSB_printf(vsb,
		    "; capped at %u URLs, the plan's most for a job",
		    st->t->max_urls);
	smt_pop_note(st, vsb);
	VSB_cat(vsb, VSB_data(st->crawl_notes));
}

static void
smt_on_site_crawled(void *priv, const struct crawl_stats *cs, const char *err)
{
	struct sitemap_task *st;
	struct vsb *notes;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	assert(st->state == SMT_CRAWLING);
	AZ(VSB_finish(st->crawl_notes));
	notes = VSB_new_auto();
	AN(notes);
	smt_crawl_notes(st, cs, notes);
	AZ(VSB_finish(notes));
	if (err != NULL)
		smt_fail(st, VSB_data(notes), "%s", err);
	else if (st->nheap == 0)
		smt_fail(st, VSB_data(notes), "the crawl found no page on %s",
		    st->host);
	else
		smt_write(st, NULL, VSB_data(notes));
	VSB_destroy(&notes);
}

/* The settings' drop_params, pointing into st->settings. */
static void
smt_drop(struct sitemap_task *st, json_t *list)
{
	size_t i;
	json_t *v;

	if (!json_is_array(list)) {
		st->cc.drop = &url_norm_tracking;
		return;
	}
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v) || st->drop.n == URL_NORM_DROP_MAX)
			continue;
		st->drop.name[st->drop.n++] = json_string_value(v);
	}
	st->cc.drop = &st->drop;
}

/* The settings of the job, or the defaults within the plan's cap. */
static void
smt_settings(struct sitemap_task *st)
{
	json_int_t n;

	memset(&st->cc, 0, sizeof st->cc);
	st->cc.start = st->t->base_url;
	st->cc.max_depth = CRAWL_DEPTH_DEFAULT;
	st->cc.max_pages = CRAWL_PAGES_DEFAULT;
	st->cc.drop = &url_norm_tracking;
	if (st->t->crawl[0] != '\0')
		st->settings = json_loads(st->t->crawl, 0, NULL);
	if (st->settings != NULL) {
		st->force =
		    json_is_true(json_object_get(st->settings, "force"));
		n = json_integer_value(
		    json_object_get(st->settings, "max_depth"));
		if (n > 0 && n <= CRAWL_DEPTH_MAX)
			st->cc.max_depth = (unsigned)n;
		n = json_integer_value(
		    json_object_get(st->settings, "max_pages"));
		if (n > 0)
			st->cc.max_pages =
			    n < UINT32_MAX ? (unsigned)n : UINT32_MAX;
		smt_drop(st, json_object_get(st->settings, "drop_params"));
	}
	if (st->cc.max_pages > st->t->max_urls)
		st->cc.max_pages = st->t->max_urls;
}

static void
smt_crawl(struct sitemap_task *st)
{
	st->state = SMT_CRAWLING;
	st->crawl_notes = VSB_new_auto();
	AN(st->crawl_notes);
	st->site = site_crawl_new(st->eb, st->f, &st->cc, smt_on_page,
	    smt_on_crawl_note, smt_on_site_crawled, st);
	if (st->site == NULL)
		smt_fail(st, NULL, "%s: cannot be crawled", st->cc.start);
}

/*--------------------------------------------------------------------
 * The sitemaps
 */

static void
smt_on_url(void *priv, const char *url, double value)
{
	struct sitemap_task *st;
	struct addr_url u;
	const char *why;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	if (addr_url_parse(url, &u, &why) != 0 || strcmp(u.host, st->host)) {
		st->foreign++;
		return;
	}
	if (st->pop != NULL)
		value = popularity_sitemap_value(value,
		    popularity_hits(st->pop, url));
	/* Read on when full: what comes later may be worth more. */
	(void)smt_keep(st, url, st->tier + value, 0);
}

/* What the owner of the job is told of the sitemap, besides its URLs. */
static void
smt_notes(const struct sitemap_task *st, const struct sc_stats *ss,
    struct vsb *vsb)
{
	size_t malformed;

	VSB_printf(vsb, "%s: %u sitemap%s read, %u URL%s", st->t->url,
	    ss->sitemaps, ss->sitemaps == 1 ? "" : "s", st->nheap,
	    st->nheap == 1 ? "" : "s");
	if (ss->foreign + st->foreign > 0)
		VSB_printf(vsb, "; %zu URLs on other hosts than %s left out",
		    ss->foreign + st->foreign, st->host);
	malformed = ss->rejected - ss->foreign - ss->too_deep;
	if (malformed > 0)
		VSB_printf(vsb, "; %zu malformed URLs left out", malformed);
	if (st->capped)
		VSB_printf(vsb,
		    "; capped at %u URLs, the plan's most for a job: the "
		    "sitemap lists more, and those of the highest priority "
		    "(then the latest lastmod) were kept",
		    st->t->max_urls);
	smt_pop_note(st, vsb);
}

/*
 * A site with no sitemap at all is crawled: the job started at its
 * root (not at a sitemap named for it), and every document tried was
 * not there (robots.txt naming none, /sitemap.xml answering 404).
 */
static int
smt_no_sitemap(const struct sitemap_task *st, const struct sc_stats *ss)
{
	size_t site = url_norm_site_len(st->t->url);

	return (ss->sitemaps == 0 && ss->urls == 0 && ss->failed > 0 &&
	    ss->failed == ss->missing && site > 0 &&
	    !strcmp(st->t->url + site, "/"));
}

static void smt_probe(struct sitemap_task *);

static void
smt_on_crawled(void *priv, const struct sc_stats *ss, const char *err)
{
	struct sitemap_task *st;
	char error[SMT_ERR_LEN];
	struct vsb *notes;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	assert(st->state == SMT_READING);
	if (smt_no_sitemap(st, ss)) {
		snprintf(st->why_crawl, sizeof st->why_crawl,
		    "no sitemap found (%s)", err != NULL ? err : "none");
		sc_free(&st->crawl);
		smt_crawl(st);
		return;
	}
	error[0] = '\0';
	/* A sitemap that could not be read fails the job: warming a part
	 * of a site as if it were all of it would say it is warm. */
	if (err != NULL)
		snprintf(error, sizeof error, "%s", err);
	else if (ss->too_deep > 0)
		snprintf(error, sizeof error,
		    "sitemap indexes nested too deep: %u left out",
		    ss->too_deep);
	else if (st->nheap == 0)
		snprintf(error, sizeof error, "the sitemap lists no URL on %s",
		    st->host);
	notes = VSB_new_auto();
	AN(notes);
	smt_notes(st, ss, notes);
	if (error[0] != '\0') {
		AZ(VSB_finish(notes));
		smt_fail(st, VSB_data(notes), "%s", error);
		VSB_destroy(&notes);
		return;
	}
	st->notes = notes;
	smt_probe(st);
}

/*--------------------------------------------------------------------
 * A sitemap's first pages, read for their ESI fragments
 */

static void
smt_on_fragment(void *priv, const char *url, const char *page)
{
	struct sitemap_task *st;
	struct smt_url *p;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	/* As much as the page that holds it: warmed alongside it. */
	HASH_FIND_STR(st->seen, page, p);
	(void)smt_keep(st, url, p != NULL ? p->value : 1.0, 1);
	HASH_FIND_STR(st->seen, url, p);
	if (p != NULL && p->fragment)
		st->nfrag++;
}

static void
smt_on_probed(void *priv, unsigned pages)
{
	struct sitemap_task *st;
	struct vsb *notes;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	assert(st->state == SMT_PROBING);
	notes = st->notes;
	st->notes = NULL;
	VSB_printf(notes,
	    "; %u ESI fragment%s found on the first %u page%s "
	    "read from the origin, warmed as the job's own",
	    st->nfrag, st->nfrag == 1 ? "" : "s", pages, pages == 1 ? "" : "s");
	AZ(VSB_finish(notes));
	smt_write(st, NULL, VSB_data(notes));
	VSB_destroy(&notes);
}

/*
 * Through Varnish a page comes with its <esi:include>s replaced: its
 * fragments are found on the most valuable pages as the origin serves
 * them (esi_probe.h), and warmed as tasks of the job of their own.
 */
static void
smt_probe(struct sitemap_task *st)
{
	const char *pages[SMT_ESI_PAGES];
	struct smt_url *best[SMT_ESI_PAGES];
	unsigned u, v, n = 0;

	st->state = SMT_PROBING;
	/* The heap's few most valuable, without sorting it. */
	for (u = 0; u < st->nheap; u++) {
		for (v = n; v > 0 && smt_less(best[v - 1], st->heap[u]); v--)
			if (v < SMT_ESI_PAGES)
				best[v] = best[v - 1];
		if (v < SMT_ESI_PAGES) {
			best[v] = st->heap[u];
			if (n < SMT_ESI_PAGES)
				n++;
		}
	}
	for (u = 0; u < n; u++)
		pages[u] = best[u]->url;
	st->probe = esi_probe_new(st->f, pages, n, SMT_ESI_TIMEOUT,
	    smt_on_fragment, smt_on_probed, st);
	if (st->probe == NULL)
		smt_on_probed(st, 0);
}

static void
smt_on_note(void *priv, const char *msg)
{
	struct sitemap_task *st;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	log_debug("worker", "job %jd: %s", (intmax_t)st->job, msg);
}

/* A sitemap of a shop's: Shopware's own, or another. */
static void
smt_on_doc(void *priv, const char *url, int index)
{
	struct sitemap_task *st;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	if (st->shop != NULL && !index)
		sw_sitemap(st->shop, url);
}

/* The sitemaps, or the site's pages. */
static void
smt_read(struct sitemap_task *st)
{
	struct sc_conf c;

	if (st->force) {
		smt_crawl(st);
		return;
	}
	st->state = SMT_READING;
	memset(&c, 0, sizeof c);
	c.start = st->t->url;
	c.max_sitemaps = SMT_MAX_SITEMAPS;
	c.doc = smt_on_doc;
	st->crawl =
	    sc_new(st->f, &c, smt_on_url, smt_on_note, smt_on_crawled, st);
	if (st->crawl == NULL)
		smt_fail(st, NULL, "%s: cannot be fetched", st->t->url);
}

static void
smt_on_detected(void *priv, struct sw_shop *shop, const char *err)
{
	struct sitemap_task *st;
	unsigned u;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	assert(st->state == SMT_DETECTING);
	shopware_probe_free(&st->swp);
	st->shop = shop;
	if (err != NULL) {
		snprintf(st->sw_err, sizeof st->sw_err, "%s", err);
		log_info("worker", "job %jd: %s", (intmax_t)st->job, err);
	}
	if (shop->shopware) {
		/* The start page and its languages' first. */
		st->tier = SMT_SW_PAGE;
		smt_sw_keep(st, st->cc.start);
		for (u = 0; u < shop->ndomain; u++)
			smt_sw_keep(st, shop->domain[u].url);
		for (u = 0; u < shop->ncategory; u++)
			smt_sw_keep(st, shop->category[u]);
	}
	smt_read(st);
}

/* What the shop's start page says, before its sitemaps. */
static void
smt_detect(struct sitemap_task *st)
{
	st->state = SMT_DETECTING;
	st->swconf = json_loads(st->t->shopware, 0, NULL);
	if (st->swconf == NULL)
		st->swconf = json_object();
	AN(st->swconf);
	st->swp = shopware_probe_new(st->f, st->t->base_url, SMT_SW_TIMEOUT,
	    smt_on_detected, st);
	if (st->swp != NULL)
		return;
	st->shop = sw_shop_new();
	snprintf(st->sw_err, sizeof st->sw_err, "%s: cannot be fetched",
	    st->t->base_url);
	smt_read(st);
}

static void
smt_begin(evutil_socket_t fd, short what, void *priv)
{
	struct sitemap_task *st;
	struct addr_url b;
	const char *why;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	assert(st->state == SMT_BEGIN);
	st->state = SMT_READING;
	if (st->t->attempts > SITEMAP_TASK_TRIES) {
		smt_fail(st, NULL,
		    "%s: not read: its worker stopped each of "
		    "%u times",
		    st->t->url, SITEMAP_TASK_TRIES);
		return;
	}
	if (addr_url_parse(st->t->base_url, &b, &why) != 0) {
		smt_fail(st, NULL, "the website's base_url: %s", why);
		return;
	}
	snprintf(st->host, sizeof st->host, "%s", b.host);
	st->heap = calloc(st->t->max_urls + 1, sizeof *st->heap);
	AN(st->heap);
	smt_settings(st);
	st->pop = popularity_new(st->t->popular);
	if (st->t->shopware[0] != '\0')
		smt_detect(st);
	else
		smt_read(st);
}

/*--------------------------------------------------------------------
 * sitemap_task.h
 */

struct sitemap_task *
sitemap_task_start(struct event_base *eb, struct fetcher *f,
    struct task_queue *q, struct tq_task *t, sitemap_task_end_f *end,
    void *priv)
{
	struct sitemap_task *st;

	AN(eb);
	AN(f);
	AN(q);
	CHECK_OBJ_NOTNULL(t, TQ_TASK_MAGIC);
	assert(t->kind == TQ_SITEMAP);
	AN(end);
	ALLOC_OBJ(st, SITEMAP_TASK_MAGIC);
	AN(st);
	st->eb = eb;
	st->f = f;
	st->q = q;
	st->t = t;
	st->job = t->job_id;
	st->end = end;
	st->end_priv = priv;
	st->begin = event_new(eb, -1, 0, smt_begin, st);
	AN(st->begin);
	event_active(st->begin, EV_TIMEOUT, 0);
	return (st);
}

void
sitemap_task_stop(struct sitemap_task *st)
{
	CHECK_OBJ_NOTNULL(st, SITEMAP_TASK_MAGIC);
	if (st->state != SMT_BEGIN && st->state != SMT_DETECTING &&
	    st->state != SMT_READING && st->state != SMT_CRAWLING &&
	    st->state != SMT_PROBING)
		return;
	/* Its end being written: the answer ends it. */
	(void)event_del(st->begin);
	sc_free(&st->crawl);
	if (st->site != NULL)
		site_crawl_free(&st->site);
	if (st->probe != NULL)
		esi_probe_free(&st->probe);
	if (st->swp != NULL)
		shopware_probe_free(&st->swp);
	tq_release(st->q, st->t);
	st->t = NULL;
	smt_end(st);
}

void
sitemap_task_close(struct sitemap_task *st)
{
	CHECK_OBJ_NOTNULL(st, SITEMAP_TASK_MAGIC);
	st->closed = 1;
	(void)event_del(st->begin);
	sc_free(&st->crawl);
	if (st->site != NULL)
		site_crawl_free(&st->site);
	if (st->probe != NULL)
		esi_probe_free(&st->probe);
	if (st->swp != NULL)
		shopware_probe_free(&st->swp);
}

void
sitemap_task_free(struct sitemap_task **stp)
{
	struct sitemap_task *st;
	struct smt_url *s, *s2;

	TAKE_OBJ_NOTNULL(st, stp, SITEMAP_TASK_MAGIC);
	/* Freed while its end is written, the answer would find it gone. */
	assert(st->state != SMT_WRITING || st->closed);
	sc_free(&st->crawl);
	if (st->site != NULL)
		site_crawl_free(&st->site);
	if (st->probe != NULL)
		esi_probe_free(&st->probe);
	if (st->notes != NULL)
		VSB_destroy(&st->notes);
	event_free(st->begin);
	HASH_ITER(hh, st->seen, s, s2)
	smt_url_free(st, s);
	free(st->heap);
	if (st->settings != NULL)
		json_decref(st->settings);
	if (st->crawl_notes != NULL)
		VSB_destroy(&st->crawl_notes);
	if (st->swp != NULL)
		shopware_probe_free(&st->swp);
	if (st->shop != NULL)
		sw_shop_free(&st->shop);
	if (st->swconf != NULL)
		json_decref(st->swconf);
	if (st->pop != NULL)
		popularity_free(&st->pop);
	FREE_OBJ(st);
}
