/*
 * Passwords: argon2id hashes that verify, refuse the wrong password and
 * anything that is not an argon2id hash; the policy's cases.
 */

#include "config.h"

#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "auth/password.h"

#include "unit.h"

static void
test_hash(void)
{
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];

	CHECK_INT_EQ(password_hash("correct horse battery", h1), 0);
	CHECK(!strncmp(h1, "$argon2id$v=19$", 15));
	CHECK_INT_EQ(password_verify(h1, "correct horse battery"), 1);
	CHECK_INT_EQ(password_verify(h1, "correct horse batterY"), 0);
	CHECK_INT_EQ(password_verify(h1, ""), 0);

	/* A salt of its own: the same password hashes differently. */
	CHECK_INT_EQ(password_hash("correct horse battery", h2), 0);
	CHECK(strcmp(h1, h2) != 0);
	CHECK_INT_EQ(password_verify(h2, "correct horse battery"), 1);
}

static void
test_garbage(void)
{
	char h[PASSWORD_HASH_MAX], other[PASSWORD_HASH_MAX + 16];

	CHECK_INT_EQ(password_verify("", "x"), 0);
	CHECK_INT_EQ(password_verify("garbage", "garbage"), 0);
	CHECK_INT_EQ(password_verify("$argon2id$", "x"), 0);
	CHECK_INT_EQ(password_verify("$argon2id$v=19$m=65536,t=2,p=1$", "x"),
	    0);
	CHECK_INT_EQ(password_hash("correct horse battery", h), 0);
	/* An argon2i hash of the same password is not one of ours. */
	memcpy(other, h, sizeof h);
	memmove(other + 8, other + 9, strlen(other + 9) + 1);
	CHECK(!strncmp(other, "$argon2i$", 9));
	CHECK_INT_EQ(password_verify(other, "correct horse battery"), 0);
	/* Truncated. */
	memcpy(other, h, sizeof h);
	other[strlen(other) - 5] = '\0';
	CHECK_INT_EQ(password_verify(other, "correct horse battery"), 0);
	/* Too long to be a hash. */
	memset(other, 'a', sizeof other - 1);
	memcpy(other, "$argon2id$", 10);
	other[sizeof other - 1] = '\0';
	CHECK_INT_EQ(password_verify(other, "x"), 0);
}

static int
policy(const char *pw, const char *email, const char *want)
{
	char why[128];

	why[0] = '\0';
	if (want == NULL)
		return (
		    CHECK_INT_EQ(password_policy(pw, email, why, sizeof why),
		        0));
	return (CHECK_INT_EQ(password_policy(pw, email, why, sizeof why), -1) &&
	    CHECK(strstr(why, want) != NULL));
}

static void
test_policy(void)
{
	char big[PASSWORD_MAX + 2];

	policy("correct horse battery", "jane.doe@example.com", NULL);
	policy("0123456789", NULL, NULL);
	policy("012345678", NULL, "at least 10 characters");
	policy("", "a@b.c", "at least 10 characters");
	memset(big, 'x', sizeof big);
	big[0] = 'y';
	big[PASSWORD_MAX] = '\0';
	policy(big, NULL, NULL);
	big[PASSWORD_MAX] = 'x';
	big[PASSWORD_MAX + 1] = '\0';
	policy(big, NULL, "at most 256 characters");
	policy("aaaaaaaaaaaa", NULL, "one character repeated");
	policy("jane.doe@example.com", "jane.doe@example.com",
	    "not be your e-mail");
	policy("JANE.DOE@Example.COM", "jane.doe@example.com",
	    "not be your e-mail");
	policy("my jane.doe@example.com!", "jane.doe@example.com",
	    "not contain your e-mail");
	policy("hello JANE.doe 2024", "jane.doe@example.com",
	    "not contain your e-mail");
	/* A local part of two characters is too common to refuse. */
	policy("jo is my name, ok", "jo@example.com", NULL);
	policy("bob is my name, ok", "bob@example.com",
	    "not contain your e-mail");
	/* No room for why: still refused. */
	CHECK_INT_EQ(password_policy("short", NULL, NULL, 0), -1);
}

int
main(void)
{
	AZ(password_init());
	AZ(password_init());
	test_hash();
	test_garbage();
	test_policy();
	return (unit_done());
}
