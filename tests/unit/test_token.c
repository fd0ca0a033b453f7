/*
 * Access tokens: a round trip, key rotation, and real attacks: tokens
 * written here by hand (base64url of our own JSON, signed with the
 * right secret where that makes the attack stronger) with alg "none",
 * HS512 and RS256 headers, a changed payload, a bad signature, a kid
 * we do not know, an expired token, missing or odd claims, garbage.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "vdef.h"
#include "vas.h"

#include "auth/token.h"

#include "unit.h"

#define NOW 1700000000.0

static unsigned char secret_old[32], secret_new[40], secret_other[32];
static char b64_old[64], b64_new[64], b64_other[64];

/*--------------------------------------------------------------------
 * Making tokens by hand
 */

static void
b64url(const void *p, size_t len, char *out, size_t outlen)
{
	AN(sodium_bin2base64(out, outlen, p, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING));
}

/* header.payload.HMAC-SHA256(secret); no signature if secret is NULL. */
static char *
forge(const char *header, const char *payload, const unsigned char *secret,
    size_t slen)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char *tok;
	size_t len;

	len = 2 * (strlen(header) + strlen(payload)) + 128;
	tok = calloc(1, len);
	AN(tok);
	b64url(header, strlen(header), tok, len);
	strcat(tok, ".");
	b64url(payload, strlen(payload), tok + strlen(tok), len - strlen(tok));
	strcat(tok, ".");
	if (secret == NULL)
		return (tok);
	AZ(crypto_auth_hmacsha256_init(&st, secret, slen));
	AZ(crypto_auth_hmacsha256_update(&st, (unsigned char *)tok,
	    strlen(tok) - 1));
	AZ(crypto_auth_hmacsha256_final(&st, mac));
	b64url(mac, sizeof mac, tok + strlen(tok), len - strlen(tok));
	return (tok);
}

static char *
payload(const char *extra)
{
	static char buf[512];

	bprintf(buf,
	    "{\"sub\":\"42\",\"iat\":%.0f,\"exp\":%.0f,"
	    "\"jti\":\"0123456789abcdef0123456789abcdef\"%s}",
	    NOW, NOW + 900, extra);
	return (buf);
}

static struct token_keys *
ring(const char *text)
{
	struct token_keys *tk;
	char why[256];

	why[0] = '\0';
	tk = token_keys_parse(text, why, sizeof why);
	if (!CHECK(tk != NULL))
		fprintf(stderr, "\twhy: %s\n", why);
	AN(tk);
	return (tk);
}

/* Refused, and for the reason expected. */
static void
refused(const struct token_keys *tk, const char *tok, const char *want)
{
	struct token_claims c;
	char why[256];

	why[0] = '\0';
	CHECK_INT_EQ(token_verify(tk, tok, NOW + 10, &c, why, sizeof why), -1);
	if (!CHECK(strstr(why, want) != NULL))
		fprintf(stderr, "\twhy: \"%s\", expected \"%s\"\n", why, want);
}

/*--------------------------------------------------------------------
 * Good tokens
 */

static void
test_round_trip(void)
{
	struct token_keys *tk;
	struct token_claims c, v;
	char tok[TOKEN_MAX], why[256], text[256];
	char *t;

	bprintf(text, "old %s\n", b64_old);
	tk = ring(text);
	CHECK_INT_EQ(token_issue(tk, 42, 900, NOW, tok, sizeof tok, &c, why,
	                 sizeof why),
	    0);
	CHECK_INT_EQ(c.user, 42);
	CHECK_INT_EQ(c.issued, (int64_t)NOW);
	CHECK_INT_EQ(c.expires, (int64_t)NOW + 900);
	CHECK_INT_EQ(strlen(c.jti), TOKEN_JTI_LEN);
	CHECK_STR_EQ(c.kid, "old");
	memset(&v, 0, sizeof v);
	CHECK_INT_EQ(token_verify(tk, tok, NOW + 10, &v, why, sizeof why), 0);
	CHECK_INT_EQ(v.user, 42);
	CHECK_INT_EQ(v.issued, c.issued);
	CHECK_INT_EQ(v.expires, c.expires);
	CHECK_STR_EQ(v.jti, c.jti);
	CHECK_STR_EQ(v.kid, "old");
	/* Each token has its own jti. */
	CHECK_INT_EQ(token_issue(tk, 42, 900, NOW, tok, sizeof tok, &v, why,
	                 sizeof why),
	    0);
	CHECK(strcmp(v.jti, c.jti) != 0);
	/* A hand-made token, right in every way, passes: the forge is real. */
	t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"old\"}",
	    payload(""), secret_old, sizeof secret_old);
	CHECK_INT_EQ(token_verify(tk, t, NOW + 10, &v, why, sizeof why), 0);
	CHECK_INT_EQ(v.user, 42);
	free(t);
	/* Not for a user that cannot exist, nor for no time. */
	CHECK_INT_EQ(token_issue(tk, 0, 900, NOW, tok, sizeof tok, NULL, why,
	                 sizeof why),
	    -1);
	CHECK_INT_EQ(token_issue(tk, 42, 0, NOW, tok, sizeof tok, NULL, why,
	                 sizeof why),
	    -1);
	CHECK_INT_EQ(token_issue(tk, 42, 900, NOW, tok, 20, NULL, why,
	                 sizeof why),
	    -1);
	token_keys_free(&tk);
	CHECK(tk == NULL);
}

