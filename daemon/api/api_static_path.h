/*
 * The rules of the dashboard's files, apart from HTTP and the file
 * system so that they can be tested alone: which file of the dashboard's
 * directory a request's path names, if any, what type it is sent as,
 * how long it may be cached, and whether the client takes gzip.
 *
 * A path names a file only when, once its %XX are decoded, every
 * segment is a plain name: no "." or "..", none that starts with a dot
 * (.git, .env), no NUL, no backslash; "%2e%2e" is refused as ".." is.
 * Symbolic links are not this file's business: api_static.c refuses
 * those that lead out of the directory.
 */

#ifndef STOKE_API_STATIC_PATH_H
#define STOKE_API_STATIC_PATH_H

#include <stddef.h>

/* A path no deeper than a built dashboard's files, with room. */
#define STATIC_PATH_MAX 512

/*
 * path as sent (percent-encoded, from its leading '/', no query): the
 * file it names relative to the directory, decoded, in rel ("" for "/"
 * and for a path of empty segments).  0, or -1 with *why when the path
 * names no file of ours (or is longer than len).
 */
int api_static_path(const char *path, char *rel, size_t len, const char **why);

/* The Content-Type of a file by its extension. */
const char *api_static_type(const char *rel);

/*
 * Cache-Control for a file: Vite's assets carry their content's hash in
 * their names, so those under assets/ never change; everything else
 * (index.html, the service worker, the manifest) is asked again.
 */
const char *api_static_cache(const char *rel);

/* Whether an Accept-Encoding header (NULL: none) takes gzip. */
int api_static_gzip_ok(const char *accept_encoding);

#endif
