/*
 * Who is asking.  The token is checked here, on the loop (an HMAC), then
 * its id is looked up: a token revoked at logout is refused by every
 * replica from the moment the logout's row is written.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "auth/token.h"
#include "core/log.h"
#include "store/account_store.h"
#include "api_limits.h"
#include "api_session.h"
#include "api_tenant.h"

struct api_session {
	unsigned magic;
#define API_SESSION_MAGIC 0x5e55101d
	struct api_req *r;
	struct token_claims claims;
};

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
	case AS_NOT_FOUND:
		http_api_error(s->r, 401, "token_revoked", NULL,
		    "this token was signed out; log in again");
		break;
	default:
		log_warning("api", "checking a token: %s",
		    err != NULL ? err : "?");
		http_api_error(s->r, 503, NULL, NULL,
		    "the database did not answer; try again");
		break;
	}
	FREE_OBJ(s);
}

void
api_session_auth(void *priv, struct api_req *r, enum api_scope scope)
{
	struct api_tenant *t;
	struct api_session *s;
	const char *h, *err;
	char why[256];

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	assert(scope == API_USER);
	h = api_header(r, "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		http_api_error(r, 401, "unauthorized", NULL,
		    "sign in first: send Authorization: Bearer <token>");
		return;
	}
	for (h += 7; *h == ' '; h++)
		continue;
	ALLOC_OBJ(s, API_SESSION_MAGIC);
	AN(s);
	s->r = r;
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
