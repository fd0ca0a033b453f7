#include "config.h"

#include "vdef.h"
#include "vas.h"

#include "render_idle.h"

void
render_idle_init(struct render_idle *ri, double quiet, double now)
{
	AN(ri);
	assert(quiet >= 0);
	ri->inflight = 0;
	ri->last = now;
	ri->quiet = quiet;
}

void
render_idle_begin(struct render_idle *ri, double now)
{
	AN(ri);
	ri->inflight++;
	ri->last = now;
}

void
render_idle_end(struct render_idle *ri, double now)
{
	AN(ri);
	assert(ri->inflight > 0);
	ri->inflight--;
	ri->last = now;
}

double
render_idle_wait(const struct render_idle *ri, double now)
{
	double left;

	AN(ri);
	if (ri->inflight > 0)
		return (-1);
	left = ri->last + ri->quiet - now;
	return (left > 0 ? left : 0);
}

double
render_tti(double dcl, const double *ends, unsigned n)
{
	double tti = dcl;
	unsigned u;

	if (dcl < 0)
		return (-1);
	assert(n == 0 || ends != NULL);
	for (u = 0; u < n; u++)
		if (ends[u] > tti)
			tti = ends[u];
	return (tti);
}
