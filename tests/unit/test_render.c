/*
 * The pure parts of rendering: the DevTools pipe's framing (messages cut
 * anywhere, several in one read, one too long), the network idle
 * detector, the TTI estimate and the report's JSON.
 */

#include "config.h"

#include <stdlib.h>

#include "render/cdp_frame.h"
#include "render/render_idle.h"
#include "render/render_page.h"
#include "unit.h"

static void
test_frame(void)
{
	static const char two[] = "{\"id\":1}\0{\"id\":2}";
	struct cdp_frame *f = cdp_frame_new(64);
	const char *m;
	char big[80];
	size_t len, u;

	/* Nothing whole yet. */
	CHECK(cdp_frame_next(f, &len) == NULL);
	/* Two messages in one read, the second cut short. */
	CHECK(cdp_frame_feed(f, two, sizeof two - 1) == 0);
	m = cdp_frame_next(f, &len);
	CHECK_STR_EQ(m, "{\"id\":1}");
	CHECK(len == 8);
	CHECK(cdp_frame_next(f, &len) == NULL);
	CHECK(cdp_frame_pending(f) == 8);
	/* Its end comes a byte at a time. */
	CHECK(cdp_frame_feed(f, "", 1) == 0);
	m = cdp_frame_next(f, &len);
	CHECK_STR_EQ(m, "{\"id\":2}");
	CHECK(cdp_frame_pending(f) == 0);
	/* An empty message is a message. */
	CHECK(cdp_frame_feed(f, "\0x\0", 3) == 0);
	m = cdp_frame_next(f, &len);
	CHECK(m != NULL && len == 0);
	m = cdp_frame_next(f, &len);
	CHECK_STR_EQ(m, "x");
	/* Many small ones: the buffer is reused, not grown for ever. */
	for (u = 0; u < 10000; u++) {
		CHECK(cdp_frame_feed(f, "abc", 4) == 0);
		m = cdp_frame_next(f, &len);
		if (m == NULL || len != 3)
			break;
	}
	CHECK(u == 10000);
	/* Past the longest taken, without an end: the stream is lost. */
	memset(big, 'a', sizeof big);
	CHECK(cdp_frame_feed(f, big, sizeof big) == -1);
	CHECK(cdp_frame_next(f, &len) == NULL);
	CHECK(cdp_frame_feed(f, "", 1) == -1);
	cdp_frame_free(&f);
	CHECK(f == NULL);

	/* One that ends, but too long, in the same read: lost too. */
	f = cdp_frame_new(8);
	CHECK(cdp_frame_feed(f, "0123456789\0", 11) == 0);
	CHECK(cdp_frame_next(f, &len) == NULL);
	CHECK(cdp_frame_feed(f, "ok", 3) == -1);
	cdp_frame_free(&f);
}

static void
test_idle(void)
{
	struct render_idle ri;

	render_idle_init(&ri, 0.5, 10.0);
	/* Nothing asked yet: quiet half a second after the start. */
	CHECK(render_idle_wait(&ri, 10.0) == 0.5);
	CHECK(render_idle_wait(&ri, 10.6) == 0);
	render_idle_begin(&ri, 11.0);
	render_idle_begin(&ri, 11.1);
	/* In flight: not before they end, however long. */
	CHECK(render_idle_wait(&ri, 20.0) < 0);
	render_idle_end(&ri, 11.2);
	CHECK(render_idle_wait(&ri, 20.0) < 0);
	render_idle_end(&ri, 11.4);
	CHECK(render_idle_wait(&ri, 11.4) == 0.5);
	CHECK(render_idle_wait(&ri, 11.7) > 0.19 &&
	    render_idle_wait(&ri, 11.7) < 0.21);
	CHECK(render_idle_wait(&ri, 11.9) == 0);
	/* A new request starts the window again. */
	render_idle_begin(&ri, 12.0);
	render_idle_end(&ri, 12.1);
	CHECK(render_idle_wait(&ri, 12.2) > 0);
}

static void
test_tti(void)
{
	const double lt[] = { 120, 900, 450 };

	/* No long task: TTI is DOMContentLoaded. */
	CHECK(render_tti(300, NULL, 0) == 300);
	/* The last long task's end, whatever the order they came in. */
	CHECK(render_tti(300, lt, 3) == 900);
	/* Long tasks before DCL leave it there. */
	CHECK(render_tti(1000, lt, 3) == 1000);
	/* DCL unknown: TTI too. */
	CHECK(render_tti(-1, lt, 3) < 0);
}

static void
test_report(void)
{
	struct render_report r;
	char *s;

	memset(&r, 0, sizeof r);
	r.t.ttfb = 12.34;
	r.t.dcl = 200;
	r.t.load = 250;
	r.t.lcp = -1;
	r.t.tti = 200;
	r.nsub = 3;
	r.sub_hits = 2;
	r.sub_bytes = 4096;
	r.blocked = 1;
	r.elapsed = 1.5;
	r.error = "timeout \"quoted\"";
	s = render_report_json(&r);
	CHECK_STR_EQ(s,
	    "{\"ttfb_ms\":12.3,\"dcl_ms\":200.0,\"load_ms\":250.0,"
	    "\"lcp_ms\":null,\"tti_ms\":200.0,\"subrequests\":3,"
	    "\"subrequest_bytes\":4096,\"subrequest_hits\":2,\"blocked\":1,"
	    "\"popups\":0,\"render_ms\":1500.0,"
	    "\"error\":\"timeout \\\"quoted\\\"\"}");
	free(s);
}

int
main(void)
{
	test_frame();
	test_idle();
	test_tti();
	test_report();
	return (unit_done());
}
