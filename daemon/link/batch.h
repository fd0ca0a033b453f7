/*
 * The agent link's writer of the result store's rows (store/
 * result_rows.h): each flush cuts one batch of what waits (jobs new or
 * changed, invalidations, results, and the visitor traffic counted
 * since; now and then the popular paths and terms, in a batch of their
 * own), as the protocol's JSON, gzip'd when over 1 KiB, and hands it
 * to the spool under its key "<run uuid>:<seq>".  Once in the spool a
 * row is the link's: the store forgets it.
 */

#ifndef STOKE_BATCH_H
#define STOKE_BATCH_H

#include <stddef.h>

struct json_t;
struct spool;
struct traffic;
struct rs_writer;

#define BATCH_GZIP_OVER 1024

extern const struct rs_writer link_batch_writer;

/* The writer's priv, for rs_new_writer(); run: this process's uuid.
 * traffic may be NULL. */
void *link_batch_new(const char *run, struct spool *, struct traffic *);

/*
 * Whether an invalidation (kind, subject) was this node doing what the
 * control plane asked (a purge or invalidate command): sent as "echo",
 * so that the control plane does not broadcast it back to the others.
 */
typedef int batch_echo_f(void *priv, const char *kind, const char *subject);
void link_batch_echo(void *batch, batch_echo_f *, void *priv);

/*
 * A result's or a task's row gets its "headers" (the headers kept, JSON
 * text, or NULL): only when there are some, so that a row without is
 * what a control plane before them took.
 */
void batch_row_headers(struct json_t *row, const char *headers);

/*
 * gzip (RFC 1952) of len bytes at p, in a new buffer (*out, *outlen):
 * 0, or -1.
 */
int batch_gzip(const void *p, size_t len, unsigned char **out, size_t *outlen);

#endif
