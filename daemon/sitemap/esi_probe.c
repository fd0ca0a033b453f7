/*
 * One fetch at a time, each answer read and the next submitted from
 * its callback; the end is told from a callback too (the fetcher's),
 * never from esi_probe_new().
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "fetch/fetcher.h"
#include "esi_probe.h"
#include "html_links.h"
#include "site_crawl.h"

struct ep_seen {
	char *url;
	UT_hash_handle hh;
};

struct esi_probe {
	unsigned magic;
#define ESI_PROBE_MAGIC 0x6e51a0c7
	struct fetcher *f;
	char **page;
	unsigned npage, next, read;
	double timeout;
	struct ep_seen *seen;
	int inflight; /* a fetch of ours is out */
	int freed; /* freed meanwhile: the answer frees it */
	esi_fragment_f *frag_cb;
	esi_probed_f *done_cb;
	void *priv;
};

/* Of the page being read. */
struct ep_page {
	unsigned magic;
#define EP_PAGE_MAGIC 0x6e51a0c8
	struct esi_probe *ep;
	const char *url;
};

static void
ep_destroy(struct esi_probe *ep)
{
	struct ep_seen *s, *t;
	unsigned u;

	HASH_ITER(hh, ep->seen, s, t)
	{
		HASH_DEL(ep->seen, s);
		free(s->url);
		free(s);
	}
	for (u = 0; u < ep->npage; u++)
		free(ep->page[u]);
	free(ep->page);
	FREE_OBJ(ep);
}

static void
ep_on_link(void *priv, enum html_link_kind kind, const char *url)
{
	struct ep_page *pg;
	struct esi_probe *ep;
	struct ep_seen *s;
	size_t site;

	CAST_OBJ_NOTNULL(pg, priv, EP_PAGE_MAGIC);
	ep = pg->ep;
	site = url_norm_site_len(pg->url);
	if (kind != HTML_ESI || url_norm_site_len(url) != site ||
	    strncmp(url, pg->url, site) != 0)
		return;
	HASH_FIND_STR(ep->seen, url, s);
	if (s != NULL)
		return;
	s = calloc(1, sizeof *s);
	AN(s);
	s->url = strdup(url);
	AN(s->url);
	HASH_ADD_KEYPTR(hh, ep->seen, s->url, strlen(s->url), s);
	ep->frag_cb(ep->priv, url, pg->url);
}

static void ep_on_fetched(void *, const struct fetch_result *);

/* The next page asked for: 0, or -1 when none is left. */
static int
ep_submit(struct esi_probe *ep)
{
	struct fetch_req rq;

	while (ep->next < ep->npage) {
		memset(&rq, 0, sizeof rq);
		rq.url = ep->page[ep->next++];
		rq.method = "GET";
		rq.timeout = ep->timeout;
		rq.body_max = CRAWL_PAGE_BYTES;
		rq.body_cut = 1;
		if (fetcher_submit(ep->f, &rq, ep_on_fetched, ep) == 0) {
			ep->inflight = 1;
			return (0);
		}
	}
	return (-1);
}

static void
ep_on_fetched(void *priv, const struct fetch_result *res)
{
	struct esi_probe *ep;
	struct ep_page pg;

	CAST_OBJ_NOTNULL(ep, priv, ESI_PROBE_MAGIC);
	ep->inflight = 0;
	if (ep->freed) {
		ep_destroy(ep);
		return;
	}
	if (res->ok && res->status == 200 && html_is_html(res->content_type)) {
		ep->read++;
		pg.magic = EP_PAGE_MAGIC;
		pg.ep = ep;
		pg.url = ep->page[ep->next - 1];
		(void)html_links(pg.url, res->body, res->body_bytes, NULL,
		    ep_on_link, &pg, NULL);
	}
	if (ep_submit(ep) != 0)
		ep->done_cb(ep->priv, ep->read);
}

struct esi_probe *
esi_probe_new(struct fetcher *f, const char *const *pages, unsigned npage,
    double timeout, esi_fragment_f *frag_cb, esi_probed_f *done_cb, void *priv)
{
	struct esi_probe *ep;
	unsigned u;

	AN(f);
	AN(frag_cb);
	AN(done_cb);
	assert(npage == 0 || pages != NULL);
	ALLOC_OBJ(ep, ESI_PROBE_MAGIC);
	AN(ep);
	ep->f = f;
	ep->timeout = timeout > 0 ? timeout : 30;
	ep->frag_cb = frag_cb;
	ep->done_cb = done_cb;
	ep->priv = priv;
	ep->page = calloc(npage + 1, sizeof *ep->page);
	AN(ep->page);
	for (u = 0; u < npage; u++) {
		ep->page[u] = strdup(pages[u]);
		AN(ep->page[u]);
	}
	ep->npage = npage;
	/* The first fetch from here: its answer drives the rest. */
	if (ep_submit(ep) == 0)
		return (ep);
	ep_destroy(ep);
	return (NULL);
}

void
esi_probe_free(struct esi_probe **epp)
{
	struct esi_probe *ep;

	TAKE_OBJ_NOTNULL(ep, epp, ESI_PROBE_MAGIC);
	if (ep->inflight) {
		/* The fetcher calls back once more: then it goes. */
		ep->freed = 1;
		return;
	}
	ep_destroy(ep);
}
