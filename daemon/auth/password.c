/*
 * Passwords: a short policy and libsodium's argon2id.  The policy is
 * NIST SP 800-63B's, not the old character-class rules: length matters,
 * and so does not reusing what an attacker already knows (the e-mail).
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "vdef.h"
#include "vas.h"

#include "password.h"

#define ARGON2ID_PREFIX "$argon2id$"

/* An e-mail's name shorter than this ("al@") is too common to refuse. */
#define LOCAL_MIN 3

int
password_init(void)
{
	/* 0: ready, 1: it already was; -1: no randomness here. */
	return (sodium_init() < 0 ? -1 : 0);
}

/*--------------------------------------------------------------------
 * Policy
 */

static int
password_why(char *why, size_t whylen, const char *s)
{
	if (why != NULL && whylen > 0)
		(void)snprintf(why, whylen, "%s", s);
	return (-1);
}

/* Whether hay contains the first len bytes of needle, in any case. */
static int
password_contains(const char *hay, const char *needle, size_t len)
{
	size_t hlen, i;

	hlen = strlen(hay);
	for (i = 0; len <= hlen && i <= hlen - len; i++) {
		if (!strncasecmp(hay + i, needle, len))
			return (1);
	}
	return (0);
}

static int
password_one_char(const char *password)
{
	const char *p;

	for (p = password + 1; *p != '\0'; p++) {
		if (*p != *password)
			return (0);
	}
	return (1);
}

int
password_policy(const char *password, const char *email, char *why,
    size_t whylen)
{
	const char *at;
	size_t len, local;
	char msg[80];

	AN(password);
	len = strlen(password);
	if (len < PASSWORD_MIN) {
		(void)snprintf(msg, sizeof msg,
		    "Your password must be at least %d characters long.",
		    PASSWORD_MIN);
		return (password_why(why, whylen, msg));
	}
	if (len > PASSWORD_MAX) {
		(void)snprintf(msg, sizeof msg,
		    "Your password must be at most %d characters long.",
		    PASSWORD_MAX);
		return (password_why(why, whylen, msg));
	}
	/* "aaaaaaaaaa" meets the length and is the first thing tried. */
	if (password_one_char(password))
		return (password_why(why, whylen,
		    "Your password must not be one character repeated."));
	if (email == NULL || *email == '\0')
		return (0);
	/* The e-mail is public: the first guess of anyone who knows it. */
	if (!strcasecmp(password, email))
		return (password_why(why, whylen,
		    "Your password must not be your e-mail address."));
	at = strchr(email, '@');
	local = at == NULL ? strlen(email) : (size_t)(at - email);
	if (local >= LOCAL_MIN && password_contains(password, email, local))
		return (password_why(why, whylen,
		    "Your password must not contain your e-mail address "
		    "or its name (the part before the @)."));
	return (0);
}

/*--------------------------------------------------------------------
 * Hashes
 */

int
password_hash(const char *password, char *out)
{
	AN(password);
	AN(out);
	assert(PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES);
	/*
	 * The algorithm is named, not left to libsodium's default, so that
	 * a new default would not change what we write.  "Interactive" is
	 * 2 passes over 64 MiB: ~100 ms here, ruinous for guessing at scale.
	 */
	if (crypto_pwhash_str_alg(out, password, strlen(password),
	        crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
	        crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE,
	        crypto_pwhash_ALG_ARGON2ID13) != 0)
		return (-1);
	return (0);
}

int
password_verify(const char *hash, const char *password)
{
	AN(hash);
	AN(password);
	/* libsodium would take an argon2i hash too; we only write argon2id. */
	if (strncmp(hash, ARGON2ID_PREFIX, strlen(ARGON2ID_PREFIX)))
		return (0);
	if (strnlen(hash, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX)
		return (0);
	return (
	    crypto_pwhash_str_verify(hash, password, strlen(password)) == 0);
}
