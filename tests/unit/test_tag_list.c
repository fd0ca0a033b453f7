/*
 * Unit tests for tag_list.c: splitting xkey tag lists on spaces, commas
 * and tabs, and the limits tag_list_check() puts on a list (empty, over
 * 4 KiB, over 256 tags).
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tag_list.h"
#include "unit.h"

/*
 * Split list with tag_list_next() and join the tags with '|' into out;
 * returns the number of tags.
 */
static int
split(const char *list, char *out, size_t outlen)
{
	const char *p = list, *t;
	size_t len, n = 0;
	int ntag = 0;

	out[0] = '\0';
	while ((t = tag_list_next(&p, &len)) != NULL) {
		if (len == 0 || n + len + 2 > outlen)
			return (-1);
		if (ntag > 0)
			out[n++] = '|';
		memcpy(out + n, t, len);
		n += len;
		out[n] = '\0';
		ntag++;
		/* The cursor is right after the tag. */
		if (p != t + len)
			return (-2);
	}
	/* At the end the cursor rests on the NUL. */
	if (*p != '\0')
		return (-3);
	return (ntag);
}

static void
test_split(void)
{
	static const struct {
		const char *list;
		int n;
		const char *tags;
	} t[] = {
		{ "a", 1, "a" },
		{ "a b", 2, "a|b" },
		{ "a,b", 2, "a|b" },
		{ "a\tb", 2, "a|b" },
		{ "a , b", 2, "a|b" },
		{ "a,,,b", 2, "a|b" },
		{ "a  \t, ,\t b", 2, "a|b" },
		{ " a", 1, "a" },
		{ ",a", 1, "a" },
		{ "a ", 1, "a" },
		{ "a,", 1, "a" },
		{ " ,\t a b,c\t ,", 3, "a|b|c" },
		{ "product-1 category-2,theme-3", 3,
		    "product-1|category-2|theme-3" },
		/* only space, comma and tab separate */
		{ "a;b c|d", 2, "a;b|c|d" },
		{ "a\nb", 1, "a\nb" },
		{ "a\rb", 1, "a\rb" },
		{ "%20 \xc3\xa9", 2, "%20|\xc3\xa9" },
		{ "", 0, "" },
		{ " ", 0, "" },
		{ "  , ,", 0, "" },
		{ "\t,\t", 0, "" },
	};
	char out[256];
	unsigned i;
	int n;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		n = split(t[i].list, out, sizeof out);
		if (!CHECK_INT_EQ(n, t[i].n) || !CHECK_STR_EQ(out, t[i].tags))
			fprintf(stderr, "\tlist \"%s\"\n", t[i].list);
	}
}

static void
test_next_edges(void)
{
	const char *p = NULL, *list = "ab";
	size_t len = 77;

	/* A NULL cursor is the end. */
	CHECK(tag_list_next(&p, &len) == NULL);
	CHECK(p == NULL);

	/* Calling again at the end stays at the end. */
	p = list;
	CHECK(tag_list_next(&p, &len) == list);
	CHECK_INT_EQ(len, 2);
	CHECK(tag_list_next(&p, &len) == NULL);
	CHECK(tag_list_next(&p, &len) == NULL);
	CHECK(p == list + 2);
}

static void
test_check(void)
{
	const char *why;

	why = "x";
	CHECK_INT_EQ(tag_list_check("a", &why), 1);
	CHECK(why == NULL);
	CHECK_INT_EQ(tag_list_check("a b,c\td", &why), 4);
	CHECK(why == NULL);
	CHECK_INT_EQ(tag_list_check(" ,a,, b ,", &why), 2);
	CHECK(why == NULL);

	why = NULL;
	CHECK_INT_EQ(tag_list_check(NULL, &why), -1);
	CHECK(why != NULL && *why != '\0');
	why = NULL;
	CHECK_INT_EQ(tag_list_check("", &why), -1);
	CHECK(why != NULL && *why != '\0');
	why = NULL;
	CHECK_INT_EQ(tag_list_check("  , ,", &why), -1);
	CHECK(why != NULL && *why != '\0');
	why = NULL;
	CHECK_INT_EQ(tag_list_check("\t", &why), -1);
	CHECK(why != NULL && *why != '\0');
}

static void
test_check_bytes(void)
{
	char *list;
	const char *why;

	list = malloc(TAG_LIST_MAX_BYTES + 2);
	if (!CHECK(list != NULL))
		return;
	CHECK_INT_EQ(TAG_LIST_MAX_BYTES, 4096);

	/* One tag of exactly 4096 bytes */
	memset(list, 'a', 4096);
	list[4096] = '\0';
	why = "x";
	CHECK_INT_EQ(tag_list_check(list, &why), 1);
	CHECK(why == NULL);

	/* 4097 bytes */
	memset(list, 'a', 4097);
	list[4097] = '\0';
	why = NULL;
	CHECK_INT_EQ(tag_list_check(list, &why), -1);
	CHECK(why != NULL && strstr(why, "4 KiB") != NULL);

	/* Separators count toward the size too */
	memset(list, ' ', 4097);
	list[0] = 'a';
	list[4097] = '\0';
	why = NULL;
	CHECK_INT_EQ(tag_list_check(list, &why), -1);
	CHECK(why != NULL && strstr(why, "4 KiB") != NULL);
	list[4096] = '\0';
	CHECK_INT_EQ(tag_list_check(list, &why), 1);
	free(list);
}

/* n tags "t0 t1 ..." joined by sep */
static char *
make_tags(unsigned n, const char *sep)
{
	char *s;
	size_t len = 0, cap = (size_t)n * 16 + 1;
	unsigned i;

	s = malloc(cap);
	if (s == NULL)
		return (NULL);
	s[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%st%u",
		    i == 0 ? "" : sep, i);
	return (s);
}

static void
test_check_count(void)
{
	const char *why;
	char *list;

	CHECK_INT_EQ(TAG_LIST_MAX_TAGS, 256);

	list = make_tags(256, " ");
	if (!CHECK(list != NULL))
		return;
	why = "x";
	CHECK_INT_EQ(tag_list_check(list, &why), 256);
	CHECK(why == NULL);
	free(list);

	list = make_tags(256, " ,\t");
	if (!CHECK(list != NULL))
		return;
	CHECK_INT_EQ(tag_list_check(list, &why), 256);
	CHECK(why == NULL);
	free(list);

	list = make_tags(257, ",");
	if (!CHECK(list != NULL))
		return;
	CHECK(strlen(list) <= 4096);
	why = NULL;
	CHECK_INT_EQ(tag_list_check(list, &why), -1);
	CHECK(why != NULL && strstr(why, "256") != NULL);
	free(list);

	/* 1000 one-byte tags: too many, not too long */
	list = malloc(2001);
	if (!CHECK(list != NULL))
		return;
	memset(list, ',', 2000);
	list[2000] = '\0';
	{
		unsigned i;

		for (i = 0; i < 1000; i++)
			list[2 * i] = 'x';
	}
	why = NULL;
	CHECK_INT_EQ(tag_list_check(list, &why), -1);
	CHECK(why != NULL && strstr(why, "256") != NULL);
	free(list);
}

int
main(void)
{
	test_split();
	test_next_edges();
	test_check();
	test_check_bytes();
	test_check_count();
	return (unit_done());
}
