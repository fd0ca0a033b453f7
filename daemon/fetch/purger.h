/*
 * Invalidation sent to a website's Varnish nodes: PURGE of each URL
 * (every variant of it, as vcl/default.vcl and vcl/shopware6.vcl do)
 * and PURGE with an xkey header for each tag (vcl/shopware6.vcl: soft
 * with "xkey", the objects kept for grace while they are fetched again;
 * removed with "xkey-hard").  Every item goes to every node, each as a
 * request of its own, so that what each node said of each item is
 * known.
 *
 * All requests are handed to the fetcher at once; its cap of
 * connections per node bounds how many run, and each one's timeout
 * runs from then, so that the whole purge ends within about the
 * timeout however many items wait behind a slow node.  The caller's
 * fetcher says which addresses may be connected to
 * (fetcher_check_addresses).
 */

#ifndef STOKE_PURGER_H
#define STOKE_PURGER_H

struct event_base;
struct fetcher;

enum purge_kind {
	PURGE_URL,
	PURGE_TAG,
};

/* What one node said of one item. */
struct purge_result {
	const char *node; /* as given */
	enum purge_kind kind;
	const char *subject; /* the URL or the tag */
	long status; /* 0: no answer */
	int ok; /* a 2xx */
	const char *error; /* when !ok: why */
	/* Objects the node said it invalidated ("Invalidated 3 objects",
	 * vcl/shopware6.vcl's xkey answer); -1: it did not say. */
	long objects;
};

struct purge_req {
	const char *const *node; /* "http://ADDR:PORT" */
	unsigned nnode;
	const char *const *url; /* absolute: their host is the Host sent */
	unsigned nurl;
	const char *const *tag; /* no space, comma or control byte */
	unsigned ntag;
	const char *host; /* Host of tag purges: the website's */
	int hard; /* tags: "xkey-hard" rather than "xkey" */
	double timeout; /* seconds for the whole purge */
};

/*
 * nurl * nnode results, then ntag * nnode, each item's nodes in the
 * order given; valid during the call.
 */
typedef void purge_done_f(void *priv, const struct purge_result *, unsigned n);

/*
 * Sends every request.  done is called once, from eb's loop, never
 * before this returns; a request that could not even start (a URL too
 * long for a node) is a result with its error.  The request's strings
 * are copied.
 */
void purge_send(struct event_base *eb, struct fetcher *,
    const struct purge_req *, purge_done_f *, void *priv);

#endif
