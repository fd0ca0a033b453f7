/*
 * cache_index: stoked's in-memory index of the objects Varnish holds, so
 * that after a purge, ban or tag invalidation it knows exactly what was
 * dropped and can warm it again.
 *
 * An object is keyed by (host, URL, variant).  The variant is an opaque
 * canonical string of the Vary inputs built by the caller, for example
 * "currency=EUR&encoding=gzip"; "" (or NULL) when the object has none.
 * All variants of one (host, URL) are found together by ci_foreach_url(),
 * because a purge drops every variant.
 *
 * Each object carries its expiry attributes, size, status and vxid, a
 * hit count and a popularity score that halves every half-life without
 * hits, its xkey tags (interned, one copy per distinct tag), a few
 * obj.http headers kept for ban evaluation, and ESI parent/child links.
 *
 * The index has a byte budget: when ci_put() takes it over max_bytes the
 * least valuable objects are evicted (lowest decayed popularity, then
 * oldest last hit), found by sampling.  ci_expire() drops the objects
 * that Varnish itself has dropped (t_origin + ttl + grace + keep < now).
 *
 * Single threaded: everything is called from the daemon's event loop.
 *
 * Iteration: a ci_foreach*() callback may ci_remove() the object it was
 * handed (purge handling does that) and ci_hit() anything.  Removing
 * other objects from a callback is memory safe but may make the iteration
 * skip or repeat objects.  ci_put() and ci_expire() must not be called
 * from a ci_foreach() or ci_foreach_url() callback (asserted); from the
 * tag and ESI iterations they are memory safe with the same caveat.
 *
 * A struct ci_obj pointer stays valid until the object is removed,
 * evicted or expired; ci_put() on an existing key updates it in place.
 */

#ifndef STOKE_CACHE_INDEX_H
#define STOKE_CACHE_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct cache_index;
struct ci_obj;

/*
 * What a backend fetch tells us about an object.  ttl, grace and keep are
 * stored as float, as Varnish's own struct exp does; t_origin to the
 * nearest 64th of a second, from 1970 to 2106; the status in 10 bits
 * (Varnish's are three digits; past 1023 saturates).
 */
struct ci_attrs {
	double t_origin; /* fetch time, unix seconds */
	double ttl;
	double grace;
	double keep;
	uint64_t size; /* body bytes */
	unsigned status; /* HTTP status */
	uint64_t vxid; /* Varnish object vxid, 0 = unknown */
};

/* Most tags one object may have (the VMOD allows 256). */
#define CI_MAX_TAGS 4095

/*
 * max_bytes: budget for ci_bytes(), 0 = unlimited.
 * half_life: popularity half-life in seconds, <= 0 = no decay.
 */
struct cache_index *ci_new(size_t max_bytes, double half_life);
void ci_free(struct cache_index **);
void ci_set_max_bytes(struct cache_index *, size_t max_bytes);

/*
 * Insert or update one object (a backend fetch completed).  tags
 * replace the object's old tags (duplicates are ignored); hdrs is
 * name, value, name, value, ..., NULL (or NULL for none) and replaces
 * the old headers.  A new object starts with popularity 1 (the request
 * that caused the fetch) and no hits; an update keeps popularity, hits
 * and ESI links.  May evict other objects to stay within max_bytes.
 * Returns NULL with errno ENOMEM, or E2BIG for over CI_MAX_TAGS tags or
 * over a MiB of tags and headers together; the index is then unchanged.
 */
struct ci_obj *ci_put(struct cache_index *, const char *host, const char *url,
    const char *variant, const struct ci_attrs *, const char *const *tags,
    unsigned ntags, const char *const *hdrs, double now);
struct ci_obj *ci_get(const struct cache_index *, const char *host,
    const char *url, const char *variant);
