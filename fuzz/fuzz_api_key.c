/*
 * API keys and agent tokens as sent in an Authorization header
 * (auth/api_key.c): what looks like one is hashed, what does not is
 * refused; a key is never taken for an agent's token, nor the other
 * way round.  Scope names as a key's body names them.
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"

#include "auth/api_key.h"

#include "fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t h1[API_KEY_HASH_LEN], h2[API_KEY_HASH_LEN];
	enum key_scope sc;
	char *s;
	int k, a;

	s = fuzz_str(data, size);
	k = api_key_hash(s, h1);
	a = agent_token_hash(s, h2);
	assert(k == 0 || k == -1);
	assert(a == 0 || a == -1);
	assert(k != 0 || a != 0);
	if (k == 0)
		assert(strlen(s) == API_KEY_LEN && !strncmp(s, "stk_", 4));
	if (a == 0)
		assert(strlen(s) == API_KEY_LEN && !strncmp(s, "sta_", 4));
	sc = key_scope_of(s);
	assert(sc >= KEY_NONE && sc < KEY__MAX);
	if (sc != KEY_NONE)
		assert(!strcmp(key_scope_name[sc], s));
	free(s);
	return (0);
}
