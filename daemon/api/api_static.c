/*
 * The dashboard's files, from its directory, at each request.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "api_static.h"
#include "api_static_path.h"

struct api_static {
	unsigned magic;
#define API_STATIC_MAGIC 0x57a71c01
	char *dir;
};

#define STATIC_CSP                                                             \
	"default-src 'self'; script-src 'self'; style-src 'self' "             \
	"'unsafe-inline'; img-src 'self' data:; object-src 'none'; "           \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* What a missing build answers: what to do about it. */
static const char static_unbuilt[] =
    "<!doctype html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<title>Stoke: the dashboard is not built</title></head>\n"
    "<body style=\"font-family: sans-serif; max-width: 40em; margin: 3em "
    "auto; padding: 0 1em\">\n"
    "<h1>The dashboard is not built</h1>\n"
    "<p>This stoked serves the API (<a href=\"/api/openapi.json\">"
    "/api/openapi.json</a>), but found no built dashboard to serve "
    "here.  Build it, from Stoke's source tree, with Node.js 20:</p>\n"
    "<pre>cd dashboard &amp;&amp; npm ci &amp;&amp; npm run build</pre>\n"
    "<p>and start stoked with <code>--dashboard dashboard/dist</code> "
    "(by default it looks in the directory it was installed with, then "
    "in the source tree it was built from).</p>\n"
    "</body></html>\n";

struct api_static *
api_static_new(const char *dir)
{
	struct api_static *st;

	AN(dir);
	ALLOC_OBJ(st, API_STATIC_MAGIC);
	AN(st);
	st->dir = strdup(dir);
	AN(st->dir);
	return (st);
}

void
api_static_free(struct api_static **stp)
{
	struct api_static *st;

	TAKE_OBJ_NOTNULL(st, stp, API_STATIC_MAGIC);
	free(st->dir);
	FREE_OBJ(st);
}

const char *
api_static_dir(const struct api_static *st)
{
	CHECK_OBJ_NOTNULL(st, API_STATIC_MAGIC);
	return (st->dir);
}

/*--------------------------------------------------------------------
 * Opening a file of the directory, and nothing out of it
 */

/* What static_open() says when rel is a link that leads out. */
#define STATIC_OUT (-2)

/*
 * rel's file, opened, if it is a regular file whose real path is in
 * root (a real path).  fd; -1 when there is no such file (or it is not
 * a regular one); STATIC_OUT when rel leads out of the directory (a
 * link), which is no file of ours either and is refused as such.
 */
static int
static_open(const char *root, const char *rel, struct stat *sb)
{
	char path[PATH_MAX], real[PATH_MAX];
	size_t rl = strlen(root);
	int fd;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >=
	    sizeof path)
		return (-1);
	if (realpath(path, real) == NULL)
		return (-1);
	if (strncmp(real, root, rl) != 0 || real[rl] != '/')
		return (STATIC_OUT);
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return (-1);
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
		AZ(close(fd));
		return (-1);
	}
	return (fd);
}

/* Sends rel's file (fd, sb), or its .gz if the client takes it. */
static void
static_send(struct api_req *r, const char *root, const char *rel, int fd,
    const struct stat *sb)
{
	char gz[STATIC_PATH_MAX + 4];
	struct stat gsb;
	int gfd = -1;

	http_api_header(r, "Cache-Control", api_static_cache(rel));
	if (!strcmp(rel, "index.html")) {
		/* The page holds a tenant's token: nothing but its own
		 * scripts runs in it, and no other site frames it. */
		http_api_header(r, "Content-Security-Policy", STATIC_CSP);
		http_api_header(r, "Referrer-Policy", "same-origin");
	}
	if ((size_t)snprintf(gz, sizeof gz, "%s.gz", rel) < sizeof gz)
		gfd = static_open(root, gz, &gsb);
	if (gfd >= 0) {
		/* A cache in between must keep both. */
		http_api_header(r, "Vary", "Accept-Encoding");
		if (api_static_gzip_ok(api_header(r, "Accept-Encoding"))) {
			AZ(close(fd));
			http_api_header(r, "Content-Encoding", "gzip");
			http_api_reply_file(r, 200, api_static_type(rel), gfd,
			    (size_t)gsb.st_size);
			return;
		}
		AZ(close(gfd));
	}
	http_api_reply_file(r, 200, api_static_type(rel), fd,
	    (size_t)sb->st_size);
}

/*--------------------------------------------------------------------
 * The handler
 */

void
api_static_get(struct api_req *r, void *priv)
{
	char rel[STATIC_PATH_MAX], root[PATH_MAX];
	struct api_static *st;
	const char *why;
	struct stat sb;
	int fd;

	CAST_OBJ_NOTNULL(st, priv, API_STATIC_MAGIC);
	if (api_static_path(api_path(r), rel, sizeof rel, &why) != 0) {
		http_api_error(r, 404, NULL, NULL, "no such file (%s)", why);
		return;
	}
	if (realpath(st->dir, root) == NULL ||
	    (fd = static_open(root, "index.html", &sb)) < 0) {
		http_api_header(r, "Cache-Control", "no-cache");
		http_api_reply_body(r, 404, "text/html; charset=utf-8",
		    static_unbuilt, sizeof static_unbuilt - 1);
		return;
	}
	if (rel[0] != '\0') {
		AZ(close(fd));
		fd = static_open(root, rel, &sb);
		if (fd >= 0) {
			static_send(r, root, rel, fd, &sb);
			return;
		}
		if (fd == STATIC_OUT) {
			http_api_error(r, 404, NULL, NULL,
			    "no such file (a link out of the dashboard)");
			return;
		}
		if (!strncmp(rel, "assets/", 7)) {
			http_api_error(r, 404, NULL, NULL, "no such file");
			return;
		}
		fd = static_open(root, "index.html", &sb);
		if (fd < 0) {
			http_api_error(r, 404, NULL, NULL, "no such file");
			return;
		}
	}
	/* The application's shell: its router reads the path. */
	static_send(r, root, "index.html", fd, &sb);
}
