/*
 * Plain HTTP/1.1 exchanges on kept connections to literal addresses: a
 * GET to a Varnish node, one request at a time on each connection, at
 * most max_per_host connections to an address, the rest queued in
 * order.  The fetcher's fast lane for the warm requests it sends by the
 * thousand; everything else (names to resolve, TLS, bodies, other
 * protocols) stays with libcurl.
 *
 * Answers are read with http_parser (chunked, Content-Length or until
 * the close), and handed over line by line as curl hands them to a
 * header callback, so that one reader serves both.
 */

#ifndef STOKE_H1_POOL_H
#define STOKE_H1_POOL_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct h1_pool;
struct h1_xfer;

/* Where a URL leads, when its host is an address. */
struct h1_target {
	struct sockaddr_storage sa;
	socklen_t salen;
	/* The Host header curl would send: the host, and the port when
	 * not 80. */
	char host[64];
	const char *path; /* into the URL; "/" when it has none */
	size_t pathlen;
};

struct h1_end {
	int ok; /* a whole answer came, or the body stopped it */
	unsigned stopped; /* body() took less than it was given */
	long status;
	const char *error; /* when !ok */
	double ttfb, time; /* seconds since h1_start() */
};

struct h1_ops {
	/*
	 * The status line first ("HTTP/1.1 200 OK\r\n"), then each header
	 * line ("Name: value\r\n", at most H1_LINE_MAX bytes, cut past
	 * that); again for an answer after a 1xx.
	 */
	void (*line)(void *priv, const char *p, size_t len);
	/* Body bytes; taking fewer than given ends the exchange. */
	size_t (*body)(void *priv, const char *p, size_t len);
	/* Last, once, never from inside h1_start(). */
	void (*done)(void *priv, const struct h1_end *);
};

#define H1_LINE_MAX 8192

/*
 * "http://192.0.2.1:8080/path?q": 0, and t filled; -1 when the URL is
 * not one this pool takes (a name, https, a fragment, bytes to encode).
 */
int h1_target_parse(const char *url, struct h1_target *t);

struct h1_pool *h1_pool_new(struct event_base *, unsigned max_per_host);
/* What is in flight must have been cancelled first. */
void h1_pool_free(struct h1_pool **);

/*
 * Send req (a whole request head, the caller's until the exchange is
 * done or cancelled) to t, within timeout seconds
 * from now, waiting for a connection if the address has all it may.
 * NULL: out of sockets or memory.
 */
struct h1_xfer *
h1_start(struct h1_pool *, const struct h1_target *t, const char *req,
    size_t reqlen, double timeout, const struct h1_ops *, void *priv);
/* Ends it unheard: ops->done is not called, and what waits behind it
 * for a connection is not started (for a caller going away). */
void h1_cancel(struct h1_xfer *);

#endif
