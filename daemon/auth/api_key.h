/*
 * API keys for CI/CD: "stk_" then 40 random base62 characters.  The
 * key is shown once; what is kept is its SHA-256 (a key has 238 bits of
 * entropy: no slow hash is needed to make guessing it hopeless) and its
 * first 12 characters, so that a tenant can tell keys apart.
 */

#ifndef STOKE_API_KEY_H
#define STOKE_API_KEY_H

#include <stddef.h>
#include <stdint.h>

#define API_KEY_TAG "stk_" /* what tells a key from a login token */
#define API_KEY_TAG_LEN 4
#define API_KEY_LEN 44 /* "stk_" + 40 */
#define API_KEY_PREFIX_LEN 12
#define API_KEY_HASH_LEN 32

/*
 * What a key may do, one scope each: read a project's websites, jobs and
 * results; start and cancel jobs; purge.  A route names the one scope a
 * key needs to call it, or none: no key may (routes.c).  A key holds a
 * set of them, as KEY_BIT()s.
 */
enum key_scope { KEY_NONE, KEY_READ, KEY_JOBS, KEY_PURGE, KEY__MAX };
#define KEY_BIT(s) (1U << (s))

/* "none", "read", "jobs", "purge": as the API and the database say them. */
extern const char *const key_scope_name[KEY__MAX];
/* The scope of a name that a key may hold (not "none"), or KEY_NONE. */
enum key_scope key_scope_of(const char *name);

/* key: API_KEY_LEN + 1 bytes, prefix: API_KEY_PREFIX_LEN + 1. */
void api_key_new(char *key, char *prefix, uint8_t hash[API_KEY_HASH_LEN]);
/* 0 and its hash if s looks like a key of ours; -1 if not. */
int api_key_hash(const char *s, uint8_t hash[API_KEY_HASH_LEN]);

/*
 * An agent's token (stoked agent): a website's, made and kept as a key
 * is, shaped as one with a tag of its own, so that neither is ever
 * taken for the other.  The same lengths.
 */
#define AGENT_TOKEN_TAG "sta_"
void agent_token_new(char *token, char *prefix, uint8_t hash[API_KEY_HASH_LEN]);
int agent_token_hash(const char *s, uint8_t hash[API_KEY_HASH_LEN]);

#endif
