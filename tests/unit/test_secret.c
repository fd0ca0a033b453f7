/*
 * Unit tests for secret.c: the length limits of the shared secret
 * (16 to 4096 bytes) and reading it from a file: trimming white space
 * at both ends, and refusing missing, empty, short and oversize files
 * with a message.  Files are made with mkstemp() in /tmp.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/secret.h"
#include "proto/warm_sig.h"
#include "unit.h"

#define KEYSIZE (WARM_KEY_MAX + 1)

static void
test_check(void)
{
	char err[256], key[WARM_KEY_MAX + 2];

	memset(key, 'k', sizeof key);
	CHECK_INT_EQ(WARM_KEY_MIN, 16);
	CHECK_INT_EQ(WARM_KEY_MAX, 4096);

	err[0] = '\0';
	CHECK_INT_EQ(secret_check(key, 15, err, sizeof err), -1);
	CHECK(strstr(err, "15") != NULL);
	CHECK(strstr(err, "16") != NULL);
	err[0] = '\0';
	CHECK_INT_EQ(secret_check(key, 0, err, sizeof err), -1);
	CHECK(err[0] != '\0');
	CHECK_INT_EQ(secret_check(key, 16, err, sizeof err), 0);
	CHECK_INT_EQ(secret_check(key, 17, err, sizeof err), 0);
	CHECK_INT_EQ(secret_check(key, 4096, err, sizeof err), 0);
	err[0] = '\0';
	CHECK_INT_EQ(secret_check(key, 4097, err, sizeof err), -1);
	CHECK(strstr(err, "4096") != NULL);

	/* A small err buffer is not overrun, and still terminated. */
	memset(err, 'X', sizeof err);
	CHECK_INT_EQ(secret_check(key, 3, err, 8), -1);
	CHECK_INT_EQ(strlen(err), 7);
	CHECK(err[8] == 'X');
}

/*
 * Write len bytes to a new file in /tmp; its name goes to path.
 * Returns 0 or -1.
 */
static int
mkfile(char *path, size_t pathlen, const char *data, size_t len)
{
	int fd;
	ssize_t w;

	snprintf(path, pathlen, "/tmp/stoke-unit-secret.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return (-1);
	w = len == 0 ? 0 : write(fd, data, len);
	(void)close(fd);
	if (w < 0 || (size_t)w != len) {
		(void)unlink(path);
		return (-1);
	}
	return (0);
}

/*
 * Read data back through a temporary file.  Returns what
 * secret_read_file() did; key, keylen and err as it left them.
 */
static int
read_back(const char *data, size_t len, char *key, size_t *keylen, char *err,
    size_t errlen, char *path, size_t pathlen)
{
	int r;

	if (!CHECK_INT_EQ(mkfile(path, pathlen, data, len), 0))
		return (-2);
	r = secret_read_file(path, key, KEYSIZE, keylen, err, errlen);
	(void)unlink(path);
	return (r);
}

static void
test_trim(void)
{
	static const struct {
		const char *data;
		const char *key;
	} t[] = {
		{ "0123456789abcdef", "0123456789abcdef" },
		{ "0123456789abcdef\n", "0123456789abcdef" },
		{ "0123456789abcdef\r\n", "0123456789abcdef" },
		{ "  \t\n0123456789abcdef\r\n\n ", "0123456789abcdef" },
		{ "\n\n\nsixteen-bytes-ky\t\t", "sixteen-bytes-ky" },
		/* white space inside is the key's */
		{ " a b c d e f g h i \n", "a b c d e f g h i" },
		{ "line one\nline two\n", "line one\nline two" },
	};
	char key[KEYSIZE], err[512], path[64];
	size_t keylen;
	unsigned i;
	int r;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(key, 'Z', sizeof key);
		keylen = 0;
		err[0] = '\0';
		r = read_back(t[i].data, strlen(t[i].data), key, &keylen, err,
		    sizeof err, path, sizeof path);
		if (!CHECK_INT_EQ(r, 0)) {
			fprintf(stderr, "\tdata \"%s\": %s\n", t[i].data, err);
			continue;
		}
		CHECK_STR_EQ(key, t[i].key);
		CHECK_INT_EQ(keylen, strlen(t[i].key));
	}

	/* NUL bytes inside the key are kept and counted. */
	memset(key, 'Z', sizeof key);
	r = read_back("\n01234567\0abcdefgh\n", 19, key, &keylen, err,
	    sizeof err, path, sizeof path);
	CHECK_INT_EQ(r, 0);
	CHECK_INT_EQ(keylen, 17);
	CHECK(memcmp(key, "01234567\0abcdefgh", 18) == 0);
}

