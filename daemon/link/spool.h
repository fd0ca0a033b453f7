/*
 * The agent's spool: batches cut from the result store's rows wait here
 * until the control plane has taken them, oldest first.  They are kept
 * in memory up to spool_conf.mem_max bytes, then each in a file of its
 * own under spool_conf.dir (up to disk_max bytes); past both, a new
 * batch is dropped, its rows counted, and that said once.
 *
 * A batch keeps its key ("<run uuid>:<seq>") wherever it waits, so that
 * one sent again after an unknown outcome is stored once.  At exit what
 * waits in memory is written to the directory too (spool_save), and a
 * spool made on the same directory starts with it all, in order.
 */

#ifndef STOKE_SPOOL_H
#define STOKE_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

struct spool_conf {
	size_t mem_max; /* bytes of batches in memory */
	size_t disk_max; /* bytes of batches in files */
	const char *dir; /* where the files go; NULL: memory only */
};

struct spool_stats {
	uint64_t rows; /* waiting */
	uint64_t batches; /* waiting */
	uint64_t mem_bytes, disk_bytes;
	uint64_t dropped_rows; /* the spool was full */
	uint64_t lost_batches; /* a file that could not be read back */
};

/* A batch waiting: valid until the next spool call. */
struct spool_batch {
	const char *key;
	const unsigned char *body;
	size_t len;
	int gzip; /* body is gzip'd JSON, else JSON */
	unsigned rows;
};

/* Told when a batch is pushed (to send it if nothing is in flight). */
typedef void spool_notify_f(void *priv);

/* NULL with err when the directory cannot be made or read. */
struct spool *spool_new(const struct spool_conf *, char *err, size_t errlen);
void spool_set_notify(struct spool *, spool_notify_f *, void *priv);
/* 0: kept (the body is copied); -1: no room, its rows dropped. */
int spool_push(struct spool *, const char *key, const void *body, size_t len,
    int gzip, unsigned rows);
/*
 * The oldest batch into *b: 1; 0 when none waits.  A batch whose file
 * cannot be read is dropped (counted, said) and the next one given.
 */
int spool_head(struct spool *, struct spool_batch *b);
/* The oldest batch is done with: delivered, or refused for good. */
void spool_pop(struct spool *);
void spool_stats(const struct spool *, struct spool_stats *);
/* What waits in memory goes to files (with a directory); at exit. */
void spool_save(struct spool *);
void spool_free(struct spool **);

#endif
