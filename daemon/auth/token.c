/*
 * Access tokens.  libjwt 1.10 signs and decodes them, but what reaches
 * it is decided here first: the header is decoded and read by us, and
 * only "alg":"HS256" with a kid of ours goes on, so that libjwt never
 * chooses an algorithm or a key from what the client sent.  The MAC is
 * also checked here in constant time (sodium_memcmp), so that how the
 * installed libjwt compares signatures does not matter.  The claims are
 * then read strictly: each must be there, with its type.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>
#include <sodium.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "token.h"

#define TOKEN_SECRET_MIN 32 /* bytes: HS256's own key size */
#define TOKEN_SECRET_MAX 128
#define TOKEN_KID_MAX 63
#define TOKEN_FILE_MAX (64 * 1024)
/* A client's clock may run a little ahead of ours. */
#define TOKEN_IAT_SKEW 60

struct token_key {
	char kid[TOKEN_KID_MAX + 1];
	unsigned char secret[TOKEN_SECRET_MAX];
	size_t len;
};

struct token_keys {
	unsigned magic;
#define TOKEN_KEYS_MAGIC 0x70ce4e75
	unsigned n;
	struct token_key *keys; /* keys[0] signs */
};

static int token_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
token_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

/*--------------------------------------------------------------------
 * Keys
 */

static int
token_kid_ok(const char *kid, size_t len)
{
	size_t i;

	if (len == 0 || len > TOKEN_KID_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy"
		           "z"
		           "0123456789._-",
		        kid[i]) == NULL)
			return (0);
	}
	return (1);
}

static const struct token_key *
token_key_find(const struct token_keys *tk, const char *kid)
{
	unsigned u;

	for (u = 0; u < tk->n; u++) {
		if (!strcmp(tk->keys[u].kid, kid))
			return (&tk->keys[u]);
	}
	return (NULL);
}

/* One line, without its newline: a key, or nothing (blank, comment). */
static int
token_parse_line(struct token_keys *tk, char *line, unsigned lineno, char *why,
    size_t whylen)
{
	struct token_key *k;
	char *kid, *secret, *extra, *save;
	const char *end;
	size_t len;

	kid = strtok_r(line, " \t\r", &save);
	if (kid == NULL || *kid == '#')
		return (0);
	secret = strtok_r(NULL, " \t\r", &save);
	extra = strtok_r(NULL, " \t\r", &save);
	if (secret == NULL || extra != NULL)
		return (token_why(why, whylen,
		    "line %u: a key is \"KID SECRET\", two words", lineno));
	if (!token_kid_ok(kid, strlen(kid)))
		return (token_why(why, whylen,
		    "line %u: a key id is 1 to %d of A-Z a-z 0-9 . _ -", lineno,
		    TOKEN_KID_MAX));
	if (token_key_find(tk, kid) != NULL)
		return (token_why(why, whylen,
		    "line %u: key id %s is already used: a token's kid must "
		    "name one key",
		    lineno, kid));
	k = &tk->keys[tk->n];
	/* The secret itself is never repeated in a message. */
	if (sodium_base642bin(k->secret, sizeof k->secret, secret,
	        strlen(secret), NULL, &len, &end,
	        sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    *end != '\0') {
		sodium_memzero(k->secret, sizeof k->secret);
		return (token_why(why, whylen,
		    "line %u: the secret of %s is not base64 (or longer than "
		    "%d bytes)",
		    lineno, kid, TOKEN_SECRET_MAX));
	}
	if (len < TOKEN_SECRET_MIN) {
		sodium_memzero(k->secret, sizeof k->secret);
		return (token_why(why, whylen,
		    "line %u: the secret of %s is %zu bytes; HS256 needs at "
		    "least %d random bytes",
		    lineno, kid, len, TOKEN_SECRET_MIN));
	}
	bprintf(k->kid, "%s", kid);
	k->len = len;
	tk->n++;
	return (0);
}

struct token_keys *
token_keys_parse(const char *text, char *why, size_t whylen)
{
	struct token_keys *tk;
	char *copy, *line, *nl;
	unsigned lineno, nlines;
	const char *p;
	int r;

	AN(text);
	if (sodium_init() < 0) {
		(void)token_why(why, whylen, "no randomness on this system");
		return (NULL);
	}
	ALLOC_OBJ(tk, TOKEN_KEYS_MAGIC);
	AN(tk);
	for (nlines = 1, p = text; *p != '\0'; p++)
		nlines += (*p == '\n');
	tk->keys = calloc(nlines, sizeof *tk->keys);
	AN(tk->keys);
	copy = strdup(text);
	AN(copy);
	r = 0;
	for (lineno = 1, line = copy; r == 0 && line != NULL; lineno++) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		r = token_parse_line(tk, line, lineno, why, whylen);
		line = nl;
	}
	sodium_memzero(copy, strlen(text));
	free(copy);
	if (r == 0 && tk->n == 0)
		r = token_why(why, whylen,
		    "no key: a line \"KID SECRET\" is needed to sign tokens");
	if (r != 0)
		token_keys_free(&tk);
	return (tk);
}

