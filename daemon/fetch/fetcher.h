/*
 * HTTP fetches on the daemon's event loop: libcurl's multi interface
 * driven by libevent socket and timer events, connections kept alive and
 * capped per host.  The warm engine's hands: what it decides is only
 * when a fetch may start, which an origin guard (origin_guard.h) says
 * when there is one; fetches it holds back wait in submission order.
 */

#ifndef STOKE_FETCHER_H
#define STOKE_FETCHER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct fetch_kept;
struct fetcher;
struct origin_guard;

#define FETCH_MAX_HDRS 16

/*
 * Where a fetch may connect.  An address the operator gave (--node) is
 * theirs to choose; one a tenant named was checked when it was saved,
 * but a name may resolve elsewhere by the time it is fetched (DNS
 * rebinding): such a fetch checks each address as it connects, with
 * addr_policy.h's verdict.
 */
enum fetch_addr {
	FETCH_ADDR_ANY = 0, /* the operator's own */
	FETCH_ADDR_PUBLIC, /* a tenant's: public addresses only */
	FETCH_ADDR_PRIVATE_OK, /* a tenant's, loopback and private allowed */
};

/*
 * A request's own options, set on curl's easy handle (a CURL *) after
 * the fetcher's, which it may override: another protocol (SMTP, for
 * e-mail notifications), what it sends.  0, or -1: the fetch is not
 * submitted.  What it gives curl stays the caller's, kept until the
 * fetch is done.
 */
typedef int fetch_prepare_f(void *priv, void *easy);

struct fetch_req {
	const char *url; /* where to connect: a Varnish node + path */
	const char *host; /* Host header; NULL: the URL's */
	const char *origin; /* the guard's key; NULL: host */
	const char *method; /* GET, HEAD, or one with no body: PURGE */
	unsigned nhdr; /* extra "Name: value" headers */
	const char *hdr[FETCH_MAX_HDRS];
	double timeout; /* seconds for the whole exchange */
	size_t body_max; /* keep the body, up to this; 0: count it only */
	/* Past body_max, stop reading and answer with what came (cut),
	 * rather than fail. */
	int body_cut;
	enum fetch_addr addr;
	/* A request body (POST), copied; and who vouches for an https
	 * server beside the system's CAs (NULL: those alone). */
	const void *body;
	size_t bodylen;
	const char *ca_file;
	fetch_prepare_f *prepare; /* NULL: an HTTP request as above */
	void *prepare_priv;
	/* A miss's latency is the caller's to tell the guard, from a
	 * better witness than the first byte (og_sample()): the guard
	 * hears only whether it failed from the answer. */
	unsigned latency_later;
	/* No one reads fetch_result.kept: its headers are not kept. */
	unsigned no_kept;
};

struct fetch_result {
	int ok; /* 1: an HTTP answer came */
	long status;
	const char *reason; /* the status line's phrase ("Purged"), or "" */
	const char *error; /* when !ok: why */
	double time, ttfb; /* seconds, from the start of the fetch */
	double waited; /* seconds held back by the origin guard */
	double started; /* when the guard let it go, VTIM_real() */
	uint64_t body_bytes;
	unsigned hit; /* X-Varnish named two transactions */
	uint32_t vxid; /* the request's, X-Varnish's first; 0: none */
	const char *warm_id; /* Stoke-Warm-Id sent back, or NULL */
	const char *retry_after;
	const char *cache_control; /* as answered, or NULL */
	unsigned set_cookie; /* the answer set a cookie */
	/* The names of the cookies it set, space separated ("sw-states
	 * session-"), as far as 255 bytes go; or NULL. */
	const char *cookies;
	long age; /* Age: header, -1 when none */
	const char *body; /* with body_max: what came, body_bytes long */
	const char *location; /* as answered, not followed; or NULL */
	const char *content_type; /* as answered, or NULL */
	unsigned cut; /* body_cut: the body went on past body_max */
	/* The headers that explain the answer (fetch_kept.h), valid
	 * during the callback; NULL when it never reached a server, or
	 * with no_kept. */
	const struct fetch_kept *kept;
};

typedef void fetch_done_f(void *priv, const struct fetch_result *);

struct fetcher *fetcher_new(struct event_base *, unsigned max_per_host);
/* From now on, fetches start when the guard lets them (it is shared). */
void fetcher_set_guard(struct fetcher *, struct origin_guard *);
/* For og_sample() after a fetch with latency_later; NULL: none. */
struct origin_guard *fetcher_guard(const struct fetcher *);
/*
 * From now on, the address of every connection this fetcher opens is
 * judged as a tenant's URLs are (addr_policy.h, allow_private as
 * addr_verdict()'s): a refused one is never connected to, and a fetch
 * with no other address fails, saying why.  Judged when connecting, not
 * when the URL was saved, so that DNS cannot answer otherwise meanwhile;
 * for fetches to tenants' hosts, on a fetcher of their own, whose
 * connections are never ones opened unchecked.
 */
void fetcher_check_addresses(struct fetcher *, int allow_private);
void fetcher_free(struct fetcher **);
/* 0, or -1 when the request cannot even be started (bad URL...). */
int fetcher_submit(struct fetcher *, const struct fetch_req *, fetch_done_f *,
    void *priv);
/* Fetches submitted and not done yet: running, or held back. */
unsigned fetcher_inflight(const struct fetcher *);
unsigned fetcher_waiting(const struct fetcher *);

#endif
