/*
 * The event loop's life: dispatch until told to stop, then return so
 * that the caller frees what it made, in order.
 */

#include "config.h"

#include <signal.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"

#include "loop.h"

static void
loop_on_signal(evutil_socket_t sig, short what, void *priv)
{
	(void)sig;
	(void)what;
	event_base_loopexit(priv, NULL);
}

/*
 * Without PRECISE_TIMER libevent waits in whole milliseconds, rounded
 * up: a 0.5 ms timer would fire after 1 to 2 ms, and the log reader's
 * poll (vsl_reader.c) is what an invalidation waits for.
 */
static struct event_base *
loop_make(unsigned precise)
{
	struct event_config *cfg;
	struct event_base *eb;

	cfg = event_config_new();
	if (cfg == NULL)
		return (NULL);
	if (precise)
		AZ(event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER));
	/* What a changelist cannot tell apart is two dup()s of one
	 * socket in one base: stoked never watches such a pair. */
	AZ(event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST));
	eb = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return (eb);
}

struct event_base *
loop_new(void)
{
	return (loop_make(1));
}

struct event_base *
loop_new_coarse(void)
{
	return (loop_make(0));
}

int
loop_run(struct event_base *eb)
{
	struct event *sigint, *sigterm;
	int r;

	sigint = evsignal_new(eb, SIGINT, loop_on_signal, eb);
	sigterm = evsignal_new(eb, SIGTERM, loop_on_signal, eb);
	if (sigint == NULL || sigterm == NULL || event_add(sigint, NULL) ||
	    event_add(sigterm, NULL))
		r = -1;
	else
		r = event_base_dispatch(eb) < 0 ? -1 : 0;
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	return (r);
}
