/*
 * The tenants' API's limits: the policy, and what answers 429.
 */

#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "core/log.h"
#include "core/token_bucket.h"
#include "store/throttle_store.h"
#include "api_limits.h"
#include "http_api.h"

/*--------------------------------------------------------------------
 * The policy
 *
 * Per client address, 20 failed logins in 15 minutes lock the address
 * out of logging in for 15 minutes: enough for a household or an office
 * behind one NAT to mistype, not for a guesser.  Per e-mail, 10 failures
 * in 15 minutes lock that account's logins for 15 minutes, from
 * anywhere: a guesser spread over many addresses still meets it.  (A
 * lock of someone else's account is possible for as long as the lock;
 * short on purpose.)  Per client address, 10 sign-ups an hour.
 *
 * Per signed-in user, 20 requests a second with bursts of 100, per
 * replica; at most AL_USERS users tracked at once (token_bucket.h).
 *
 * Per agent, 50 requests a second with bursts of 200, per replica: an
 * agent asks a batch a second, a poll and a claim at most, and sends
 * its spool back to back when the link is back, each batch waited for;
 * more is an agent gone wrong, which must not take the control plane's
 * connections from the others.
 */

static const struct ts_policy al_login_address = { "login_address", 20, 15 * 60,
	15 * 60 };
static const struct ts_policy al_login_email = { "login_email", 10, 15 * 60,
	15 * 60 };
static const struct ts_policy al_register_address = { "register_address", 10,
	60 * 60, 60 * 60 };

#define AL_USER_RATE 20.0
#define AL_USER_BURST 100.0
#define AL_USERS 100000
#define AL_AGENT_RATE 50.0
#define AL_AGENT_BURST 200.0
#define AL_AGENTS 100000
/* Prune quiet rows every 5 minutes, those past the longest window. */
#define AL_PRUNE_EVERY 300
#define AL_PRUNE_OLDER (60 * 60)

#define AL_EMAIL_MAX 256
/* The three policies above, for the lockout counters. */
#define AL_NPOLICY 3

enum al_limit { AL_L_LOGIN, AL_L_REGISTER, AL_L_USER, AL_L_AGENT, AL_L__MAX };

static const char *const al_limit_name[AL_L__MAX] = {
	[AL_L_LOGIN] = "login",
	[AL_L_REGISTER] = "register",
	[AL_L_USER] = "user",
	[AL_L_AGENT] = "agent",
};

struct api_limits {
	unsigned magic;
#define API_LIMITS_MAGIC 0x5a1e7001
	struct pg_pool *pool;
	struct token_buckets *users;
	struct token_buckets *agents;
	struct event *prune;
	uint64_t limited[AL_L__MAX]; /* 429s */
	uint64_t lockouts[AL_NPOLICY]; /* by policy: address, e-mail, sign-up */
	uint64_t login_failed;
};

static const struct ts_policy *const al_policies[AL_NPOLICY] = {
	&al_login_address, &al_login_email, &al_register_address
};

/*--------------------------------------------------------------------
 * Pruning
 */

static void
al_pruned(void *priv, int64_t left, const char *err)
{
	(void)priv;
	(void)left;
	if (err != NULL)
		log_warning("api", "pruning login failures: %s", err);
}

static void
al_on_prune(evutil_socket_t fd, short what, void *priv)
{
	struct api_limits *l;
	const char *err;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(l, priv, API_LIMITS_MAGIC);
	if (ts_prune(l->pool, AL_PRUNE_OLDER, al_pruned, NULL, &err) != 0)
		log_warning("api", "pruning login failures: %s", err);
}

struct api_limits *
api_limits_new(struct event_base *eb, struct pg_pool *pool, double user_rate,
    double user_burst)
{
	struct timeval tv = { AL_PRUNE_EVERY, 0 };
	struct api_limits *l;

	AN(eb);
	AN(pool);
	ALLOC_OBJ(l, API_LIMITS_MAGIC);
	AN(l);
	l->pool = pool;
	l->users = tb_new(user_rate > 0 ? user_rate : AL_USER_RATE,
	    user_burst >= 1 ? user_burst : AL_USER_BURST, AL_USERS);
	l->agents = tb_new(AL_AGENT_RATE, AL_AGENT_BURST, AL_AGENTS);
	l->prune = event_new(eb, -1, EV_PERSIST, al_on_prune, l);
	AN(l->prune);
	AZ(event_add(l->prune, &tv));
	return (l);
}