static char *
token_read_file(int fd, const char *path, char *why, size_t whylen)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st)) {
		(void)token_why(why, whylen, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	if (!S_ISREG(st.st_mode)) {
		(void)token_why(why, whylen, "%s: not a regular file", path);
		return (NULL);
	}
	/* Whoever reads the keys can sign a token for any user. */
	if (st.st_mode & 077) {
		(void)token_why(why, whylen,
		    "%s: group or others may access it (mode %04o); whoever "
		    "reads the keys can log in as anyone: chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		return (NULL);
	}
	if (st.st_size >= TOKEN_FILE_MAX) {
		(void)token_why(why, whylen, "%s: too large for a key file",
		    path);
		return (NULL);
	}
	buf = calloc(1, TOKEN_FILE_MAX);
	AN(buf);
	n = read(fd, buf, TOKEN_FILE_MAX - 1);
	if (n < 0) {
		(void)token_why(why, whylen, "%s: %s", path, strerror(errno));
		free(buf);
		return (NULL);
	}
	return (buf);
}

struct token_keys *
token_keys_load(const char *path, char *why, size_t whylen)
{
	struct token_keys *tk;
	char *text;
	int fd;

	AN(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		(void)token_why(why, whylen, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	text = token_read_file(fd, path, why, whylen);
	closefd(&fd);
	if (text == NULL)
		return (NULL);
	tk = token_keys_parse(text, why, whylen);
	sodium_memzero(text, TOKEN_FILE_MAX);
	free(text);
	return (tk);
}

/* "kXXXXXXXX SECRET", without a newline: the caller writes the file. */
int
token_key_line(char *out, size_t outlen)
{
	unsigned char secret[TOKEN_SECRET_MIN], id[4];
	char b64[sodium_base64_ENCODED_LEN(TOKEN_SECRET_MIN,
	    sodium_base64_VARIANT_ORIGINAL)];
	char hex[2 * sizeof id + 1];
	int n;

	AN(out);
	if (sodium_init() < 0)
		return (-1);
	randombytes_buf(secret, sizeof secret);
	randombytes_buf(id, sizeof id);
	AN(sodium_bin2base64(b64, sizeof b64, secret, sizeof secret,
	    sodium_base64_VARIANT_ORIGINAL));
	AN(sodium_bin2hex(hex, sizeof hex, id, sizeof id));
	n = snprintf(out, outlen, "k%s %s", hex, b64);
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(b64, sizeof b64);
	if (n < 0 || (size_t)n >= outlen) {
		sodium_memzero(out, outlen);
		return (-1);
	}
	return (0);
}

void
token_keys_free(struct token_keys **tkp)
{
	struct token_keys *tk;

	TAKE_OBJ_NOTNULL(tk, tkp, TOKEN_KEYS_MAGIC);
	sodium_memzero(tk->keys, tk->n * sizeof *tk->keys);
	free(tk->keys);
	FREE_OBJ(tk);
}

/*--------------------------------------------------------------------
 * Issue
 */

static int
token_sign(const struct token_key *k, int64_t user, const char *jti,
    int64_t iat, int64_t exp, char *out, size_t outlen)
{
	jwt_t *jwt;
	char sub[24], *s;
	int r;

	if (jwt_new(&jwt) != 0)
		return (-1);
	AN(jwt);
	(void)snprintf(sub, sizeof sub, "%jd", (intmax_t)user);
	r = jwt_set_alg(jwt, JWT_ALG_HS256, k->secret, (int)k->len) ||
	        jwt_add_header(jwt, "kid", k->kid) ||
	        jwt_add_grant(jwt, "sub", sub) ||
	        jwt_add_grant_int(jwt, "iat", (long)iat) ||
	        jwt_add_grant_int(jwt, "exp", (long)exp) ||
	        jwt_add_grant(jwt, "jti", jti)
	    ? -1
	    : 0;
	s = r == 0 ? jwt_encode_str(jwt) : NULL;
	jwt_free(jwt);
	if (s == NULL)
		return (-1);
	if (strlen(s) >= outlen || strlen(s) >= TOKEN_MAX)
		r = -1;
	else
		strcpy(out, s);
	free(s);
	return (r);
}

int
token_issue(const struct token_keys *tk, int64_t user, double ttl, double now,
    char *out, size_t outlen, struct token_claims *tc, char *why, size_t whylen)
{
	const struct token_key *k;
	struct token_claims c;
	unsigned char id[TOKEN_JTI_LEN / 2];

	CHECK_OBJ_NOTNULL(tk, TOKEN_KEYS_MAGIC);
	AN(out);
	assert(tk->n > 0);
	if (user <= 0)
		return (token_why(why, whylen, "user id %jd: not a user",
		    (intmax_t)user));
	if (!(ttl >= 1))
		return (
		    token_why(why, whylen, "a token must live 1 s or more"));
	k = &tk->keys[0];
	memset(&c, 0, sizeof c);
	c.user = user;
	c.issued = (int64_t)now;
	c.expires = (int64_t)(now + ttl);
	randombytes_buf(id, sizeof id);
	AN(sodium_bin2hex(c.jti, sizeof c.jti, id, sizeof id));
	bprintf(c.kid, "%s", k->kid);
	if (token_sign(k, user, c.jti, c.issued, c.expires, out, outlen))
		return (token_why(why, whylen,
		    "the token could not be made (out of memory, or longer "
		    "than %zu bytes)",
		    outlen));
	if (tc != NULL)
		*tc = c;
	return (0);
}

/*--------------------------------------------------------------------
 * Verify: shape, header, MAC, then libjwt, then the claims.
 */

static int
token_b64url(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy"
		           "z"
		           "0123456789-_",
		        s[i]) == NULL)
			return (0);
	}
	return (len > 0);
}

/* The header's key, if it asks for HS256 and names a key of ours. */
static const struct token_key *
token_header_key(const struct token_keys *tk, const char *h, size_t hlen,
    char *why, size_t whylen)
{
	unsigned char buf[TOKEN_MAX];
	const struct token_key *k;
	json_t *root, *alg, *kid;
	size_t len;

	if (sodium_base642bin(buf, sizeof buf, h, hlen, NULL, &len, NULL,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		(void)token_why(why, whylen, "the header is not base64url");
		return (NULL);
	}
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		(void)token_why(why, whylen, "the header is not a JSON object");
		return (NULL);
	}
	alg = json_object_get(root, "alg");
	kid = json_object_get(root, "kid");
	k = NULL;
	if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS256"))
		(void)token_why(why, whylen, "alg is not HS256");
	else if (!json_is_string(kid) ||
	    (k = token_key_find(tk, json_string_value(kid))) == NULL)
		(void)token_why(why, whylen, "kid names no key of ours");
	json_decref(root);
	return (k);
}

static int
token_mac_ok(const struct token_key *k, const char *tok, size_t signed_len,
    const char *sig)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	unsigned char got[crypto_auth_hmacsha256_BYTES + 1];
	size_t len;
	int ok;

	if (sodium_base642bin(got, sizeof got, sig, strlen(sig), NULL, &len,
	        NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof mac)
		return (0);
	AZ(crypto_auth_hmacsha256_init(&st, k->secret, k->len));
	AZ(crypto_auth_hmacsha256_update(&st, (const unsigned char *)tok,
	    signed_len));
	AZ(crypto_auth_hmacsha256_final(&st, mac));
	ok = sodium_memcmp(mac, got, sizeof mac) == 0;
	sodium_memzero(&st, sizeof st);
	return (ok);
}

/* A positive decimal, as we write it: no sign, no leading zero. */
static int
token_user(const char *s, int64_t *user)
{
	long long v;
	char *end;

	if (s == NULL || *s < '1' || *s > '9')
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return (-1);
	*user = v;
	return (0);
}

static int
token_jti_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != TOKEN_JTI_LEN)
		return (0);
	for (i = 0; i < TOKEN_JTI_LEN; i++) {
		if (strchr("0123456789abcdef", s[i]) == NULL)
			return (0);
	}
	return (1);
}

