/*
 * Accounts: sign up, log in, log out, who am I.  Passwords are hashed
 * and checked on the offload threads (argon2id is slow on purpose);
 * everything else is a statement of the account store.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "auth/password.h"
#include "auth/token.h"
#include "core/log.h"
#include "core/offload.h"
#include "store/account_store.h"
#include "api_account.h"
#include "api_input.h"
#include "api_limits.h"
#include "api_tenant.h"

#define EMAIL_MAX 254
#define NAME_MAX_LEN 200

/* A sign-up or a login on its way through the threads and the store. */
struct api_acct {
	unsigned magic;
#define API_ACCT_MAGIC 0x5e7a0c32
	struct api_req *r;
	struct api_tenant *t;
	char addr[64]; /* the client's, for the limits */
	char *name, *email, *password;
	char hash[PASSWORD_HASH_MAX];
	int64_t user;
	int rc; /* what the thread found */
};

static struct api_acct *
api_acct_new(struct api_req *r, struct api_tenant *t)
{
	struct api_acct *a;

	ALLOC_OBJ(a, API_ACCT_MAGIC);
	AN(a);
	a->r = r;
	a->t = t;
	snprintf(a->addr, sizeof a->addr, "%s", api_peer(r));
	return (a);
}

static void
api_acct_free(struct api_acct **ap)
{
	struct api_acct *a;

	TAKE_OBJ_NOTNULL(a, ap, API_ACCT_MAGIC);
	free(a->name);
	free(a->email);
	if (a->password != NULL) {
		explicit_bzero(a->password, strlen(a->password));
		free(a->password);
	}
	explicit_bzero(a->hash, sizeof a->hash);
	FREE_OBJ(a);
}

static char *
api_acct_dup(const char *s)
{
	char *d = strdup(s);

	AN(d);
	return (d);
}

