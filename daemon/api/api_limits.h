/*
 * How much the tenants' API lets anyone ask, and what it does past it:
 * 429 with Retry-After (whole seconds) and the code "rate_limited".
 *
 * Two kinds of limits (the policy is api_limits.c's, in one table):
 *
 *	Logins and sign-ups, across replicas: failures counted in the
 *	database (store/throttle_store.h) per client address and per
 *	e-mail, and checked BEFORE a password is hashed or verified, so
 *	that a flood of guesses buys no CPU (argon2id is slow on purpose).
 *
 *	Everything a signed-in user asks, per replica: a token bucket per
 *	user in memory (core/token_bucket.h); and every agent's, a
 *	bucket per agent.  Behind a load balancer over
 *	n replicas a user may get up to n times the rate; that is accepted
 *	here, the limit is against one runaway client, not for billing.
 */

#ifndef STOKE_API_LIMITS_H
#define STOKE_API_LIMITS_H

#include <stdint.h>

#include "core/metrics.h"

struct api_limits;
struct api_req;
struct event_base;
struct pg_pool;

/* The per-user bucket; 0 for either: the policy's default. */
struct api_limits *api_limits_new(struct event_base *, struct pg_pool *,
    double user_rate, double user_burst);
void api_limits_free(struct api_limits **);
/* priv: the struct api_limits. */
metrics_f api_limits_metrics;

enum api_limit_route {
	AL_LOGIN, /* the client address and the e-mail */
	AL_REGISTER, /* the client address */
};

/*
 * What came of a check or a count.  pass 0: the request was answered
 * (429, or 503 when the database could not say): the caller only frees
 * what it holds.
 */
typedef void api_limits_f(void *priv, int pass);

/* Whether the request may go on to hashing: cb once, from the loop or
 * before this returns.  email: a login's, else NULL. */
void api_limits_check(struct api_limits *, struct api_req *,
    enum api_limit_route, const char *email, api_limits_f *cb, void *priv);
/*
 * A login that failed, or a sign-up that was hashed (all count: a
 * sign-up hashes a password, whatever comes of it): counted for addr
 * (api_peer(), copied before) and email.  cb (or NULL) once, pass 1,
 * when counted, so that the next attempt sees it.
 */
void api_limits_count(struct api_limits *, enum api_limit_route,
    const char *addr, const char *email, api_limits_f *cb, void *priv);
/* A login that succeeded: the e-mail's failures forgotten (never the
 * address's: one good account must not reset a guesser's count). */
void api_limits_login_ok(struct api_limits *, const char *email);

/* A signed-in user's request: 0 on its way, or -1 answered (429). */
int api_limits_user(struct api_limits *, struct api_req *, int64_t user);
/* An agent's request, the same with an agent's rate. */
int api_limits_agent(struct api_limits *, struct api_req *, int64_t agent);

#endif
