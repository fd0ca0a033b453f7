/*
 * Work that would block the event loop (argon2id hashing takes ~100 ms
 * of CPU by design) runs on a few threads of its own; its end is
 * reported back on the loop.  The work function must touch nothing the
 * loop owns: it gets its own priv and nothing else.
 */

#ifndef STOKE_OFFLOAD_H
#define STOKE_OFFLOAD_H

struct event_base;
struct offload;

/* Runs on an offload thread. */
typedef void offload_work_f(void *priv);
/* Runs on the loop, after work, exactly once (unless the pool is freed
 * first: then the work still runs, and done is not called). */
typedef void offload_done_f(void *priv);

struct offload *offload_new(struct event_base *, unsigned nthreads);
/* Waits for running work to end; work queued and not started is dropped. */
void offload_free(struct offload **);
void
offload_run(struct offload *, offload_work_f *, offload_done_f *, void *priv);
/* Work queued and not yet started. */
unsigned offload_queued(const struct offload *);

#endif