/* The payload's claims, each present and of its type. */
static int
token_claims_read(jwt_t *jwt, double now, struct token_claims *c, char *why,
    size_t whylen)
{
	json_t *root, *sub, *iat, *exp, *jti;
	char *js;
	int r;

	js = jwt_get_grants_json(jwt, NULL);
	root = js == NULL ? NULL : json_loads(js, JSON_REJECT_DUPLICATES, NULL);
	free(js);
	if (!json_is_object(root)) {
		json_decref(root);
		return (token_why(why, whylen, "the payload is not an object"));
	}
	sub = json_object_get(root, "sub");
	iat = json_object_get(root, "iat");
	exp = json_object_get(root, "exp");
	jti = json_object_get(root, "jti");
	r = -1;
	if (!json_is_integer(exp) || !json_is_integer(iat))
		(void)token_why(why, whylen, "exp or iat missing");
	else if ((double)json_integer_value(exp) <= now)
		(void)token_why(why, whylen, "expired");
	else if ((double)json_integer_value(iat) > now + TOKEN_IAT_SKEW)
		(void)token_why(why, whylen, "issued in the future");
	else if (!json_is_string(sub) ||
	    token_user(json_string_value(sub), &c->user))
		(void)token_why(why, whylen, "sub is not a user id");
	else if (!json_is_string(jti) || !token_jti_ok(json_string_value(jti)))
		(void)token_why(why, whylen, "jti missing or not ours");
	else {
		c->issued = json_integer_value(iat);
		c->expires = json_integer_value(exp);
		bprintf(c->jti, "%s", json_string_value(jti));
		r = 0;
	}
	json_decref(root);
	return (r);
}

