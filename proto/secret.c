/*
 * Reading the shared secret: same trimming and limits as
 * stoke.secret_file() in the VMOD.
 */

#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "secret.h"
#include "warm_sig.h"

int
secret_check(const char *key, size_t len, char *err, size_t errlen)
{
	(void)key;
	if (len < WARM_KEY_MIN) {
		snprintf(err, errlen,
		    "the secret is %zu bytes, at least %d "
		    "are needed",
		    len, WARM_KEY_MIN);
		return (-1);
	}
	if (len > WARM_KEY_MAX) {
		snprintf(err, errlen, "the secret is over %d bytes",
		    WARM_KEY_MAX);
		return (-1);
	}
	return (0);
}

static int
is_space(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f');
}

int
secret_read_file(const char *path, char *key, size_t keysize, size_t *keylen,
    char *err, size_t errlen)
{
	/* Room for a longest key with white space around it. */
	char buf[2 * WARM_KEY_MAX + 1], why[128], *b, *e;
	size_t n;
	FILE *f;
	int bad;

	assert(keysize > WARM_KEY_MAX);
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	bad = ferror(f);
	(void)fclose(f);
	if (bad) {
		snprintf(err, errlen, "cannot read %s", path);
		return (-1);
	}
	if (n == sizeof buf - 1) {
		snprintf(err, errlen, "%s is over %zu bytes", path, n - 1);
		return (-1);
	}
	buf[n] = '\0';
	for (b = buf; is_space(*b); b++)
		continue;
	for (e = buf + n; e > b && is_space(e[-1]); e--)
		continue;
	n = (size_t)(e - b);
	if (secret_check(b, n, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return (-1);
	}
	memcpy(key, b, n);
	key[n] = '\0';
	*keylen = n;
	memset(buf, 0, sizeof buf);
	return (0);
}