void
api_limits_free(struct api_limits **lp)
{
	struct api_limits *l;

	TAKE_OBJ_NOTNULL(l, lp, API_LIMITS_MAGIC);
	event_free(l->prune);
	tb_free(&l->users);
	tb_free(&l->agents);
	FREE_OBJ(l);
}

void
api_limits_metrics(void *priv, struct metrics *m)
{
	struct api_limits *l;
	unsigned i;

	CAST_OBJ_NOTNULL(l, priv, API_LIMITS_MAGIC);
	metrics_u64(m, M_API_LOGINS_FAILED, l->login_failed, NULL);
	for (i = 0; i < AL_NPOLICY; i++)
		metrics_u64(m, M_API_LOCKOUTS, l->lockouts[i], "limit",
		    al_policies[i]->kind, NULL);
	for (i = 0; i < AL_L__MAX; i++)
		metrics_u64(m, M_API_RATE_LIMITED, l->limited[i], "limit",
		    al_limit_name[i], NULL);
}

/*--------------------------------------------------------------------
 * Answering 429
 */

static void
al_refuse(struct api_limits *l, struct api_req *r, enum al_limit which,
    double wait)
{
	char ra[24];
	int64_t s;

	/* Whole seconds, rounded up: a client that waits that long gets in. */
	s = (int64_t)wait;
	if ((double)s < wait)
		s++;
	if (s < 1)
		s = 1;
	snprintf(ra, sizeof ra, "%jd", (intmax_t)s);
	l->limited[which]++;
	http_api_header(r, "Retry-After", ra);
	http_api_error(r, 429, "rate_limited", NULL,
	    "too many requests: try again in %jd seconds", (intmax_t)s);
}

/* One request of id's from its bucket: 0, or -1 answered (429). */
static int
al_take(struct api_limits *l, struct api_req *r, struct token_buckets *tb,
    enum al_limit which, int64_t id)
{
	double wait;

	CHECK_OBJ_NOTNULL(l, API_LIMITS_MAGIC);
	assert(id > 0);
	wait = tb_take(tb, (uint64_t)id, VTIM_mono());
	if (wait == 0)
		return (0);
	al_refuse(l, r, which, wait);
	return (-1);
}

int
api_limits_user(struct api_limits *l, struct api_req *r, int64_t user)
{
	CHECK_OBJ_NOTNULL(l, API_LIMITS_MAGIC);
	return (al_take(l, r, l->users, AL_L_USER, user));
}

int
api_limits_agent(struct api_limits *l, struct api_req *r, int64_t agent)
{
	CHECK_OBJ_NOTNULL(l, API_LIMITS_MAGIC);
	return (al_take(l, r, l->agents, AL_L_AGENT, agent));
}

/*--------------------------------------------------------------------
 * Logins and sign-ups: the database's count
 */

/* One check or count on its way. */
struct al_call {
	unsigned magic;
#define AL_CALL_MAGIC 0x5a1e7002
	struct api_limits *l;
	struct api_req *r; /* a check's */
	enum api_limit_route route;
	char addr[64]; /* "": unknown (then the address "" is counted) */
	char email[AL_EMAIL_MAX]; /* lower case; "": none */
	const struct ts_policy *cur; /* a count's, being counted */
	api_limits_f *cb;
	void *priv;
};

/* E-mails are compared without case (as the users table does). */
static void
al_email_key(char *dst, size_t len, const char *email)
{
	size_t i;

	for (i = 0; email[i] != '\0' && i + 1 < len; i++)
		dst[i] = (char)tolower((unsigned char)email[i]);
	dst[i] = '\0';
}

static struct al_call *
al_call_new(struct api_limits *l, enum api_limit_route route, const char *addr,
    const char *email, api_limits_f *cb, void *priv)
{
	struct al_call *c;

	ALLOC_OBJ(c, AL_CALL_MAGIC);
	AN(c);
	c->l = l;
	c->route = route;
	snprintf(c->addr, sizeof c->addr, "%s", addr != NULL ? addr : "");
	if (email != NULL)
		al_email_key(c->email, sizeof c->email, email);
	c->cb = cb;
	c->priv = priv;
	return (c);
}

static void
al_call_end(struct al_call **cp, int pass)
{
	struct al_call *c;

	TAKE_OBJ_NOTNULL(c, cp, AL_CALL_MAGIC);
	if (c->cb != NULL)
		c->cb(c->priv, pass);
	FREE_OBJ(c);
}

