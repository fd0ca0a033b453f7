/*
 * Who is asking.  The token is checked here, on the loop (an HMAC), then
 * its id is looked up: a token revoked at logout is refused by every
 * replica from the moment the logout's row is written.
 *
 * A bearer that starts "stk_" is an API key: hashed here, looked up
 * (key_store.h), and, if not revoked, the caller is the key's own user,
 * whom the stores' statements bind to its project.  Whether the key
 * may call the route at all is the route's key scope; its requests are
 * rate-limited as its user's.
 *
 * The token or key comes in the Authorization header; on the routes
 * that take it so (the event streams, which a browser's EventSource
 * opens without headers), in ?access_token= when that header is absent.
 *
 * An agent's routes (API_AGENT) take an agent's token ("sta_"), looked
 * up by its hash as a key is (agent_store.h), and nothing else; no other
 * route takes one.  The caller is then the agent and its website.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "auth/api_key.h"
#include "auth/token.h"
#include "core/log.h"
#include "store/account_store.h"
#include "store/agent_store.h"
#include "store/key_store.h"
#include "api_limits.h"
#include "api_session.h"
#include "api_tenant.h"

struct api_session {
	unsigned magic;
#define API_SESSION_MAGIC 0x5e55101d
	struct api_req *r;
	struct api_tenant *t;
	struct token_claims claims;
	enum key_scope need; /* a key's: what the route needs */
};

/*
 * What a credential's lookup answered when it found none (it was
 * revoked, or never was: 401 code, saying gone) or failed (503, and
 * what was being looked up said in the log).
 */
static void
api_session_refused(struct api_req *r, enum as_status st, const char *code,
    const char *gone, const char *what, const char *err)
{
	if (st == AS_NOT_FOUND) {
		http_api_error(r, 401, code, NULL, "%s", gone);
		return;
	}
	log_warning("api", "%s: %s", what, err != NULL ? err : "?");
	http_api_error(r, 503, NULL, NULL,
	    "the database did not answer; try again");
}

static void
api_session_checked(void *priv, enum as_status st, const char *json,
    const char *err)
{
	struct api_session *s;
	struct api_caller c;

	(void)json;
	CAST_OBJ_NOTNULL(s, priv, API_SESSION_MAGIC);
	switch (st) {
	case AS_OK:
		memset(&c, 0, sizeof c);
		c.user = s->claims.user;
		snprintf(c.jti, sizeof c.jti, "%s", s->claims.jti);
		c.expires = s->claims.expires;
		api_set_caller(s->r, &c);
		http_api_pass(s->r);
		break;
	default:
		api_session_refused(s->r, st, "token_revoked",
		    "this token was signed out; log in again",
		    "checking a token", err);
		break;
	}
	FREE_OBJ(s);
}

/* The key's scopes against the route's need: 0, or -1 answered 403. */
static int
api_session_scope(struct api_req *r, enum key_scope need, unsigned scopes)
{
	assert(need < KEY__MAX);
	if (need == KEY_NONE) {
		http_api_error(r, 403, "key_scope", NULL,
		    "an API key cannot call this route: it takes a person's "
		    "token (POST /api/auth/login)");
		return (-1);
	}
	if (!(scopes & KEY_BIT(need))) {
		http_api_error(r, 403, "key_scope", NULL,
		    "this API key lacks the scope '%s' that this route needs",
		    key_scope_name[need]);
		return (-1);
	}
	return (0);
}

static void
api_session_key_found(void *priv, enum as_status st, const struct ks_key *k,
    const char *err)
{
	struct api_session *s;
	struct api_caller c;

	CAST_OBJ_NOTNULL(s, priv, API_SESSION_MAGIC);
	switch (st) {
	case AS_OK:
		AN(k);
		if (api_session_scope(s->r, s->need, k->scopes) != 0 ||
		    api_limits_user(s->t->limits, s->r, k->user) != 0)
			break;
		memset(&c, 0, sizeof c);
		c.user = k->user;
		c.key = k->id;
		c.key_scopes = k->scopes;
		api_set_caller(s->r, &c);
		http_api_pass(s->r);
		break;
	default:
		api_session_refused(s->r, st, "invalid_key",
		    "no such API key, or it was revoked",
		    "looking up an API key", err);
		break;
	}
	FREE_OBJ(s);
}

/* An API key: what it may do is known once it is found. */
static void
api_session_key(struct api_tenant *t, struct api_req *r, const char *key,
    enum key_scope need)
{
	struct api_session *s;
	uint8_t hash[API_KEY_HASH_LEN];
	const char *err;

