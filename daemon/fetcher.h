/*
 * HTTP fetches on the daemon's event loop: libcurl's multi interface
 * driven by libevent socket and timer events, connections kept alive and
 * capped per host.  The warm engine's hands; it decides nothing itself.
 */

#ifndef STOKE_FETCHER_H
#define STOKE_FETCHER_H

#include <stdint.h>

struct event_base;
struct fetcher;

#define FETCH_MAX_HDRS 16

struct fetch_req {
	const char *url; /* where to connect: a Varnish node + path */
	const char *host; /* Host header; NULL: the URL's */
	const char *method; /* GET or HEAD */
	unsigned nhdr; /* extra "Name: value" headers */
	const char *hdr[FETCH_MAX_HDRS];
	double timeout; /* seconds for the whole exchange */
};

struct fetch_result {
	int ok; /* 1: an HTTP answer came */
	long status;
	const char *error; /* when !ok: why */
	double time, ttfb; /* seconds */
	uint64_t body_bytes;
	unsigned hit; /* X-Varnish named two transactions */
	const char *warm_id; /* Stoke-Warm-Id sent back, or NULL */
	const char *retry_after;
};

typedef void fetch_done_f(void *priv, const struct fetch_result *);

struct fetcher *fetcher_new(struct event_base *, unsigned max_per_host);
void fetcher_free(struct fetcher **);
/* 0, or -1 when the request cannot even be started (bad URL...). */
int fetcher_submit(struct fetcher *, const struct fetch_req *, fetch_done_f *,
    void *priv);
unsigned fetcher_inflight(const struct fetcher *);

#endif