/* A client got the object from the cache. */
void ci_hit(struct cache_index *, struct ci_obj *, double now);
void ci_remove(struct cache_index *, struct ci_obj *);
/*
 * Varnish evicted the object its fetch vxid made (an LRU nuke): forget
 * it.  Returns 1 when one was removed, 0 when none had that vxid, -1
 * with errno ENOMEM.  The first call builds a table of the objects by
 * vxid, which the index keeps from then on.  Not from any ci_foreach*()
 * callback (asserted).
 */
int ci_remove_vxid(struct cache_index *, uint64_t vxid);

/*
 * ESI: parent includes child.  Returns 1 when the link is new, 0 when it
 * existed, -1 with errno EINVAL (parent == child) or ENOMEM.
 */
int
ci_link_esi(struct cache_index *, struct ci_obj *parent, struct ci_obj *child);
/* Drop the parent's links to its children (its body was fetched again). */
void ci_unlink_children(struct cache_index *, struct ci_obj *parent);

/*
 * Iteration.  A callback returns nonzero to stop; ci_foreach*() then
 * return that value, else 0.  See the top of this file for what a
 * callback may do.  ci_foreach_child/parent(o): the callback may also
 * remove o itself.
 */
typedef int ci_iter_f(void *priv, struct ci_obj *);
int ci_foreach(struct cache_index *, ci_iter_f *, void *priv);
int ci_foreach_url(struct cache_index *, const char *host, const char *url,
    ci_iter_f *, void *priv);
int
ci_foreach_tag(struct cache_index *, const char *tag, ci_iter_f *, void *priv);
int ci_foreach_child(struct cache_index *, struct ci_obj *, ci_iter_f *,
    void *priv);
int ci_foreach_parent(struct cache_index *, struct ci_obj *, ci_iter_f *,
    void *priv);

/*
 * A soft purge (purge.soft(), xkey.softpurge()): the object is no longer
 * fresh as of now but keeps its grace and keep, as Varnish does it.  An
 * object already stale is left alone.  Fine from any ci_foreach*()
 * callback.
 */
void ci_make_stale(struct cache_index *, struct ci_obj *, double now);

/* Remove the objects with t_origin + ttl + grace + keep < now. */
unsigned ci_expire(struct cache_index *, double now);

/*
 * Remove every object: Varnish lost its whole cache (its child
 * restarted).  Not an eviction, expiry or invalidation: no counter of
 * those moves.  Not from any ci_foreach*() callback (asserted).
 */
size_t ci_clear(struct cache_index *);

/* Object accessors. */
const char *ci_host(const struct ci_obj *);
const char *ci_url(const struct ci_obj *);
const char *ci_variant(const struct ci_obj *);
/* Value of a stored header, name case-insensitive; NULL if absent. */
const char *ci_hdr(const struct ci_obj *, const char *name);
struct ci_attrs ci_attrs(const struct ci_obj *);
/* t_origin + ttl + grace + keep: when Varnish drops the object. */
double ci_expires(const struct ci_obj *);
double
ci_popularity(const struct cache_index *, const struct ci_obj *, double now);
double ci_last_hit(const struct ci_obj *);
uint64_t ci_hits(const struct ci_obj *);
unsigned ci_ntags(const struct ci_obj *);
const char *
ci_tag(const struct cache_index *, const struct ci_obj *, unsigned i);

/* Statistics. */
size_t ci_count(const struct cache_index *);
/* Heap bytes the index uses, counted as glibc malloc allocates them. */
size_t ci_bytes(const struct cache_index *);
/* Of which the strings: host, URL, variant and header names and values. */
size_t ci_key_bytes(const struct cache_index *);
uint64_t ci_evictions(const struct cache_index *);
uint64_t ci_expirations(const struct cache_index *);
/* Objects ci_remove_vxid() removed. */
uint64_t ci_nuked(const struct cache_index *);
size_t ci_ntags_distinct(const struct cache_index *);
/* Number of objects carrying tag (0 if unknown). */
size_t ci_tag_count(const struct cache_index *, const char *tag);

#endif
