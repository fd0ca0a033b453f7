/*
 * API keys: their shape, that they differ, that the hash of a key is
 * stable, that what is not a key is refused before any hashing, and
 * the names of their scopes.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "auth/api_key.h"

#include "unit.h"

#define NKEYS 1000

static int
cmp_key(const void *a, const void *b)
{
	return (strcmp(a, b));
}

static int
base62(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		        (*s >= 'A' && *s <= 'Z')))
			return (0);
	}
	return (1);
}

static void
test_shape_and_hash(void)
{
	char key[API_KEY_LEN + 1], prefix[API_KEY_PREFIX_LEN + 1];
	uint8_t hash[API_KEY_HASH_LEN], again[API_KEY_HASH_LEN];

	api_key_new(key, prefix, hash);
	CHECK_INT_EQ(strlen(key), API_KEY_LEN);
	CHECK(!strncmp(key, "stk_", 4));
	CHECK(base62(key + 4));
	CHECK_INT_EQ(strlen(prefix), API_KEY_PREFIX_LEN);
	CHECK(!strncmp(key, prefix, API_KEY_PREFIX_LEN));
	CHECK_INT_EQ(api_key_hash(key, again), 0);
	CHECK(!memcmp(hash, again, sizeof hash));
	CHECK_INT_EQ(api_key_hash(key, again), 0);
	CHECK(!memcmp(hash, again, sizeof hash));
}

static void
test_known_hash(void)
{
	const char *key = "stk_0123456789abcdefghijABCDEFGHIJ0123456789";
	/* sha256sum of the key above, without a newline. */
	static const uint8_t want[API_KEY_HASH_LEN] = { 0xc9, 0x1a, 0xc3, 0x01,
		0x65, 0x91, 0x4a, 0xe6, 0xf8, 0xd3, 0xe6, 0x00, 0x58, 0x95,
		0x16, 0xc4, 0x43, 0xdb, 0xa3, 0x92, 0x76, 0x20, 0x1d, 0xd1,
		0xa4, 0x68, 0x89, 0x4e, 0x83, 0xa2, 0x23, 0x75 };
	uint8_t hash[API_KEY_HASH_LEN];

	CHECK_INT_EQ(strlen(key), API_KEY_LEN);
	CHECK_INT_EQ(api_key_hash(key, hash), 0);
	CHECK(!memcmp(hash, want, sizeof hash));
}

static void
test_distinct(void)
{
	char(*keys)[API_KEY_LEN + 1];
	char prefix[API_KEY_PREFIX_LEN + 1];
	uint8_t hash[API_KEY_HASH_LEN];
	unsigned i, same = 0;

	keys = calloc(NKEYS, sizeof *keys);
	AN(keys);
	for (i = 0; i < NKEYS; i++)
		api_key_new(keys[i], prefix, hash);
	qsort(keys, NKEYS, sizeof *keys, cmp_key);
	for (i = 1; i < NKEYS; i++)
		same += !strcmp(keys[i - 1], keys[i]);
	CHECK_INT_EQ(same, 0);
	free(keys);
}

static void
test_not_keys(void)
{
	char key[API_KEY_LEN + 1], prefix[API_KEY_PREFIX_LEN + 1];
	char bad[API_KEY_LEN + 2];
	uint8_t hash[API_KEY_HASH_LEN];

	CHECK_INT_EQ(api_key_hash(NULL, hash), -1);
	CHECK_INT_EQ(api_key_hash("", hash), -1);
	CHECK_INT_EQ(api_key_hash("stk_", hash), -1);
	CHECK_INT_EQ(api_key_hash("Bearer xyz", hash), -1);
	api_key_new(key, prefix, hash);
	/* One short, one long, a wrong tag, a character not in base62. */
	memcpy(bad, key, sizeof key);
	bad[API_KEY_LEN - 1] = '\0';
	CHECK_INT_EQ(api_key_hash(bad, hash), -1);
	memcpy(bad, key, sizeof key);
	bad[API_KEY_LEN] = 'x';
	bad[API_KEY_LEN + 1] = '\0';
	CHECK_INT_EQ(api_key_hash(bad, hash), -1);
	memcpy(bad, key, sizeof key);
	bad[0] = 'S';
	CHECK_INT_EQ(api_key_hash(bad, hash), -1);
	memcpy(bad, key, sizeof key);
	bad[20] = '-';
	CHECK_INT_EQ(api_key_hash(bad, hash), -1);
	memcpy(bad, key, sizeof key);
	bad[20] = '\n';
	CHECK_INT_EQ(api_key_hash(bad, hash), -1);
}

static void
test_scopes(void)
{
	unsigned s;

	for (s = KEY_NONE + 1; s < KEY__MAX; s++)
		CHECK_INT_EQ(key_scope_of(key_scope_name[s]), s);
	CHECK_INT_EQ(key_scope_of("read"), KEY_READ);
	CHECK_INT_EQ(key_scope_of("jobs"), KEY_JOBS);
	CHECK_INT_EQ(key_scope_of("purge"), KEY_PURGE);
	/* "none" is a route's, never a key's. */
	CHECK_INT_EQ(key_scope_of("none"), KEY_NONE);
	CHECK_INT_EQ(key_scope_of("READ"), KEY_NONE);
	CHECK_INT_EQ(key_scope_of("read "), KEY_NONE);
	CHECK_INT_EQ(key_scope_of(""), KEY_NONE);
	CHECK_INT_EQ(KEY__MAX, 4);
}

/* An agent's token: the same shape, its own tag, never taken for a key
 * nor a key for it. */
static void
test_agent_token(void)
{
	char tok[API_KEY_LEN + 1], prefix[API_KEY_PREFIX_LEN + 1];
	char key[API_KEY_LEN + 1], kprefix[API_KEY_PREFIX_LEN + 1];
	uint8_t hash[API_KEY_HASH_LEN], again[API_KEY_HASH_LEN];

	agent_token_new(tok, prefix, hash);
	CHECK_INT_EQ(strlen(tok), API_KEY_LEN);
	CHECK_INT_EQ(strncmp(tok, AGENT_TOKEN_TAG, 4), 0);
	CHECK_INT_EQ(strncmp(prefix, tok, API_KEY_PREFIX_LEN), 0);
	CHECK_INT_EQ(agent_token_hash(tok, again), 0);
	CHECK_INT_EQ(memcmp(hash, again, sizeof hash), 0);
	CHECK_INT_EQ(api_key_hash(tok, again), -1);
	api_key_new(key, kprefix, hash);
	CHECK_INT_EQ(agent_token_hash(key, again), -1);
	CHECK_INT_EQ(agent_token_hash(NULL, again), -1);
	tok[API_KEY_LEN - 1] = '\0';
	CHECK_INT_EQ(agent_token_hash(tok, again), -1);
}

int
main(void)
{
	test_shape_and_hash();
	test_known_hash();
	test_distinct();
	test_not_keys();
	test_scopes();
	test_agent_token();
	return (unit_done());
}
