/*
 * Making stoked's event loop, and running it until SIGINT or SIGTERM.
 */

#ifndef STOKE_LOOP_H
#define STOKE_LOOP_H

struct event_base;

/*
 * An event base whose timers keep sub-millisecond time, and where
 * watching a socket, leaving it and watching it again within one pass
 * costs at most one epoll_ctl (libevent's changelist), which libcurl
 * asks for with every request on a kept connection.  NULL when none
 * could be made.
 */
struct event_base *loop_new(void);
/*
 * The same, for a loop whose timers may be a clock tick off (a few
 * milliseconds: warming without reading a log): a precise timer is a
 * timerfd set again on every turn, a system call a turn.
 */
struct event_base *loop_new_coarse(void);

/* Dispatches until a stop signal; returns 0, or -1 if it could not run. */
int loop_run(struct event_base *);

#endif
