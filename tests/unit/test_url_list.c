/*
 * Unit tests for core/url_list.c: trimming, blank lines, comments only
 * where a line starts with '#', a '#' inside a URL kept, and reading a
 * file through the callback (stopping early, a missing file).
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/url_list.h"
#include "unit.h"

static const char *
line_of(const char *s)
{
	static char buf[256];

	snprintf(buf, sizeof buf, "%s", s);
	return (url_list_line(buf));
}

static void
test_lines(void)
{
	CHECK_STR_EQ(line_of("http://a/\n"), "http://a/");
	CHECK_STR_EQ(line_of("  \thttp://a/b \t\r\n"), "http://a/b");
	CHECK_STR_EQ(line_of("http://a/#top\n"), "http://a/#top");
	CHECK_STR_EQ(line_of("http://a/ #not a comment"),
	    "http://a/ #not a comment");
	CHECK(line_of("") == NULL);
	CHECK(line_of("\n") == NULL);
	CHECK(line_of(" \t \r\n") == NULL);
	CHECK(line_of("# a comment\n") == NULL);
	CHECK(line_of("   # an indented one\n") == NULL);
	CHECK(line_of("#http://a/") == NULL);
}

struct got {
	char all[1024];
	unsigned n, stop_at;
};

static int
collect(void *priv, const char *url)
{
	struct got *g = priv;

	strncat(g->all, url, sizeof g->all - strlen(g->all) - 2);
	strcat(g->all, "|");
	if (++g->n == g->stop_at)
		return (7);
	return (0);
}

static void
test_file(void)
{
	char path[] = "/tmp/test_url_list.XXXXXX", err[256];
	struct got g;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	if (!CHECK(fd >= 0))
		return;
	f = fdopen(fd, "w");
	fputs("# URLs\n\nhttp://a/1\n  https://a/2#frag  \r\n"
	      "\t# http://skipped/\nhttp://a/3",
	    f);
	fclose(f);

	memset(&g, 0, sizeof g);
	CHECK_INT_EQ(url_list_read(path, collect, &g, err, sizeof err), 0);
	CHECK_STR_EQ(g.all, "http://a/1|https://a/2#frag|http://a/3|");
	CHECK_INT_EQ(g.n, 3);

	memset(&g, 0, sizeof g);
	g.stop_at = 2;
	CHECK_INT_EQ(url_list_read(path, collect, &g, err, sizeof err), 7);
	CHECK_STR_EQ(g.all, "http://a/1|https://a/2#frag|");

	unlink(path);
	memset(&g, 0, sizeof g);
	err[0] = '\0';
	CHECK_INT_EQ(url_list_read(path, collect, &g, err, sizeof err), -1);
	CHECK(strncmp(err, path, strlen(path)) == 0);
	CHECK(strstr(err, ": ") != NULL);
	CHECK_INT_EQ(g.n, 0);
}

int
main(void)
{
	test_lines();
	test_file();
	return (unit_done());
}
