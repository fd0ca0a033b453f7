/*
 * What stoked learns from the log, as typed events: the one interface
 * between reading the log and everything that acts on it (the index now,
 * the warm queue next).  Event data is valid only during delivery.
 */

#ifndef STOKE_EVENTS_H
#define STOKE_EVENTS_H

#include <stdint.h>

enum ev_type {
	EV_HIT, /* a request was served from cache */
	EV_MISS, /* a request was not in cache */
	EV_PASS, /* a request bypassed the cache */
	EV_SYNTH, /* a request was answered by VCL itself */
	EV_FETCH, /* a backend fetch completed */
	EV_PURGE, /* an object was purged */
	EV_BAN, /* a ban was added */
	EV_TAGS, /* objects were invalidated by tag */
	EV_ESI, /* a page includes a fragment */
	EV_WARM, /* a warm request was checked */
	EV_NUKE, /* Varnish evicted an object for space */
	EV__MAX
};

extern const char *const ev_type_name[EV__MAX];

/*
 * An object as the cache keys it: host, URL and the variant inputs, the
 * latter as "name=value name=value" in declaration order, values
 * percent-encoded (so a space always separates).
 */
struct obj_key {
	const char *host;
	const char *url;
	const char *variant;
	/*
	 * A client request's headers: the index finds an object that
	 * varies (Vary) on some of them by their values.  None for keys
	 * that are complete already (fetches, purges).
	 */
	unsigned nhdr;
	const char *const *hdr_name;
	const char *const *hdr_val;
};

struct ev_hit {
	uint32_t obj_vxid;
	double ttl_left, grace, keep;
	const char *tags; /* the object's tag headers, or NULL */
};

struct ev_fetch {
	uint32_t vxid;
	unsigned status;
	unsigned cacheable;
	unsigned failed;
	unsigned background; /* a grace hit's refresh */
	double t_origin, ttl, grace, keep;
	double fetch_time; /* seconds to the response headers */
	uint64_t size;
	const char *tags; /* tag headers as sent, separators kept */
	const char *warm_id; /* the verified warm request that caused it */
	const char *cache_control; /* as the origin sent it, or NULL */
	unsigned set_cookie; /* the origin set a cookie */
	unsigned nhdr;
	const char *const *hdr_name;
	const char *const *hdr_val;
};

struct ev_purge {
	unsigned soft;
	long count; /* -1: unknown */
};

struct ev_ban {
	const char *expr;
};

struct ev_tags {
	unsigned soft;
	long count;
	const char *tags; /* comma-separated, percent-encoded */
};

struct ev_esi {
	struct obj_key child;
};

struct ev_warm {
	const char *result;
	const char *id;
};

/*
 * "ExpKill LRU x=VXID", logged only with vsl_mask=+ExpKill: the object
 * the fetch of that vxid made.  No key: the log names none.
 */
struct ev_nuke {
	uint32_t obj_vxid;
};

struct event_rec {
	enum ev_type type;
	/*
	 * The client request it comes from (for a fetch, the one that
	 * waited for it): what X-Varnish names first in the answer.
	 */
	uint32_t vxid;
	double now;
	double t_logged; /* when Varnish answered the request, or 0 */
	struct obj_key key; /* the object concerned, where there is one */
	union {
		struct ev_hit hit;
		struct ev_fetch fetch;
		struct ev_purge purge;
		struct ev_ban ban;
		struct ev_tags tags;
		struct ev_esi esi;
		struct ev_warm warm;
		struct ev_nuke nuke;
	} u;
};

typedef void ev_sink_f(void *priv, const struct event_rec *);

#endif
