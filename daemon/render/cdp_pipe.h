/*
 * One headless Chromium, driven over the DevTools protocol through
 * --remote-debugging-pipe: we write its fd 3 and read its fd 4, NUL-
 * framed JSON (cdp_frame.h), on the daemon's event loop, never blocking.
 * No WebSocket, no port: nothing else on the machine can drive it.
 *
 * The browser runs in a process group of its own, with a profile in a
 * fresh temporary directory, behind a proxy that does not exist: every
 * request a page makes is meant to be intercepted (Fetch domain) and
 * answered by stoked; one that slipped through fails instead of
 * reaching the network.
 *
 * Commands are sent with cdp_pipe_call() on the browser or on a
 * flattened session (Target.attachToTarget {"flatten": true}), and
 * answered in any order; events come to one callback with their
 * session.  When the browser goes (exits, crashes, closes the pipe),
 * every command waiting is answered with an error, then gone is told.
 */

#ifndef STOKE_CDP_PIPE_H
#define STOKE_CDP_PIPE_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct event_base;
struct cdp_pipe;

#define CDP_CHROMIUM "/usr/bin/chromium" /* Debian's */

struct cdp_conf {
	const char *chromium; /* NULL: CDP_CHROMIUM */
	const char *log; /* the browser's stderr appended here; NULL: none */
	unsigned heap_mb; /* each page's JavaScript heap; 0: V8's own */
	size_t max_msg; /* the longest message taken; 0: 64 MiB */
};

/* result: the command's, borrowed; or error (the protocol's message,
 * or why the browser could not answer). */
typedef void cdp_reply_f(void *priv, json_t *result, const char *error);
/* session: NULL for the browser's own events; params borrowed. */
typedef void cdp_event_f(void *priv, const char *session, const char *method,
    json_t *params);
typedef void cdp_gone_f(void *priv, const char *why);

/* NULL with err when it cannot even be started. */
struct cdp_pipe *cdp_pipe_spawn(struct event_base *, const struct cdp_conf *,
    cdp_event_f *, cdp_gone_f *, void *priv, char *err, size_t errlen);
/*
 * Send method with params (taken over; NULL: none) on session (NULL:
 * the browser).  cb may be NULL: the answer is not wanted.  0, or -1
 * when the browser is gone (cb is not called).
 */
int cdp_pipe_call(struct cdp_pipe *, const char *session, const char *method,
    json_t *params, cdp_reply_f *cb, void *priv);
/* The answers still due to priv are dropped: it is going. */
void cdp_pipe_forget(struct cdp_pipe *, const void *priv);
int cdp_pipe_alive(const struct cdp_pipe *);
pid_t cdp_pipe_pid(const struct cdp_pipe *);
/* The browser's processes together, resident, in KiB; 0: unknown. */
unsigned long cdp_pipe_rss(const struct cdp_pipe *);
/* Kills the browser's process group, reaps it, removes its profile.
 * Never from one of its own callbacks. */
void cdp_pipe_free(struct cdp_pipe **);

#endif
