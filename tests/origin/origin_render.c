/*
 * The render site (/render/...): pages for a headless browser to load,
 * each pulling in what a shop's page does.  /render/page has a
 * stylesheet (with a background image of its own), images, a script
 * that calls an API at load (XHR/fetch), a listing fetched by
 * JavaScript only when scrolled into view (IntersectionObserver), and
 * a script from another origin (the -o URL: another port is another
 * host).  Then the pages a browser must survive: /render/hang never
 * finishes loading (an image 10 s late), /render/crash allocates until
 * its tab dies, /render/popup opens windows.  Everything is cacheable.
 */

#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "origin.h"

#define CT_HTML "text/html; charset=utf-8"
#define CT_CSS "text/css"
#define CT_JS "application/javascript"
#define CT_JSON "application/json"
#define CT_PNG "image/png"

/* A 1x1 transparent PNG. */
static const unsigned char png[] = { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a,
	0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15,
	0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c,
	0x63, 0x60, 0x00, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab,
	0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
	0x82 };

static void
head(struct evkeyvalq *oh, const char *type)
{
	evhttp_add_header(oh, "Content-Type", type);
	evhttp_add_header(oh, "Cache-Control", "public, max-age=300");
}

static int
r_page(struct evbuffer *b, const char *offsite)
{
	evbuffer_add_printf(b,
	    "<!doctype html><html><head><title>Render</title>\n"
	    "<link rel=\"stylesheet\" href=\"/render/style.css\">\n"
	    "<script src=\"/render/app.js\" defer></script>\n"
	    "<script src=\"%s/render/evil.js\" async></script>\n"
	    "</head><body>\n"
	    "<h1>Coffee</h1>\n"
	    "<img src=\"/render/img/hero.png\" width=\"600\" height=\"300\" "
	    "alt=\"\">\n"
	    "<div style=\"height:3000px\">tall</div>\n"
	    "<ul id=\"listing\"></ul>\n"
	    "<div id=\"more\">more</div>\n"
	    "</body></html>\n",
	    offsite != NULL ? offsite : "http://other.example");
	return (200);
}

static int
r_app(struct evbuffer *b)
{
	evbuffer_add_printf(b,
	    "fetch('/render/api/cart').then(r => r.json());\n"
	    "const x = new XMLHttpRequest();\n"
	    "x.open('GET', '/render/api/widgets'); x.send();\n"
	    "new IntersectionObserver((es, o) => {\n"
	    "  if (!es.some(e => e.isIntersecting)) return;\n"
	    "  o.disconnect();\n"
	    "  fetch('/render/api/listing').then(r => r.json()).then(l => {\n"
	    "    for (const src of l.images) {\n"
	    "      const li = document.createElement('li');\n"
	    "      const i = document.createElement('img');\n"
	    "      i.src = src; li.appendChild(i);\n"
	    "      document.getElementById('listing').appendChild(li);\n"
	    "    }\n"
	    "  });\n"
	    "}).observe(document.getElementById('more'));\n");
	return (200);
}

static int
r_hang(struct evbuffer *b)
{
	evbuffer_add_printf(b,
	    "<!doctype html><html><body><h1>Slow</h1>\n"
	    "<img src=\"/render/img/slow.png?delay=10000\" alt=\"\">\n"
	    "</body></html>\n");
	return (200);
}

static int
r_crash(struct evbuffer *b)
{
	evbuffer_add_printf(b,
	    "<!doctype html><html><body><h1>Greedy</h1><script>\n"
	    "const a = [];\n"
	    "for (;;) a.push(new Array(1 << 20).fill(a.length));\n"
	    "</script></body></html>\n");
	return (200);
}

static int
r_popup(struct evbuffer *b, const char *offsite)
{
	evbuffer_add_printf(b,
	    "<!doctype html><html><body><h1>Popups</h1>\n"
	    "<img src=\"/render/img/popup.png\" alt=\"\">\n"
	    "<script>\n"
	    "window.open('/render/img/from-popup.png');\n"
	    "window.open('%s/render/popup-target');\n"
	    "</script></body></html>\n",
	    offsite != NULL ? offsite : "http://other.example");
	return (200);
}

int
render_route(const char *path, const char *offsite, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	if (!strcmp(path, "/render/page")) {
		head(oh, CT_HTML);
		return (r_page(b, offsite));
	}
	if (!strcmp(path, "/render/hang")) {
		head(oh, CT_HTML);
		return (r_hang(b));
	}
	if (!strcmp(path, "/render/crash")) {
		head(oh, CT_HTML);
		return (r_crash(b));
	}
	if (!strcmp(path, "/render/popup")) {
		head(oh, CT_HTML);
		return (r_popup(b, offsite));
	}
	if (!strcmp(path, "/render/style.css")) {
		head(oh, CT_CSS);
		evbuffer_add_printf(b,
		    "body { font-family: sans-serif; }\n"
		    "h1 { background: url(/render/img/bg.png); }\n");
		return (200);
	}
	if (!strcmp(path, "/render/app.js")) {
		head(oh, CT_JS);
		return (r_app(b));
	}
	if (!strcmp(path, "/render/evil.js")) {
		head(oh, CT_JS);
		evbuffer_add_printf(b, "document.title = 'owned';\n");
		return (200);
	}
	if (!strcmp(path, "/render/api/cart")) {
		head(oh, CT_JSON);
		evbuffer_add_printf(b, "{\"items\": 0}\n");
		return (200);
	}
	if (!strcmp(path, "/render/api/widgets")) {
		head(oh, CT_JSON);
		evbuffer_add_printf(b, "{\"widgets\": []}\n");
		return (200);
	}
	if (!strcmp(path, "/render/api/listing")) {
		head(oh, CT_JSON);
		evbuffer_add_printf(b,
		    "{\"images\": [\"/render/img/lazy-1.png\", "
		    "\"/render/img/lazy-2.png\", "
		    "\"/render/img/lazy-3.png\"]}\n");
		return (200);
	}
	if (!strncmp(path, "/render/img/", 12)) {
		head(oh, CT_PNG);
		evbuffer_add(b, png, sizeof png);
		return (200);
	}
	return (0);
}
