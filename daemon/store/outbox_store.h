/*
 * The notifications' outbox as its deliverers use it (stoked worker,
 * stoked run; notify/notify_deliver.c), in PostgreSQL
 * (0018_notifications.sql); the tenants' side is channel_store.h.
 *
 * A deliverer claims due rows with a lease (FOR UPDATE SKIP LOCKED, so
 * that deliverers side by side never claim the same row), each claim
 * counting an attempt; a row whose deliverer died is due again once its
 * lease runs out.  Its outcome is written only while the attempt is the
 * row's last (the attempt number fences it), so that a deliverer whose
 * lease ran out cannot undo what the next one wrote.
 *
 * Each function: 0, and cb called once from the loop; or -1 when the
 * pool is stopping, and it will not be.
 */

#ifndef STOKE_OUTBOX_STORE_H
#define STOKE_OUTBOX_STORE_H

#include <stdint.h>

struct pg_pool;

#define OB_CHANNEL "stoke_notify" /* NOTIFYed when a row is written */

/* json: the answer (below), err: why there is none. */
typedef void ob_done_f(void *priv, const char *json, const char *err);

/*
 * At most limit due rows, each leased for lease seconds: a JSON array
 * of {"id", "attempt", "key", "event", "payload", "kind", "url",
 * "secret", "recipients"}, the channel's what to send with.
 */
int
ob_claim(struct pg_pool *, unsigned limit, double lease, ob_done_f *, void *);

/* Sent: delivered, with the answer's status (SMTP's, HTTP's). */
int ob_delivered(struct pg_pool *, int64_t id, int64_t attempt, long status,
    ob_done_f *, void *);

/* How a failed attempt is tried again. */
struct ob_retry {
	double base; /* seconds before the second attempt */
	double cap; /* seconds between attempts, at most */
	double max_age; /* seconds after which a row is given up */
};

/*
 * Not sent: why, and the answer's status (0: none came).  Due again
 * after base * 2^(attempt - 1) seconds, at most cap, the half of it at
 * random (so that rows failed together are not tried together again);
 * given up (failed) if permanent, or if that would be past max_age.
 */
int ob_failed(struct pg_pool *, int64_t id, int64_t attempt, const char *error,
    long status, int permanent, const struct ob_retry *, ob_done_f *, void *);

/* One look at the anomalies and the reports due (notify_watch()): json
 * is the number of events written, -1 when another deliverer was
 * looking. */
int ob_watch(struct pg_pool *, ob_done_f *, void *);

#endif