static void
test_rotation(void)
{
	struct token_keys *old, *rotated;
	struct token_claims c;
	char tok_old[TOKEN_MAX], tok_new[TOKEN_MAX], why[256], text[512];

	bprintf(text, "old %s", b64_old);
	old = ring(text);
	bprintf(text,
	    "# new first: it signs; old stays until its tokens end\n"
	    "\n"
	    "new %s\n"
	    "  old\t%s\r\n",
	    b64_new, b64_old);
	rotated = ring(text);
	AZ(token_issue(old, 7, 900, NOW, tok_old, sizeof tok_old, NULL, why,
	    sizeof why));
	AZ(token_issue(rotated, 7, 900, NOW, tok_new, sizeof tok_new, &c, why,
	    sizeof why));
	CHECK_STR_EQ(c.kid, "new");
	CHECK_INT_EQ(token_verify(rotated, tok_old, NOW + 1, &c, why,
	                 sizeof why),
	    0);
	CHECK_STR_EQ(c.kid, "old");
	CHECK_INT_EQ(c.user, 7);
	CHECK_INT_EQ(token_verify(rotated, tok_new, NOW + 1, &c, why,
	                 sizeof why),
	    0);
	CHECK_STR_EQ(c.kid, "new");
	/* The old ring does not know the new key. */
	refused(old, tok_new, "kid");
	token_keys_free(&old);
	token_keys_free(&rotated);
}

/*--------------------------------------------------------------------
 * Attacks
 */

