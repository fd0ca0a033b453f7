/*
 * Access tokens: JWTs signed with HMAC-SHA256 (libjwt), carrying the
 * user (sub), when they were issued and end (iat, exp) and an id of
 * their own (jti) that logout revokes.
 *
 * Keys come from a file or the environment, one a line, "KID SECRET"
 * (SECRET: at least 32 bytes, as base64); the first line signs, every
 * line verifies.  To rotate, put a new key first and keep the old one
 * until the tokens it signed have run out: nobody is logged out.  The
 * header's kid picks the key; any alg but HS256 is refused before a
 * signature is looked at, so neither "none" nor a key confusion gets in.
 */

#ifndef STOKE_TOKEN_H
#define STOKE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX 1024 /* a token we issue, with its NUL */
#define TOKEN_JTI_LEN 32 /* hex */

struct token_keys;

struct token_claims {
	int64_t user; /* sub */
	int64_t issued, expires; /* iat, exp: seconds since the epoch */
	char jti[TOKEN_JTI_LEN + 1];
	char kid[64];
};

/* text: the lines above.  NULL and why on a bad line or no key. */
struct token_keys *token_keys_parse(const char *text, char *why, size_t whylen);
/* The file's lines; it must not be readable by others. */
struct token_keys *token_keys_load(const char *path, char *why, size_t whylen);
/* A new line "KID SECRET" for a key file (a fresh random key). */
int token_key_line(char *out, size_t outlen);
void token_keys_free(struct token_keys **);

/* A token for user, valid ttl seconds from now; 0, or -1 (why). */
int token_issue(const struct token_keys *, int64_t user, double ttl, double now,
    char *out, size_t outlen, struct token_claims *, char *why, size_t whylen);
/*
 * 0 and the claims if tok is one of ours, signed with a known key, not
 * expired at now; -1 and why otherwise.  Revocation is the caller's
 * (the database knows it).
 */
int token_verify(const struct token_keys *, const char *tok, double now,
    struct token_claims *, char *why, size_t whylen);

#endif
