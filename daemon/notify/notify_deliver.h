/*
 * A deliverer of notifications (stoked worker, stoked run): it claims
 * what the outbox owes (store/outbox_store.h) when told a row was
 * written (LISTEN) and every poll seconds, sends each row to its channel
 * on the loop (notify.h's kinds, curl multi through two fetchers: the
 * channels' URLs are tenants', each address checked as it is connected
 * to; the SMTP server is the operator's), and writes what came of it:
 * delivered, or due again after a backoff, or given up.  Any number of
 * deliverers share an outbox; a row is sent at least once.
 *
 * Every watch seconds it also asks the database to look for anomalies
 * and reports due (notify_watch(), one deliverer at a time).
 */

#ifndef STOKE_NOTIFY_DELIVER_H
#define STOKE_NOTIFY_DELIVER_H

#include <stdint.h>

#include "store/outbox_store.h"
#include "notify.h"

struct event_base;
struct notify_deliver;
struct pg_pool;

struct notify_conf {
	const char *public_url; /* the dashboard's root, for links; NULL */
	struct notify_smtp smtp; /* checked (notify_smtp_check) */
	struct ob_retry retry;
	double poll; /* seconds between looks at the outbox */
	double watch; /* seconds between looks for anomalies; 0: never */
	double timeout; /* seconds a send may take */
	unsigned concurrency; /* sends in flight, at most */
	int allow_private; /* channels may be loopback or private */
};

/* The defaults: a minute's first retry up to an hour's, for two days;
 * a look every 5 s and anomalies every 60 s; 8 sends of 30 s. */
void notify_conf_default(struct notify_conf *);

/* Started: it LISTENs on the pool and looks at once. */
struct notify_deliver *notify_deliver_new(struct event_base *, struct pg_pool *,
    const struct notify_conf *);
/* Sends no more: what is in flight ends unrecorded (its lease runs out
 * and it is sent again).  Before the pool is freed. */
void notify_deliver_stop(struct notify_deliver *);
/* After the pool, whose last callbacks it still takes. */
void notify_deliver_free(struct notify_deliver **);

struct notify_stats {
	uint64_t delivered, failed, given_up;
};
void notify_deliver_stats(const struct notify_deliver *, struct notify_stats *);

#endif
