/*
 * The dashboard, served at / on the API's port: the files of a built
 * dashboard (dashboard/dist), so that the hosted service needs no second
 * server.  It answers what http_api.c hands it, GETs and HEADs of the
 * paths no route has outside /api (http_api_fallback):
 *
 *	a file of the directory	that file (its .gz beside it, when the
 *				client takes gzip), of its type, cached
 *				as api_static_path.h says;
 *	any other path		index.html (no-cache): the dashboard's
 *				router reads the path, as a single-page
 *				application's does; but a missing file
 *				under /assets/ is a 404;
 *	a path that names no	404, as the API's errors are: "..",
 *	file of ours		%2e%2e, NUL, a bad escape, hidden files,
 *				links that lead out of the directory.
 *
 * Without a built dashboard (no index.html), every such path answers a
 * page saying how to build it.  The directory is read at each request:
 * a dashboard built or rebuilt while stoked runs is served at once.
 */

#ifndef STOKE_API_STATIC_H
#define STOKE_API_STATIC_H

#include "http_api.h"

struct api_static;

/* dir: the built dashboard's directory; it need not exist (yet). */
struct api_static *api_static_new(const char *dir);
void api_static_free(struct api_static **);
const char *api_static_dir(const struct api_static *);

/* priv: the struct api_static. */
api_handler_f api_static_get;

#endif
