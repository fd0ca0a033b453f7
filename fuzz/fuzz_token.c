/*
 * Access tokens (auth/token.c), as anyone on the Internet may send one
 * in an Authorization header.  The first byte picks what the rest is:
 *	0: a token as sent;
 *	1: a header's and a payload's JSON, base64url'd here and signed
 *	   with the right key, so that what lies past the signature (the
 *	   header's alg and kid, the claims) is reached too;
 *	2: a key file's text.
 * Each time, a token issued here must verify.
 */

#include "config.h"

#include <sodium.h>

#include "vdef.h"
#include "vas.h"

#include "auth/token.h"

#include "fuzz/fuzz.h"

#define NOW 1700000000.0

/* 32 bytes of 'k', as a key file says them. */
static const char keyfile[] =
    "k1 a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n"
    "k0 b29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb28=\n";
static unsigned char secret[32];
static struct token_keys *keys;

static size_t
b64url(const char *p, size_t len, char *out, size_t outlen)
{
	AN(sodium_bin2base64(out, outlen, (const unsigned char *)p, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING));
	return (strlen(out));
}

/* header.payload.HMAC-SHA256, as a token of ours is made. */
static void
signed_token(const uint8_t *data, size_t size)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	struct token_claims tc;
	char tok[4096], why[256], *h, *p;
	size_t l;

	h = fuzz_next(&data, &size);
	p = fuzz_next(&data, &size);
	if (strlen(h) > 1000 || strlen(p) > 1000) {
		free(h);
		free(p);
		return;
	}
	l = b64url(h, strlen(h), tok, sizeof tok);
	tok[l++] = '.';
	l += b64url(p, strlen(p), tok + l, sizeof tok - l);
	crypto_auth_hmacsha256(mac, (const unsigned char *)tok, l, secret);
	tok[l++] = '.';
	(void)b64url((const char *)mac, sizeof mac, tok + l, sizeof tok - l);
	if (token_verify(keys, tok, NOW, &tc, why, sizeof why) == 0) {
		assert(tc.user > 0);
		assert(tc.expires > (int64_t)NOW - 1);
		assert(!strcmp(tc.kid, "k1"));
	}
	free(h);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_claims tc;
	struct token_keys *tk;
	char tok[TOKEN_MAX], why[256], *s;
	uint8_t mode;

	if (keys == NULL) {
		AZ(sodium_init() < 0);
		memset(secret, 'k', sizeof secret);
		keys = token_keys_parse(keyfile, why, sizeof why);
		AN(keys);
	}
	if (size < 1)
		return (0);
	mode = data[0] % 3;
	data++;
	size--;
	switch (mode) {
	case 0:
		s = fuzz_str(data, size);
		if (token_verify(keys, s, NOW, &tc, why, sizeof why) != 0)
			assert(why[0] != '\0');
		free(s);
		break;
	case 1:
		signed_token(data, size);
		break;
	default:
		s = fuzz_str(data, size);
		tk = token_keys_parse(s, why, sizeof why);
		if (tk != NULL) {
			AZ(token_issue(tk, 42, 900, NOW, tok, sizeof tok, &tc,
			    why, sizeof why));
			AZ(token_verify(tk, tok, NOW + 1, &tc, why,
			    sizeof why));
			assert(tc.user == 42);
			token_keys_free(&tk);
		}
		free(s);
		break;
	}
	return (0);
}
