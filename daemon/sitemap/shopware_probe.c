/*
 * One fetch out at a time; the next (a redirect's) is submitted from the
 * answer's callback, and the end is told from there too.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "fetch/fetcher.h"
#include "html_links.h"
#include "shopware.h"
#include "shopware_probe.h"
#include "site_crawl.h"
#include "url_norm.h"

/* Redirects followed from the root, as browsers would, and fewer. */
#define SWP_MAX_HOPS 3

struct shopware_probe {
	unsigned magic;
#define SHOPWARE_PROBE_MAGIC 0x5e0b7a63
	struct fetcher *f;
	char url[URL_NORM_MAX + 1]; /* being fetched */
	size_t site_len;
	char site[URL_NORM_MAX + 1];
	double timeout;
	unsigned hops;
	int inflight; /* a fetch of ours is out */
	int freed; /* freed meanwhile: the answer frees it */
	struct sw_shop *shop;
	sw_probed_f *done;
	void *priv;
};

static void
swp_destroy(struct shopware_probe *p)
{
	if (p->shop != NULL)
		sw_shop_free(&p->shop);
	FREE_OBJ(p);
}

/* why NULL: the page was read. */
static void
swp_end(struct shopware_probe *p, const char *why)
{
	char err[2 * 1024 + 8];
	struct sw_shop *s;

	s = p->shop;
	p->shop = NULL;
	if (why != NULL)
		snprintf(err, sizeof err, "%.1024s: %.1024s", p->url, why);
	p->done(p->priv, s, why != NULL ? err : NULL);
}

static void swp_on_fetched(void *priv, const struct fetch_result *res);

static int
swp_submit(struct shopware_probe *p)
{
	struct fetch_req rq;

	memset(&rq, 0, sizeof rq);
	rq.url = p->url;
	rq.method = "GET";
	rq.timeout = p->timeout;
	rq.body_max = CRAWL_PAGE_BYTES;
	rq.body_cut = 1;
	if (fetcher_submit(p->f, &rq, swp_on_fetched, p) != 0)
		return (-1);
	p->inflight = 1;
	return (0);
}

/* A redirect within the site, fetched next; else the end, with why. */
static void
swp_redirect(struct shopware_probe *p, const char *location)
{
	char to[URL_NORM_MAX + 1], msg[URL_NORM_MAX + 64];
	const char *why;

	if (p->hops++ == SWP_MAX_HOPS) {
		swp_end(p, "too many redirects");
		return;
	}
	if (url_norm(p->url, location, NULL, to, sizeof to, &why) != 0) {
		swp_end(p, "redirected to an unusable URL");
		return;
	}
	if (url_norm_site_len(to) != p->site_len ||
	    strncmp(to, p->site, p->site_len)) {
		snprintf(msg, sizeof msg, "redirected to another site (%s)",
		    to);
		swp_end(p, msg);
		return;
	}
	snprintf(p->url, sizeof p->url, "%s", to);
	if (swp_submit(p) != 0)
		swp_end(p, "cannot be fetched");
}

static void
swp_on_fetched(void *priv, const struct fetch_result *res)
{
	struct shopware_probe *p;
	char why[64];

	CAST_OBJ_NOTNULL(p, priv, SHOPWARE_PROBE_MAGIC);
	p->inflight = 0;
	if (p->freed) {
		swp_destroy(p);
		return;
	}
	if (res->ok && res->status >= 300 && res->status <= 399 &&
	    res->location != NULL) {
		swp_redirect(p, res->location);
		return;
	}
	if (!res->ok) {
		swp_end(p, res->error);
		return;
	}
	if (res->status < 200 || res->status > 299) {
		snprintf(why, sizeof why, "HTTP %ld", res->status);
		swp_end(p, why);
		return;
	}
	/* The cookies say something even of a page that is not HTML. */
	(void)sw_detect(p->shop, p->url, res->cookies, res->body,
	    html_is_html(res->content_type) ? (size_t)res->body_bytes : 0);
	swp_end(p, NULL);
}

struct shopware_probe *
shopware_probe_new(struct fetcher *f, const char *url, double timeout,
    sw_probed_f *done, void *priv)
{
	struct shopware_probe *p;
	const char *why;

	AN(f);
	AN(url);
	AN(done);
	ALLOC_OBJ(p, SHOPWARE_PROBE_MAGIC);
	AN(p);
	if (url_norm(NULL, url, NULL, p->url, sizeof p->url, &why) != 0) {
		FREE_OBJ(p);
		return (NULL);
	}
	p->site_len = url_norm_site_len(p->url);
	snprintf(p->site, sizeof p->site, "%s", p->url);
	p->f = f;
	p->timeout = timeout;
	p->done = done;
	p->priv = priv;
	p->shop = sw_shop_new();
	if (swp_submit(p) != 0) {
		swp_destroy(p);
		return (NULL);
	}
	return (p);
}

void
shopware_probe_free(struct shopware_probe **pp)
{
	struct shopware_probe *p;

	TAKE_OBJ_NOTNULL(p, pp, SHOPWARE_PROBE_MAGIC);
	/* In the fetcher's hands: the answer frees it. */
	if (p->inflight) {
		p->freed = 1;
		return;
	}
	swp_destroy(p);
}