static void
test_refused(void)
{
	char key[KEYSIZE], err[512], path[64];
	size_t keylen;
	int r;

	/* 15 bytes after trimming */
	memset(key, 'Z', sizeof key);
	err[0] = '\0';
	r = read_back(" 0123456789abcde\n", 17, key, &keylen, err, sizeof err,
	    path, sizeof path);
	CHECK_INT_EQ(r, -1);
	CHECK(err[0] != '\0');
	CHECK(strstr(err, "15") != NULL);
	/* Nothing of a refused key is handed out. */
	CHECK(key[0] == 'Z');

	/* Empty file */
	err[0] = '\0';
	r = read_back("", 0, key, &keylen, err, sizeof err, path, sizeof path);
	CHECK_INT_EQ(r, -1);
	CHECK(err[0] != '\0');

	/* White space only */
	err[0] = '\0';
	r = read_back(" \t\r\n\n  \n", 8, key, &keylen, err, sizeof err, path,
	    sizeof path);
	CHECK_INT_EQ(r, -1);
	CHECK(err[0] != '\0');
	err[0] = '\0';
	r = read_back("                    \n", 21, key, &keylen, err,
	    sizeof err, path, sizeof path);
	CHECK_INT_EQ(r, -1);
	CHECK(err[0] != '\0');
}

static void
test_missing(void)
{
	char key[KEYSIZE], err[512], path[64];
	size_t keylen;
	int r;

	/* A name that was just free */
	if (!CHECK_INT_EQ(mkfile(path, sizeof path, "", 0), 0))
		return;
	CHECK_INT_EQ(unlink(path), 0);
	err[0] = '\0';
	r = secret_read_file(path, key, sizeof key, &keylen, err, sizeof err);
	CHECK_INT_EQ(r, -1);
	if (!CHECK(strstr(err, path) != NULL))
		fprintf(stderr, "\terr \"%s\"\n", err);

	/* A directory is not a secret file. */
	err[0] = '\0';
	r = secret_read_file("/tmp", key, sizeof key, &keylen, err, sizeof err);
	CHECK_INT_EQ(r, -1);
	CHECK(strstr(err, "/tmp") != NULL);

	/* A short err buffer holds a cut, terminated message. */
	memset(err, 'X', sizeof err);
	r = secret_read_file(path, key, sizeof key, &keylen, err, 10);
	CHECK_INT_EQ(r, -1);
	CHECK_INT_EQ(strlen(err), 9);
	CHECK(err[10] == 'X');
}

static void
test_size(void)
{
	char key[KEYSIZE], err[512], path[64], *data;
	size_t keylen, n;
	int r;

	data = malloc(100000);
	if (!CHECK(data != NULL))
		return;
	for (n = 0; n < 100000; n++)
		data[n] = (char)('a' + n % 26);

	/* 16 bytes */
	memset(key, 'Z', sizeof key);
	r = read_back(data, 16, key, &keylen, err, sizeof err, path,
	    sizeof path);
	CHECK_INT_EQ(r, 0);
	CHECK_INT_EQ(keylen, 16);
	if (r == 0)
		CHECK_STR_EQ(key, "abcdefghijklmnop");

	/* 4096 bytes, the most there may be */
	memset(key, 'Z', sizeof key);
	r = read_back(data, 4096, key, &keylen, err, sizeof err, path,
	    sizeof path);
	CHECK_INT_EQ(r, 0);
	CHECK_INT_EQ(keylen, 4096);
	CHECK(memcmp(key, data, 4096) == 0);
	CHECK(key[4096] == '\0');

	/* 4097 bytes: an oversize file, named in the message */
	memset(key, 'Z', sizeof key);
	err[0] = '\0';
	r = read_back(data, 4097, key, &keylen, err, sizeof err, path,
	    sizeof path);
	CHECK_INT_EQ(r, -1);
	CHECK(err[0] != '\0');
	CHECK(strstr(err, path) != NULL);
	CHECK(key[0] == 'Z');

	/*
	 * The limit is on the key: a longest key with a newline after it,
	 * as editors write files, is fine.
	 */
	memcpy(data + 4096, "\n", 1);
	err[0] = '\0';
	r = read_back(data, 4097, key, &keylen, err, sizeof err, path,
	    sizeof path);
	CHECK_INT_EQ(r, 0);
	CHECK_INT_EQ(keylen, 4096);
	data[4096] = 'c';

	/* Far over */
	err[0] = '\0';
	r = read_back(data, 100000, key, &keylen, err, sizeof err, path,
	    sizeof path);
	CHECK_INT_EQ(r, -1);
	CHECK(err[0] != '\0');
	CHECK(strstr(err, path) != NULL);
	free(data);
}

int
main(void)
{
	test_check();
	test_trim();
	test_refused();
	test_missing();
	test_size();
	return (unit_done());
}
