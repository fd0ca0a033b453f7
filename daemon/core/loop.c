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