	if (api_key_hash(key, hash) != 0) {
		http_api_error(r, 401, "invalid_key", NULL,
		    "this is not an API key: \"stk_\" and 40 letters or "
		    "digits");
		return;
	}
	ALLOC_OBJ(s, API_SESSION_MAGIC);
	AN(s);
	s->r = r;
	s->t = t;
	s->need = need;
	if (ks_authenticate(t->pool, hash, api_session_key_found, s, &err) !=
	    0) {
		FREE_OBJ(s);
		http_api_error(r, 503, NULL, NULL, "%s", err);
	}
}

static void
api_session_agent_found(void *priv, enum as_status st,
    const struct ags_agent *a, const char *err)
{
	struct api_session *s;
	struct api_caller c;

	CAST_OBJ_NOTNULL(s, priv, API_SESSION_MAGIC);
	switch (st) {
	case AS_OK:
		AN(a);
		if (api_limits_agent(s->t->limits, s->r, a->id) != 0)
			break;
		memset(&c, 0, sizeof c);
		c.agent = a->id;
		c.website = a->website;
		api_set_caller(s->r, &c);
		http_api_pass(s->r);
		break;
	default:
		api_session_refused(s->r, st, "invalid_agent_token",
		    "no such agent token, or it was revoked",
		    "looking up an agent token", err);
		break;
	}
	FREE_OBJ(s);
}

/* An agent's route: its token, and only that. */
static void
api_session_agent(struct api_tenant *t, struct api_req *r, const char *h)
{
	struct api_session *s;
	uint8_t hash[API_KEY_HASH_LEN];
	const char *err;

	if (h == NULL || agent_token_hash(h, hash) != 0) {
		http_api_error(r, 401, "invalid_agent_token", NULL,
		    "an agent's route: send Authorization: Bearer sta_... "
		    "(\"sta_\" and 40 letters or digits), a token made "
		    "with POST /api/websites/:id/agents");
		return;
	}
	ALLOC_OBJ(s, API_SESSION_MAGIC);
	AN(s);
	s->r = r;
	s->t = t;
	if (ags_authenticate(t->pool, hash, api_session_agent_found, s, &err) !=
	    0) {
		FREE_OBJ(s);
		http_api_error(r, 503, NULL, NULL, "%s", err);
	}
}

void
api_session_auth(void *priv, struct api_req *r, enum api_scope scope,
    enum key_scope need)
{
	struct api_tenant *t;
	struct api_session *s;
	const char *h, *err;
	char why[256];

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	h = api_header(r, "Authorization");
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		for (h += 7; *h == ' '; h++)
			continue;
	} else if (scope == API_AGENT) {
		h = NULL;
	} else if (h == NULL && scope == API_USER_QUERY_TOKEN) {
		h = api_query(r, "access_token");
	} else {
		h = NULL;
	}
	if (scope == API_AGENT) {
		api_session_agent(t, r, h);
		return;
	}
	assert(scope == API_USER || scope == API_USER_QUERY_TOKEN);
	if (h == NULL) {
		http_api_error(r, 401, "unauthorized", NULL,
		    scope == API_USER_QUERY_TOKEN
		        ? "sign in first: send Authorization: Bearer <token>, "
		          "or ?access_token=<token>"
		        : "sign in first: send Authorization: Bearer <token>");
		return;
	}
	if (!strncmp(h, AGENT_TOKEN_TAG, API_KEY_TAG_LEN)) {
		http_api_error(r, 401, "invalid_token", NULL,
		    "an agent's token calls the agents' routes only "
		    "(/api/agent/v1/)");
		return;
	}
	if (!strncmp(h, API_KEY_TAG, API_KEY_TAG_LEN)) {
		api_session_key(t, r, h, need);
		return;
	}
	ALLOC_OBJ(s, API_SESSION_MAGIC);
	AN(s);
	s->r = r;
	s->t = t;
	if (token_verify(t->keys, h, VTIM_real(), &s->claims, why,
	        sizeof why) != 0) {
		FREE_OBJ(s);
		http_api_error(r, 401, "invalid_token", NULL,
		    "the token is not valid: %s", why);
		return;
	}
	/* The user is known from the signature: a flood of theirs is
	 * stopped here, before it costs a statement each. */
	if (api_limits_user(t->limits, r, s->claims.user) != 0) {
		FREE_OBJ(s);
		return;
	}
	if (as_token_check(t->pool, s->claims.jti, s->claims.user,
	        api_session_checked, s, &err) != 0) {
		FREE_OBJ(s);
		http_api_error(r, 503, NULL, NULL, "%s", err);
	}
}
