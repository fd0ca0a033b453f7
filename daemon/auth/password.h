/*
 * Passwords: the policy a new one must meet, and argon2id hashes
 * (libsodium's crypto_pwhash_str, its "interactive" cost) in the
 * $argon2id$ string format, which carries its own salt and cost.
 * Hashing and verifying are slow by design: call them off the loop
 * (core/offload.h).
 */

#ifndef STOKE_PASSWORD_H
#define STOKE_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MIN 10 /* characters (bytes of UTF-8) */
#define PASSWORD_MAX 256
#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */

/* libsodium's set-up; 0, or -1 if it cannot run here. */
int password_init(void);
/*
 * 0 if password may be used by the account of email; else -1 and why,
 * a sentence for the user ("at least 10 characters", "must not contain
 * your e-mail address").
 */
int password_policy(const char *password, const char *email, char *why,
    size_t whylen);
/* 0, or -1 (out of memory). out: PASSWORD_HASH_MAX bytes. */
int password_hash(const char *password, char *out);
/* 1: it matches; 0: it does not, or hash is not an argon2id hash. */
int password_verify(const char *hash, const char *password);

#endif