int
token_verify(const struct token_keys *tk, const char *tok, double now,
    struct token_claims *tc, char *why, size_t whylen)
{
	const struct token_key *k;
	const char *dot1, *dot2;
	struct token_claims c;
	jwt_t *jwt;
	int r;

	CHECK_OBJ_NOTNULL(tk, TOKEN_KEYS_MAGIC);
	if (tok == NULL || strnlen(tok, TOKEN_MAX) >= TOKEN_MAX)
		return (token_why(why, whylen, "no token, or too long"));
	dot1 = strchr(tok, '.');
	dot2 = dot1 == NULL ? NULL : strchr(dot1 + 1, '.');
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL ||
	    !token_b64url(tok, (size_t)(dot1 - tok)) ||
	    !token_b64url(dot1 + 1, (size_t)(dot2 - dot1 - 1)) ||
	    !token_b64url(dot2 + 1, strlen(dot2 + 1)))
		return (token_why(why, whylen,
		    "not a signed JWT (three base64url parts)"));
	k = token_header_key(tk, tok, (size_t)(dot1 - tok), why, whylen);
	if (k == NULL)
		return (-1);
	if (!token_mac_ok(k, tok, (size_t)(dot2 - tok), dot2 + 1))
		return (token_why(why, whylen, "bad signature"));
	if (jwt_decode(&jwt, tok, k->secret, (int)k->len) != 0)
		return (token_why(why, whylen, "refused by libjwt"));
	AN(jwt);
	memset(&c, 0, sizeof c);
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		r = token_why(why, whylen, "alg is not HS256");
	else
		r = token_claims_read(jwt, now, &c, why, whylen);
	jwt_free(jwt);
	if (r != 0)
		return (-1);
	bprintf(c.kid, "%s", k->kid);
	if (tc != NULL)
		*tc = c;
	return (0);
}