/* local@domain.tld, nothing a mail system would trip on. */
static int
api_email_ok(const char *e)
{
	const char *at = strchr(e, '@'), *p, *dot;

	if (at == NULL || at == e || strchr(at + 1, '@') != NULL)
		return (0);
	for (p = e; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return (0);
	dot = strrchr(at + 1, '.');
	return (dot != NULL && dot > at + 1 && dot[1] != '\0');
}

static void
api_iso8601(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	AN(gmtime_r(&tt, &tm));
	AN(strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

/* A token for the user, then the answer: {token, expires_at} and more. */
static void
api_acct_token(struct api_acct *a, int status, json_t *more)
{
	struct token_claims c;
	char tok[TOKEN_MAX], why[256], exp[32];
	json_t *j;

	if (token_issue(a->t->keys, a->user, a->t->token_ttl, VTIM_real(), tok,
	        sizeof tok, &c, why, sizeof why) != 0) {
		log_error("api", "issuing a token: %s", why);
		json_decref(more);
		http_api_error(a->r, 500, NULL, NULL, "no token could be made");
		return;
	}
	api_iso8601(c.expires, exp, sizeof exp);
	j = more != NULL ? more : json_object();
	AN(j);
	AZ(json_object_set_new(j, "token", json_string(tok)));
	AZ(json_object_set_new(j, "expires_at", json_string(exp)));
	http_api_reply(a->r, status, j, NULL);
}

static void
api_store_failed(struct api_req *r, const char *what, const char *err)
{
	log_warning("api", "%s: %s", what, err != NULL ? err : "?");
	http_api_error(r, 503, NULL, NULL,
	    "the database did not answer; try again");
}

/*--------------------------------------------------------------------
 * Sign up
 */

static void
api_register_created(void *priv, enum as_status st, const char *json,
    const char *err)
{
	struct api_acct *a;
	json_t *user;

	CAST_OBJ_NOTNULL(a, priv, API_ACCT_MAGIC);
	if (st == AS_CONFLICT) {
		http_api_error(a->r, 409, "email_taken", "email",
		    "an account with this e-mail exists: log in instead");
	} else if (st != AS_OK || json == NULL) {
		api_store_failed(a->r, "signing up", err);
	} else {
		user = json_loads(json, 0, NULL);
		AN(user);
		a->user = json_integer_value(json_object_get(user, "id"));
		assert(a->user > 0);
		log_info("api", "user %jd signed up", (intmax_t)a->user);
		api_acct_token(a, 201, json_pack("{s:o}", "user", user));
	}
	api_acct_free(&a);
}

static void
api_register_hash(void *priv)
{
	struct api_acct *a = priv;

	/* On an offload thread: this object is the thread's alone. */
	a->rc = password_hash(a->password, a->hash);
}

static void
api_register_hashed(void *priv)
{
	struct api_acct *a;
	const char *err;

	CAST_OBJ_NOTNULL(a, priv, API_ACCT_MAGIC);
	if (a->rc != 0) {
		http_api_error(a->r, 500, NULL, NULL,
		    "the password could not be hashed");
		api_acct_free(&a);
		return;
	}
	if (as_user_create(a->t->pool, a->name, a->email, a->hash,
	        api_register_created, a, &err) != 0) {
		http_api_error(a->r, 503, NULL, NULL, "%s", err);
		api_acct_free(&a);
	}
}

/* Not locked out: counted (the hash is what costs), then hashed. */
static void
api_register_unlocked(void *priv, int pass)
{
	struct api_acct *a;

	CAST_OBJ_NOTNULL(a, priv, API_ACCT_MAGIC);
	if (!pass) {
		api_acct_free(&a);
		return;
	}
	api_limits_count(a->t->limits, AL_REGISTER, a->addr, NULL, NULL, NULL);
	offload_run(a->t->offload, api_register_hash, api_register_hashed, a);
}

void
api_register_post(struct api_req *r, void *priv)
{
	static const struct api_field f[] = {
		{ "name", AF_STRING, AF_REQUIRED, 1, NAME_MAX_LEN, NULL, NULL,
		    NULL },
		{ "email", AF_STRING, AF_REQUIRED, 3, EMAIL_MAX, NULL, NULL,
		    NULL },
		{ "password", AF_STRING, AF_REQUIRED, 1, PASSWORD_MAX, NULL,
		    NULL, NULL },
	};
	struct api_tenant *t;
	struct api_acct *a;
	json_t *v[3];
	char why[256];

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_input(r, f, 3, v) != 0)
		return;
	if (!api_email_ok(json_string_value(v[1]))) {
		http_api_error(r, 422, "invalid_email", "email",
		    "not an e-mail address");
		return;
	}
	if (password_policy(json_string_value(v[2]), json_string_value(v[1]),
	        why, sizeof why) != 0) {
		http_api_error(r, 422, "weak_password", "password", "%s", why);
		return;
	}
	a = api_acct_new(r, t);
	a->name = api_acct_dup(json_string_value(v[0]));
	a->email = api_acct_dup(json_string_value(v[1]));
	a->password = api_acct_dup(json_string_value(v[2]));
	api_limits_check(t->limits, r, AL_REGISTER, NULL, api_register_unlocked,
	    a);
}

/*--------------------------------------------------------------------
 * Log in
 */

static void
api_login_verify(void *priv)
{
	struct api_acct *a = priv;

	a->rc = password_verify(a->hash, a->password);
}

/* Counted before the answer, so that the next attempt sees it. */
static void
api_login_counted(void *priv, int pass)
{
	struct api_acct *a;

	(void)pass;
	CAST_OBJ_NOTNULL(a, priv, API_ACCT_MAGIC);
	/* One answer for a wrong e-mail and a wrong password. */
	http_api_error(a->r, 401, "invalid_credentials", NULL,
	    "wrong e-mail or password");
	api_acct_free(&a);
}

static void
api_login_verified(void *priv)
{
	struct api_acct *a;

	CAST_OBJ_NOTNULL(a, priv, API_ACCT_MAGIC);
	if (a->rc != 1 || a->user <= 0) {
		api_limits_count(a->t->limits, AL_LOGIN, a->addr, a->email,
		    api_login_counted, a);
		return;
	}
	log_info("api", "user %jd logged in", (intmax_t)a->user);
	api_limits_login_ok(a->t->limits, a->email);
	api_acct_token(a, 200,
	    json_pack("{s:I}", "user_id", (json_int_t)a->user));
	api_acct_free(&a);
}

static void
api_login_found(void *priv, enum as_status st, const char *json,
    const char *err)
{
	struct api_acct *a;
	const char *h;
	json_t *j;

	CAST_OBJ_NOTNULL(a, priv, API_ACCT_MAGIC);
	if (st == AS_OK && json != NULL) {
		j = json_loads(json, 0, NULL);
		AN(j);
		a->user = json_integer_value(json_object_get(j, "id"));
		h = json_string_value(json_object_get(j, "password_hash"));
		/* NULL: an account without password login. */
		snprintf(a->hash, sizeof a->hash, "%s", h != NULL ? h : "");
		json_decref(j);
	} else if (st == AS_NOT_FOUND) {
		/* As long as a real check takes, so that it tells nothing. */
		a->user = 0;
		snprintf(a->hash, sizeof a->hash, "%s", a->t->dummy_hash);
	} else {
		api_store_failed(a->r, "logging in", err);
		api_acct_free(&a);
		return;
	}
	offload_run(a->t->offload, api_login_verify, api_login_verified, a);
}

/* Neither the address nor the e-mail locked out: the user's hash. */
static void
api_login_unlocked(void *priv, int pass)
{
	struct api_acct *a;
	const char *err;

	CAST_OBJ_NOTNULL(a, priv, API_ACCT_MAGIC);
	if (!pass) {
		api_acct_free(&a);
		return;
	}
	if (as_user_credentials(a->t->pool, a->email, api_login_found, a,
	        &err) != 0) {
		http_api_error(a->r, 503, NULL, NULL, "%s", err);
		api_acct_free(&a);
	}
}

void
api_login_post(struct api_req *r, void *priv)
{
	static const struct api_field f[] = {
		{ "email", AF_STRING, AF_REQUIRED, 1, EMAIL_MAX, NULL, NULL,
		    NULL },
		{ "password", AF_STRING, AF_REQUIRED, 1, PASSWORD_MAX, NULL,
		    NULL, NULL },
	};
	struct api_tenant *t;
	struct api_acct *a;
	json_t *v[2];

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_input(r, f, 2, v) != 0)
		return;
	a = api_acct_new(r, t);
	a->email = api_acct_dup(json_string_value(v[0]));
	a->password = api_acct_dup(json_string_value(v[1]));
	api_limits_check(t->limits, r, AL_LOGIN, a->email, api_login_unlocked,
	    a);
}

/*--------------------------------------------------------------------
 * Log out, who am I
 */

static void
api_logout_done(void *priv, enum as_status st, const char *json,
    const char *err)
{
	struct api_req *r = api_req_cast(priv);

	(void)json;
	if (st != AS_OK)
		api_store_failed(r, "logging out", err);
	else
		http_api_reply_empty(r, 204);
}

void
api_logout_post(struct api_req *r, void *priv)
{
	const struct api_caller *c = api_caller(r);
	struct api_tenant *t;
	const char *err;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	assert(c->user > 0);
	/* No key gets here (routes.c): a key is not a login. */
	AZ(c->key);
	if (as_token_revoke(t->pool, c->jti, c->expires, api_logout_done, r,
	        &err) != 0)
		http_api_error(r, 503, NULL, NULL, "%s", err);
}

static void
api_me_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_req *r = api_req_cast(priv);

	if (st == AS_OK && json != NULL)
		http_api_reply_text(r, 200, json);
	else if (st == AS_NOT_FOUND)
		http_api_error(r, 401, "token_revoked", NULL,
		    "this account is gone");
	else
		api_store_failed(r, "reading an account", err);
}

void
api_me_get(struct api_req *r, void *priv)
{
	const struct api_caller *c = api_caller(r);
	struct api_tenant *t;
	const char *err;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (as_user_me(t->pool, c->user, api_me_done, r, &err) != 0)
		http_api_error(r, 503, NULL, NULL, "%s", err);
}
