/*
 * Failures counted in PostgreSQL, shared by every replica: what makes a
 * login's lockout hold whichever replica the next attempt reaches.  A
 * key is (kind, key): "login_address" and a client address, "login_email"
 * and an e-mail (lower case).  The policy is the caller's, given to each
 * call; the store only counts.
 *
 *	ts_fail: one failure more in the key's window (a window over starts
 *	    a new one); the failure that reaches the limit locks the key for
 *	    lock seconds and starts the count again.  A key already locked
 *	    stays so, uncounted.
 *	ts_check: whether either of two keys is locked, and for how long.
 *	ts_clear: the key's failures forgotten (a login that succeeded).
 *	ts_prune: rows whose window and lock are over, deleted.
 */

#ifndef STOKE_THROTTLE_STORE_H
#define STOKE_THROTTLE_STORE_H

#include <stdint.h>

struct pg_pool;

struct ts_policy {
	const char *kind;
	unsigned limit; /* failures in a window that lock the key */
	double window; /* seconds */
	double lock; /* seconds */
};

/*
 * retry_after: 0, not locked; else whole seconds until the lock ends (at
 * least 1).  err: NULL, or the database's error (then retry_after is 0):
 * the caller decides whether to fail open.
 */
typedef void ts_done_f(void *priv, int64_t retry_after, const char *err);

/* Every function: 0, and cb will be called once, from the loop; or -1
 * with *err, and it will not. */
int ts_fail(struct pg_pool *, const struct ts_policy *, const char *key,
    ts_done_f *, void *, const char **err);
/* kind2 and key2 may be NULL: one key. */
int ts_check(struct pg_pool *, const char *kind1, const char *key1,
    const char *kind2, const char *key2, ts_done_f *, void *, const char **err);
int ts_clear(struct pg_pool *, const char *kind, const char *key, ts_done_f *,
    void *, const char **err);
/* Rows quiet for older seconds (more than any window), their lock over. */
int
ts_prune(struct pg_pool *, double older, ts_done_f *, void *, const char **err);

#endif
