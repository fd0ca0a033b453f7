/*
 * The socket vmod_stoke's stoke.doorbell() rings: a Unix datagram
 * socket whose datagrams say only "read the log now".  What they carry
 * is not read, so anyone able to write to it can only make stoked read
 * its logs sooner; the log stays the one source of what happened.
 */

#ifndef STOKE_DOORBELL_H
#define STOKE_DOORBELL_H

struct event_base;
struct doorbell;

/* Rung: called once for however many datagrams came together. */
typedef void doorbell_f(void *priv);

/*
 * Listens at path (absolute), which it makes writable by anyone:
 * varnishd's worker runs as a user of its own.  A socket left there by
 * a stoked that is gone is replaced; one that another process listens
 * on, or anything not a socket, is an error.  NULL with err said.
 */
struct doorbell *doorbell_new(struct event_base *, const char *path,
    doorbell_f *fn, void *priv, char *err, size_t errlen);
/* Stops listening and removes the socket. */
void doorbell_free(struct doorbell **);

#endif
