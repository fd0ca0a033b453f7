/*
 * The connections of the API's server: counted as they come and go,
 * and refused past a limit, so that its file descriptors never run out.
 *
 * libevent 2.1's evhttp accepts by itself, has no limit of its own
 * (evhttp_set_max_connections is 2.2's) and takes no socket accepted
 * elsewhere.  So a connection is counted when evhttp asks for its
 * bufferevent (evhttp_set_bevcb), and is adopted once evhttp holds it:
 * from the loop, in the same turn, before anything is read on it, its
 * close callback becomes ours and counts it out.  At the limit,
 * evhttp's listeners stop accepting and ours, on the same sockets, take
 * over: each newcomer is answered 503 in the API's JSON error shape
 * (code "too_many_connections") and closed at once, until a connection
 * goes.  A listener may be left out of the limit (/metrics's own).
 *
 * A connection has one close callback: whoever wants to hear that it
 * went (an event stream) asks here (api_conns_watch).
 *
 * accept() failing for want of descriptors (EMFILE, ENFILE: a limit
 * above what the process may open, or descriptors held elsewhere) would
 * have libevent's listener retry at once, for ever: it pauses instead,
 * API_CONNS_PAUSE seconds, and the newcomers wait in the kernel's queue.
 */

#ifndef STOKE_API_CONNS_H
#define STOKE_API_CONNS_H

#include <stdint.h>

#include "core/metrics.h"

struct api_conns;
struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_connection;

/* Descriptors kept for the rest of the process (the database, files
 * sent, resolvers, logs) when the limit comes from RLIMIT_NOFILE. */
#define API_CONNS_RESERVE 256
/* How long a listener stops after accept() found no descriptor. */
#define API_CONNS_PAUSE 0.1

/* The connections evhttp makes from now on are counted. */
struct api_conns *api_conns_new(struct event_base *, struct evhttp *);
/*
 * Every connection goes (evhttp_free), telling nobody: call before
 * evhttp_free(), and api_conns_free() after it.
 */
void api_conns_stop(struct api_conns *);
void api_conns_free(struct api_conns **);
/*
 * A socket of evhttp's, whose connections are counted; limited: and
 * refused past the limit (not the scraper's own, which is the
 * operator's, and must answer while the API is full).
 */
void api_conns_listener(struct api_conns *, struct evhttp_bound_socket *,
    int limited);
/*
 * The most connections at once; 0: the open-file limit (RLIMIT_NOFILE)
 * less API_CONNS_RESERVE.  A number above that is lowered to it.
 * Returns the limit in force.
 */
unsigned api_conns_set_max(struct api_conns *, unsigned max);
/* What 0 means, now: at least 16. */
unsigned api_conns_max_default(void);

/*
 * fn(priv) is called once, from the loop, when the connection goes,
 * unless it is asked again with fn NULL first.  Not after
 * api_conns_stop().  One at a time per connection.
 */
typedef void api_conn_gone_f(void *priv);
void api_conns_watch(struct api_conns *, struct evhttp_connection *,
    api_conn_gone_f *fn, void *priv);

/* stoke_api_connections, stoke_api_connections_refused_total. */
void api_conns_metrics(const struct api_conns *, struct metrics *);

#endif
