/*
 * Server-Sent Event streams on one replica of the tenants' API: answers
 * that stay open and are written as things happen (text/event-stream).
 * What a stream says is its reader's (api_events.c); this holds what
 * every stream needs:
 *
 *	- a limit of API_SSE_PER_USER streams per user on this replica
 *	  (then 429 too_many_streams);
 *	- a "retry:" line first, and a comment line (": ping") every
 *	  heartbeat, so that proxies keep the connection and a client gone
 *	  without a word is noticed when a write fails;
 *	- the end of the stream when its token does (the caller's expiry);
 *	- ONE connection LISTENing on event_store.h's channel, whatever
 *	  the number of streams: a notification wakes the streams of its
 *	  website or job, and a LISTEN made again (after the database was
 *	  away, when notifications may have been lost) wakes them all.
 *
 * A stream's reader is asked to read (api_sse_read_f) once it is open
 * and when woken, never twice at once: wakes that come while it reads
 * make one more read after it.  What no notification says (a token
 * revoked, a membership ended) is asked of the database once a
 * heartbeat, for every stream in one statement, and wakes those that
 * may no longer read: their reader's own statement ends them.  So an
 * idle stream costs no statement of its own.  The replica keeps no
 * state another needs: a client that comes back to another replica with
 * Last-Event-ID is told what it missed, from the database.
 */

#ifndef STOKE_API_SSE_H
#define STOKE_API_SSE_H

#include <stdint.h>

#include "core/metrics.h"

struct api_req;
struct api_sse;
struct api_sse_stream;
struct event_base;
struct pg_pool;

#define API_SSE_PER_USER 20
/* What a client waits before it connects again, in milliseconds. */
#define API_SSE_RETRY_MS 3000

/*
 * Reads what is new for the stream, writes it (api_sse_event), and ends
 * with api_sse_read_done(), once, now or from a callback.
 */
typedef void api_sse_read_f(struct api_sse_stream *, void *priv);
/* The stream is over: what the reader keeps for it goes. */
typedef void api_sse_fini_f(void *priv);

/* heartbeat: seconds between pings. */
struct api_sse *
api_sse_new(struct event_base *, struct pg_pool *, double heartbeat);
/* Every stream ends: now, or once its read is over (the pool's free
 * ends them).  Then api_sse_free(), after the pool's. */
void api_sse_stop(struct api_sse *);
void api_sse_free(struct api_sse **);
metrics_f api_sse_metrics;

/*
 * Opens a stream for the request's caller about one job, or about one
 * website (job 0), once the caller has read what it starts with (so
 * that a 404 is still an answer): answers 429 when the caller has too
 * many open here, else starts the answer, and reads again at once from
 * the loop (what changed meanwhile was told to nobody).  NULL when
 * answered (429, or HEAD: the headers were all); else the stream, the
 * caller's to write on now, with the reader's priv its own until fini.
 */
struct api_sse_stream *
api_sse_open(struct api_sse *, struct api_req *, int64_t website, int64_t job,
    api_sse_read_f *, api_sse_fini_f *, void *priv);
/* Outside a read: the stream ends (once a read in flight is over). */
void api_sse_end(struct api_sse_stream *);
/* An event: "id: ID" (id NULL: none), "event: NAME", the data's lines. */
void api_sse_event(struct api_sse_stream *, const char *name, const char *id,
    const char *data);
/* Sets the id a client comes back with, without an event. */
void api_sse_id(struct api_sse_stream *, const char *id);
/* The read is over; end: and the stream too, for good. */
void api_sse_read_done(struct api_sse_stream *, int end);

#endif
