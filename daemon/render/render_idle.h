/*
 * When a page has gone quiet: no request of its own in flight for a
 * while (network idle), and the Time-to-Interactive estimate that
 * follows from its long tasks.  Pure: times are passed in, in seconds
 * (or milliseconds for the page's own clock), nothing is watched here.
 */

#ifndef STOKE_RENDER_IDLE_H
#define STOKE_RENDER_IDLE_H

struct render_idle {
	unsigned inflight; /* requests started and not ended */
	double last; /* when the last one ended, or began */
	double quiet; /* seconds with none in flight that make idle */
};

void render_idle_init(struct render_idle *, double quiet, double now);
void render_idle_begin(struct render_idle *, double now);
void render_idle_end(struct render_idle *, double now);
/* Seconds until idle if nothing starts meanwhile; 0: idle now;
 * < 0: not before the requests in flight end. */
double render_idle_wait(const struct render_idle *, double now);

/*
 * The TTI estimate, in the page's milliseconds: the end of the last
 * long task (a task of 50 ms or more, as the PerformanceObserver
 * "longtask" entry says, start + duration) before the network went
 * quiet, and never before DOMContentLoaded.  Lighthouse looks for a
 * 5 s quiet window instead; the render waits far less than that, so
 * what it knows is the last long task it saw: this is a lower bound on
 * the lab TTI, and exact for a page whose scripts settle before idle.
 * dcl < 0: unknown, and so is TTI (-1).
 */
double render_tti(double dcl, const double *longtask_ends, unsigned n);

#endif
