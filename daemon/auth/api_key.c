/*
 * API keys: "stk_" and 40 base62 characters from libsodium's CSPRNG;
 * agents' tokens the same, "sta_" and 40.
 * randombytes_uniform() draws each character without modulo bias, so
 * every one of the 62^40 keys is as likely.
 */

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "vdef.h"
#include "vas.h"

#include "api_key.h"

const char *const key_scope_name[KEY__MAX] = {
	[KEY_NONE] = "none",
	[KEY_READ] = "read",
	[KEY_JOBS] = "jobs",
	[KEY_PURGE] = "purge",
};

enum key_scope
key_scope_of(const char *name)
{
	unsigned s;

	AN(name);
	for (s = KEY_NONE + 1; s < KEY__MAX; s++)
		if (!strcmp(name, key_scope_name[s]))
			return ((enum key_scope)s);
	return (KEY_NONE);
}

static const char api_key_chars[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void
api_key_sha256(const char *key, uint8_t hash[API_KEY_HASH_LEN])
{
	assert(API_KEY_HASH_LEN == crypto_hash_sha256_BYTES);
	AZ(crypto_hash_sha256(hash, (const unsigned char *)key, API_KEY_LEN));
}

/* A secret of ours: tag, then 40 base62 characters. */
static void
api_secret_new(const char *tag, char *key, char *prefix,
    uint8_t hash[API_KEY_HASH_LEN])
{
	size_t i;

	AN(key);
	AN(prefix);
	AN(hash);
	assert(strlen(tag) == API_KEY_TAG_LEN);
	assert(sizeof api_key_chars - 1 == 62);
	memcpy(key, tag, API_KEY_TAG_LEN);
	for (i = API_KEY_TAG_LEN; i < API_KEY_LEN; i++)
		key[i] = api_key_chars[randombytes_uniform(62)];
	key[API_KEY_LEN] = '\0';
	memcpy(prefix, key, API_KEY_PREFIX_LEN);
	prefix[API_KEY_PREFIX_LEN] = '\0';
	api_key_sha256(key, hash);
}

void
api_key_new(char *key, char *prefix, uint8_t hash[API_KEY_HASH_LEN])
{
	api_secret_new(API_KEY_TAG, key, prefix, hash);
}

void
agent_token_new(char *token, char *prefix, uint8_t hash[API_KEY_HASH_LEN])
{
	api_secret_new(AGENT_TOKEN_TAG, token, prefix, hash);
}

/* Whether s is shaped like a secret of tag: tag, 40 base62, nothing
 * after. */
static int
api_secret_shaped(const char *tag, const char *s)
{
	size_t i;

	if (strncmp(s, tag, API_KEY_TAG_LEN))
		return (0);
	for (i = API_KEY_TAG_LEN; i < API_KEY_LEN; i++) {
		if (s[i] == '\0' || strchr(api_key_chars, s[i]) == NULL)
			return (0);
	}
	return (s[API_KEY_LEN] == '\0');
}

int
api_key_hash(const char *s, uint8_t hash[API_KEY_HASH_LEN])
{
	AN(hash);
	/* Anything else is not hashed: it cannot be a key, so no lookup. */
	if (s == NULL || !api_secret_shaped(API_KEY_TAG, s))
		return (-1);
	api_key_sha256(s, hash);
	return (0);
}

int
agent_token_hash(const char *s, uint8_t hash[API_KEY_HASH_LEN])
{
	AN(hash);
	if (s == NULL || !api_secret_shaped(AGENT_TOKEN_TAG, s))
		return (-1);
	api_key_sha256(s, hash);
	return (0);
}
