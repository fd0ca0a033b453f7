/*
 * Running stoked's event loop until SIGINT or SIGTERM.
 */

#ifndef STOKE_LOOP_H
#define STOKE_LOOP_H

struct event_base;

/* Dispatches until a stop signal; returns 0, or -1 if it could not run. */
int loop_run(struct event_base *);

#endif
