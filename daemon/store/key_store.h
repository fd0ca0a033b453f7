/*
 * A project's API keys (auth/api_key.h), in PostgreSQL.  Only a key's
 * SHA-256 and its prefix are kept, never the key: the key is made in C
 * (api_key_new) and shown once, by whoever made it.
 *
 * A key acts through a user of its own (kind 'key', 0007_api_keys.sql),
 * a member of the key's project only, as a viewer when it may only
 * read, as an admin when it may start jobs or purge: the statements of
 * the other stores, bound to the caller, bind the key to its project
 * with no change.  A revoked key's user stays (the key is still
 * listed) but is a member of nothing.
 *
 * The statements of a project's keys are bound to the caller as the
 * account store's are: a project the caller is not a member of is
 * AS_NOT_FOUND; any member lists, an owner or an admin creates and
 * revokes (else AS_FORBIDDEN).
 *
 * A key is JSON: {"id", "name", "prefix", "scopes": ["read", ...],
 * "created_at", "last_used_at", "revoked_at"}; never its hash.
 *
 * Each function: 0, and cb called once from the loop; or -1 with *err,
 * and it will not be.
 */

#ifndef STOKE_KEY_STORE_H
#define STOKE_KEY_STORE_H

#include <stdint.h>

#include "auth/api_key.h"
#include "account_store.h"

struct pg_pool;

/* A new key of name and scopes (KEY_BIT()s, at least one), as
 * api_key_new() made it: the key as listed. */
int ks_create(struct pg_pool *, int64_t user, int64_t project, const char *name,
    unsigned scopes, const char *prefix, const uint8_t hash[API_KEY_HASH_LEN],
    as_done_f *, void *, const char **err);
/* {"keys": [key, ...]}, oldest first, revoked ones too. */
int ks_list(struct pg_pool *, int64_t user, int64_t project, as_done_f *,
    void *, const char **err);
/* The key is revoked and its user leaves the project, in one statement:
 * refused from then on by every replica.  AS_NOT_FOUND: no such key in
 * this project; AS_CONFLICT: revoked already.  No JSON. */
int ks_revoke(struct pg_pool *, int64_t user, int64_t project, int64_t key,
    as_done_f *, void *, const char **err);

/* A key that is not revoked, as the authenticator needs it. */
struct ks_key {
	int64_t id;
	int64_t user; /* its own */
	int64_t project;
	unsigned scopes; /* KEY_BIT()s */
};

/* key: NULL unless AS_OK; err: the database's on AS_ERROR. */
typedef void ks_auth_f(void *priv, enum as_status, const struct ks_key *key,
    const char *err);

/*
 * The key of this hash, if not revoked (else AS_NOT_FOUND).  Its
 * last_used_at is brought up to now when it is a minute old or more, so
 * that a busy key writes a row a minute, not one a request.
 */
int ks_authenticate(struct pg_pool *, const uint8_t hash[API_KEY_HASH_LEN],
    ks_auth_f *, void *, const char **err);

#endif