static void
al_checked(void *priv, int64_t left, const char *err)
{
	struct al_call *c;

	CAST_OBJ_NOTNULL(c, priv, AL_CALL_MAGIC);
	CHECK_OBJ_NOTNULL(c->l, API_LIMITS_MAGIC);
	if (err != NULL) {
		/* Closed: the login would need the database next anyway. */
		log_warning("api", "checking login failures: %s", err);
		http_api_error(c->r, 503, NULL, NULL,
		    "the database did not answer; try again");
		al_call_end(&c, 0);
	} else if (left > 0) {
		al_refuse(c->l, c->r,
		    c->route == AL_LOGIN ? AL_L_LOGIN : AL_L_REGISTER,
		    (double)left);
		al_call_end(&c, 0);
	} else {
		al_call_end(&c, 1);
	}
}

void
api_limits_check(struct api_limits *l, struct api_req *r,
    enum api_limit_route route, const char *email, api_limits_f *cb, void *priv)
{
	struct al_call *c;
	const char *err;
	int rv;

	CHECK_OBJ_NOTNULL(l, API_LIMITS_MAGIC);
	AN(cb);
	c = al_call_new(l, route, api_peer(r), email, cb, priv);
	c->r = r;
	if (route == AL_LOGIN) {
		AN(email);
		rv = ts_check(l->pool, al_login_address.kind, c->addr,
		    al_login_email.kind, c->email, al_checked, c, &err);
	} else {
		rv = ts_check(l->pool, al_register_address.kind, c->addr, NULL,
		    NULL, al_checked, c, &err);
	}
	if (rv != 0) {
		http_api_error(r, 503, NULL, NULL, "%s", err);
		al_call_end(&c, 0);
	}
}

/* A lock begun by this count (or one there already: rare, a race). */
static void
al_locked(struct api_limits *l, const struct ts_policy *p, const char *key,
    int64_t left)
{
	unsigned i;

	for (i = 0; i < AL_NPOLICY; i++)
		if (al_policies[i] == p)
			l->lockouts[i]++;
	log_notice("api", "%s %s locked for %jd s", p->kind, key,
	    (intmax_t)left);
}

static void al_counted(void *priv, int64_t left, const char *err);

/* Counts for p; NULL: all counted, the caller told. */
static void
al_count_next(struct al_call *c, const struct ts_policy *p)
{
	const char *err;

	CHECK_OBJ_NOTNULL(c, AL_CALL_MAGIC);
	c->cur = p;
	if (p == NULL) {
		al_call_end(&c, 1);
		return;
	}
	if (ts_fail(c->l->pool, p, p == &al_login_email ? c->email : c->addr,
	        al_counted, c, &err) != 0) {
		log_warning("api", "counting a failure: %s", err);
		al_call_end(&c, 1);
	}
}

/* A login counts for its address, then for its e-mail. */
static void
al_counted(void *priv, int64_t left, const char *err)
{
	const struct ts_policy *p;
	struct al_call *c;

	CAST_OBJ_NOTNULL(c, priv, AL_CALL_MAGIC);
	p = c->cur;
	AN(p);
	if (err != NULL)
		log_warning("api", "counting a failure: %s", err);
	else if (left > 0)
		al_locked(c->l, p, p == &al_login_email ? c->email : c->addr,
		    left);
	al_count_next(c,
	    p == &al_login_address && c->email[0] != '\0' ? &al_login_email
	                                                  : NULL);
}

void
api_limits_count(struct api_limits *l, enum api_limit_route route,
    const char *addr, const char *email, api_limits_f *cb, void *priv)
{
	struct al_call *c;

	CHECK_OBJ_NOTNULL(l, API_LIMITS_MAGIC);
	AN(addr);
	c = al_call_new(l, route, addr, email, cb, priv);
	if (route == AL_REGISTER) {
		al_count_next(c, &al_register_address);
		return;
	}
	l->login_failed++;
	al_count_next(c, &al_login_address);
}

static void
al_cleared(void *priv, int64_t left, const char *err)
{
	(void)priv;
	(void)left;
	if (err != NULL)
		log_warning("api", "forgetting login failures: %s", err);
}

void
api_limits_login_ok(struct api_limits *l, const char *email)
{
	char key[AL_EMAIL_MAX];
	const char *err;

	CHECK_OBJ_NOTNULL(l, API_LIMITS_MAGIC);
	AN(email);
	al_email_key(key, sizeof key, email);
	if (ts_clear(l->pool, al_login_email.kind, key, al_cleared, NULL,
	        &err) != 0)
		log_warning("api", "forgetting login failures: %s", err);
}