static void
test_hostile(void)
{
	struct token_keys *tk;
	char tok[TOKEN_MAX], why[256], text[256], *t, *p;

	bprintf(text, "old %s\n", b64_old);
	tk = ring(text);

	/* alg none, with and without an empty signature part. */
	t = forge("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"old\"}",
	    payload(""), NULL, 0);
	refused(tk, t, "three base64url parts");
	t[strlen(t) - 1] = '\0';
	refused(tk, t, "three base64url parts");
	free(t);
	t = forge("{\"alg\":\"none\",\"kid\":\"old\"}", payload(""), secret_old,
	    sizeof secret_old);
	refused(tk, t, "alg is not HS256");
	free(t);
	t = forge("{\"alg\":\"None\",\"kid\":\"old\"}", payload(""), secret_old,
	    sizeof secret_old);
	refused(tk, t, "alg is not HS256");
	free(t);

	/* Other algorithms, MACed with our secret: confusions. */
	t = forge("{\"alg\":\"HS512\",\"kid\":\"old\"}", payload(""),
	    secret_old, sizeof secret_old);
	refused(tk, t, "alg is not HS256");
	free(t);
	t = forge("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"old\"}",
	    payload(""), secret_old, sizeof secret_old);
	refused(tk, t, "alg is not HS256");
	free(t);
	t = forge("{\"alg\":[\"HS256\"],\"kid\":\"old\"}", payload(""),
	    secret_old, sizeof secret_old);
	refused(tk, t, "alg is not HS256");
	free(t);
	/* Two algs: which would a parser take?  Neither. */
	t = forge("{\"alg\":\"HS256\",\"alg\":\"none\",\"kid\":\"old\"}",
	    payload(""), secret_old, sizeof secret_old);
	refused(tk, t, "not a JSON object");
	free(t);

	/* A kid we do not know, none, or not a string. */
	t = forge("{\"alg\":\"HS256\",\"kid\":\"k9\"}", payload(""),
	    secret_other, sizeof secret_other);
	refused(tk, t, "kid names no key");
	free(t);
	t = forge("{\"alg\":\"HS256\"}", payload(""), secret_old,
	    sizeof secret_old);
	refused(tk, t, "kid names no key");
	free(t);
	t = forge("{\"alg\":\"HS256\",\"kid\":1}", payload(""), secret_old,
	    sizeof secret_old);
	refused(tk, t, "kid names no key");
	free(t);
	/* Our kid, another secret. */
	t = forge("{\"alg\":\"HS256\",\"kid\":\"old\"}", payload(""),
	    secret_other, sizeof secret_other);
	refused(tk, t, "bad signature");
	free(t);

	/* A real token whose payload is changed: another user. */
	AZ(token_issue(tk, 42, 900, NOW, tok, sizeof tok, NULL, why,
	    sizeof why));
	t = forge("{}",
	    "{\"sub\":\"1\",\"iat\":1700000000,\"exp\":1800000000,"
	    "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    NULL, 0);
	/* t is "h.p.": its payload with tok's header and signature. */
	p = strchr(t, '.') + 1;
	p[strlen(p) - 1] = '\0';
	{
		char forged[TOKEN_MAX * 2];
		const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');

		bprintf(forged, "%.*s.%s%s", (int)(d1 - tok), tok, p, d2);
		refused(tk, forged, "bad signature");
	}
	free(t);
	/* A bad signature: one character of it changed. */
	p = strrchr(tok, '.') + 5;
	*p = *p == 'A' ? 'B' : 'A';
	refused(tk, tok, "bad signature");
	/* A signature cut short, or none. */
	AZ(token_issue(tk, 42, 900, NOW, tok, sizeof tok, NULL, why,
	    sizeof why));
	tok[strlen(tok) - 4] = '\0';
	refused(tk, tok, "bad signature");
	*(strrchr(tok, '.') + 1) = '\0';
	refused(tk, tok, "three base64url parts");
	token_keys_free(&tk);
}

static void
test_claims(void)
{
	struct token_keys *tk;
	struct token_claims c;
	char tok[TOKEN_MAX], why[256], text[256], pl[512], *t;
	const char *h = "{\"alg\":\"HS256\",\"kid\":\"old\"}";

	bprintf(text, "old %s\n", b64_old);
	tk = ring(text);

	/* Expired: at exp and after. */
	AZ(token_issue(tk, 42, 900, NOW, tok, sizeof tok, NULL, why,
	    sizeof why));
	CHECK_INT_EQ(token_verify(tk, tok, NOW + 899, &c, why, sizeof why), 0);
	CHECK_INT_EQ(token_verify(tk, tok, NOW + 900, &c, why, sizeof why), -1);
	CHECK(strstr(why, "expired") != NULL);
	CHECK_INT_EQ(token_verify(tk, tok, NOW + 86400, &c, why, sizeof why),
	    -1);

#define CLAIMS(json, want)                                                     \
	do {                                                                   \
		t = forge(h, json, secret_old, sizeof secret_old);             \
		refused(tk, t, want);                                          \
		free(t);                                                       \
	} while (0)
	CLAIMS("{\"sub\":\"42\",\"iat\":1700000000,\"exp\":1800000000}", "jti");
	CLAIMS("{\"sub\":\"42\",\"iat\":1700000000,\"exp\":1800000000,"
	       "\"jti\":\"short\"}",
	    "jti");
	CLAIMS("{\"sub\":\"42\",\"iat\":1700000000,\"exp\":1800000000,"
	       "\"jti\":\"0123456789ABCDEF0123456789ABCDEF\"}",
	    "jti");
	CLAIMS("{\"iat\":1700000000,\"exp\":1800000000,"
	       "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    "sub");
	CLAIMS("{\"sub\":42,\"iat\":1700000000,\"exp\":1800000000,"
	       "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    "sub");
	CLAIMS("{\"sub\":\"0\",\"iat\":1700000000,\"exp\":1800000000,"
	       "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    "sub");
	CLAIMS("{\"sub\":\"-4\",\"iat\":1700000000,\"exp\":1800000000,"
	       "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    "sub");
	CLAIMS("{\"sub\":\"42x\",\"iat\":1700000000,\"exp\":1800000000,"
	       "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    "sub");
	CLAIMS("{\"sub\":\"99999999999999999999\",\"iat\":1700000000,"
	       "\"exp\":1800000000,"
	       "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    "sub");
	CLAIMS("{\"sub\":\"42\",\"iat\":1700000000,"
	       "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    "exp");
	CLAIMS("{\"sub\":\"42\",\"iat\":1700000000,\"exp\":\"1800000000\","
	       "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    "exp");
	CLAIMS("{\"sub\":\"42\",\"exp\":1800000000,"
	       "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    "iat");
	/* Issued an hour from now: a clock far off, or a forger's guess. */
	bprintf(pl,
	    "{\"sub\":\"42\",\"iat\":%.0f,\"exp\":%.0f,"
	    "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
	    NOW + 3600, NOW + 7200);
	CLAIMS(pl, "future");
	CLAIMS("[1,2]", "payload");
#undef CLAIMS
	token_keys_free(&tk);
}

static void
test_garbage(void)
{
	struct token_keys *tk;
	char text[256], *huge;
	size_t n = 100000;

	bprintf(text, "old %s\n", b64_old);
	tk = ring(text);
	refused(tk, NULL, "no token");
	refused(tk, "", "three base64url parts");
	refused(tk, "abc", "three base64url parts");
	refused(tk, "abc.def", "three base64url parts");
	refused(tk, "..", "three base64url parts");
	refused(tk, "a.b.c.d", "three base64url parts");
	refused(tk, "a b.c.d", "three base64url parts");
	refused(tk, "eyJ.eyJ.abc", "header");
	refused(tk, "bm90IGpzb24.e30.abc", "not a JSON object");
	huge = malloc(n + 1);
	AN(huge);
	memset(huge, 'a', n);
	huge[10] = huge[n / 2] = '.';
	huge[n] = '\0';
	refused(tk, huge, "too long");
	free(huge);
	token_keys_free(&tk);
}

/*--------------------------------------------------------------------
 * Key files
 */

static void
bad_keys(const char *text, const char *want)
{
	char why[256];

	why[0] = '\0';
	CHECK(token_keys_parse(text, why, sizeof why) == NULL);
	if (!CHECK(strstr(why, want) != NULL))
		fprintf(stderr, "\twhy: \"%s\", expected \"%s\"\n", why, want);
}

static void
test_keys(void)
{
	struct token_keys *tk;
	char text[512], line[256], path[] = "/tmp/test_token.XXXXXX", why[256];
	int fd;

	bad_keys("", "no key");
	bad_keys("# only a comment\n\n", "no key");
	bprintf(text, "k1 %s extra", b64_old);
	bad_keys(text, "two words");
	bad_keys("k1\n", "two words");
	bprintf(text, "k/1 %s", b64_old);
	bad_keys(text, "key id");
	bprintf(text, "%s %s",
	    "0123456789012345678901234567890123456789"
	    "012345678901234567890123",
	    b64_old);
	bad_keys(text, "key id");
	bprintf(text, "k1 %s\nk1 %s\n", b64_old, b64_new);
	bad_keys(text, "line 2: key id k1 is already used");
	bad_keys("k1 c2hvcnQ=", "at least 32");
	bad_keys("k1 not*base64", "not base64");
	bprintf(text, "k1 %s\nk2 %s", b64_old, b64_old + 1);
	bad_keys(text, "line 2");

	/* A fresh line from token_key_line() is a key. */
	AZ(token_key_line(line, sizeof line));
	tk = ring(line);
	token_keys_free(&tk);
	CHECK_INT_EQ(token_key_line(line, 10), -1);

	/* A key file others may read is refused, and why says so. */
	fd = mkstemp(path);
	assert(fd >= 0);
	bprintf(text, "# keys\nold %s\n", b64_old);
	CHECK_INT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	AZ(close(fd));
	AZ(chmod(path, 0644));
	CHECK(token_keys_load(path, why, sizeof why) == NULL);
	CHECK(strstr(why, "chmod 600") != NULL);
	AZ(chmod(path, 0640));
	CHECK(token_keys_load(path, why, sizeof why) == NULL);
	AZ(chmod(path, 0600));
	tk = token_keys_load(path, why, sizeof why);
	CHECK(tk != NULL);
	if (tk != NULL)
		token_keys_free(&tk);
	AZ(unlink(path));
	CHECK(token_keys_load(path, why, sizeof why) == NULL);
	CHECK(strstr(why, path) != NULL);
}

int
main(void)
{
	AZ(sodium_init() < 0);
	memset(secret_old, 'o', sizeof secret_old);
	memset(secret_new, 'n', sizeof secret_new);
	memset(secret_other, 'x', sizeof secret_other);
	AN(sodium_bin2base64(b64_old, sizeof b64_old, secret_old,
	    sizeof secret_old, sodium_base64_VARIANT_ORIGINAL));
	AN(sodium_bin2base64(b64_new, sizeof b64_new, secret_new,
	    sizeof secret_new, sodium_base64_VARIANT_ORIGINAL));
	AN(sodium_bin2base64(b64_other, sizeof b64_other, secret_other,
	    sizeof secret_other, sodium_base64_VARIANT_ORIGINAL));
	test_round_trip();
	test_rotation();
	test_hostile();
	test_claims();
	test_garbage();
	test_keys();
	return (unit_done());
}
