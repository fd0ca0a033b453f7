/*
 * api_router: a route table answers a method and a path with a route and
 * its path parameters, with the methods of a known path (405, Allow), or
 * with nothing (404); patterns are checked; numbers in paths and query
 * strings are whole and in range.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/api_router.h"
#include "unit.h"

static void
h(struct api_req *r, void *priv)
{
	(void)r;
	(void)priv;
}

/* As routes.c will grow: literal segments before parameters. */
static const struct api_route table[] = {
	{ API_GET, "/metrics", API_OPERATOR, KEY_NONE, h },
	{ API_GET, "/api/v1/jobs", API_OPERATOR, KEY_NONE, h },
	{ API_POST, "/api/v1/jobs", API_OPERATOR, KEY_NONE, h },
	{ API_GET, "/api/projects/new", API_OPERATOR, KEY_NONE, h },
	{ API_GET, "/api/projects/:id", API_OPERATOR, KEY_NONE, h },
	{ API_PUT, "/api/projects/:id", API_OPERATOR, KEY_NONE, h },
	{ API_DELETE, "/api/projects/:id", API_OPERATOR, KEY_NONE, h },
	{ API_DELETE, "/api/projects/:id/members/:user_id", API_OPERATOR,
	    KEY_NONE, h },
};
#define NTABLE (unsigned)(sizeof table / sizeof table[0])

static const struct api_route *
find(enum api_method m, const char *path, struct api_params *ps,
    unsigned *allow)
{
	return (api_route_find(table, NTABLE, m, path, ps, allow));
}

static void
test_find(void)
{
	struct api_params ps;
	unsigned allow;

	CHECK(find(API_GET, "/metrics", &ps, &allow) == &table[0]);
	CHECK_INT_EQ(ps.n, 0);
	CHECK(find(API_POST, "/api/v1/jobs", &ps, &allow) == &table[2]);

	/* A known path, another method: what it has, for Allow. */
	CHECK(find(API_PUT, "/api/v1/jobs", &ps, &allow) == NULL);
	CHECK_INT_EQ(allow, API_GET | API_POST);
	CHECK(find(API_POST, "/api/projects/7", &ps, &allow) == NULL);
	CHECK_INT_EQ(allow, API_GET | API_PUT | API_DELETE);
	CHECK(find((enum api_method)0, "/metrics", &ps, &allow) == NULL);
	CHECK_INT_EQ(allow, API_GET);

	/* Unknown paths: nothing at all. */
	CHECK(find(API_GET, "/nope", &ps, &allow) == NULL);
	CHECK_INT_EQ(allow, 0);
	CHECK(find(API_GET, "/metrics/", &ps, &allow) == NULL);
	CHECK_INT_EQ(allow, 0);
	CHECK(find(API_GET, "/api/v1/jobs/", &ps, &allow) == NULL);
	CHECK(find(API_GET, "/api/v1", &ps, &allow) == NULL);
	CHECK(find(API_GET, "/api/projects/", &ps, &allow) == NULL);
	CHECK_INT_EQ(allow, 0);
	CHECK(find(API_GET, "/api/projects//members/3", &ps, &allow) == NULL);
	CHECK(find(API_GET, "", &ps, &allow) == NULL);
	CHECK(find(API_GET, "metrics", &ps, &allow) == NULL);

	/* Parameters, by name, pointing into the path. */
	CHECK(find(API_GET, "/api/projects/new", &ps, &allow) == &table[3]);
	CHECK(find(API_GET, "/api/projects/42", &ps, &allow) == &table[4]);
	CHECK_INT_EQ(ps.n, 1);
	CHECK_INT_EQ(ps.p[0].namelen, 2);
	CHECK(!strncmp(ps.p[0].name, "id", 2));
	CHECK_INT_EQ(ps.p[0].vallen, 2);
	CHECK(!strncmp(ps.p[0].val, "42", 2));
	CHECK(find(API_DELETE, "/api/projects/42/members/abc", &ps, &allow) ==
	    &table[7]);
	CHECK_INT_EQ(ps.n, 2);
	CHECK(!strncmp(ps.p[1].name, "user_id", ps.p[1].namelen));
	CHECK_INT_EQ(ps.p[1].vallen, 3);
	CHECK(!strncmp(ps.p[1].val, "abc", 3));
}

static void
test_pattern(void)
{
	const char *why;

	CHECK_INT_EQ(api_pattern_check("/", &why), 0);
	CHECK_INT_EQ(api_pattern_check("/a/:id/b/:c", &why), 0);
	CHECK_INT_EQ(api_pattern_check("a", &why), -1);
	CHECK_INT_EQ(api_pattern_check("", &why), -1);
	CHECK_INT_EQ(api_pattern_check("/a//b", &why), -1);
	CHECK_INT_EQ(api_pattern_check("/a/:/b", &why), -1);
	CHECK_INT_EQ(api_pattern_check("/:a/:b/:c/:d/:e/:f/:g/:h", &why), 0);
	CHECK_INT_EQ(api_pattern_check("/:a/:b/:c/:d/:e/:f/:g/:h/:i", &why),
	    -1);
}

static void
test_allow(void)
{
	char buf[64];

	CHECK_INT_EQ(api_allow(API_GET, buf, sizeof buf), 9);
	CHECK_STR_EQ(buf, "GET, HEAD");
	api_allow(API_POST, buf, sizeof buf);
	CHECK_STR_EQ(buf, "POST");
	api_allow(API_DELETE | API_GET | API_PUT, buf, sizeof buf);
	CHECK_STR_EQ(buf, "GET, HEAD, PUT, DELETE");
	api_allow(0, buf, sizeof buf);
	CHECK_STR_EQ(buf, "");
}

static void
test_int(void)
{
	int64_t n = -7;

	CHECK_INT_EQ(api_int("42", 1, 100, &n), 0);
	CHECK_INT_EQ(n, 42);
	CHECK_INT_EQ(api_int("9223372036854775807", 1, INT64_MAX, &n), 0);
	CHECK_INT_EQ(n, INT64_MAX);
	n = -7;
	CHECK_INT_EQ(api_int("9223372036854775808", 1, INT64_MAX, &n), -1);
	CHECK_INT_EQ(api_int("0", 1, 100, &n), -1);
	CHECK_INT_EQ(api_int("101", 1, 100, &n), -1);
	CHECK_INT_EQ(api_int("-1", 1, 100, &n), -1);
	CHECK_INT_EQ(api_int("", 1, 100, &n), -1);
	CHECK_INT_EQ(api_int("x", 1, 100, &n), -1);
	CHECK_INT_EQ(api_int("5x", 1, 100, &n), -1);
	CHECK_INT_EQ(api_int(NULL, 1, 100, &n), -1);
	/* Nothing written on failure. */
	CHECK_INT_EQ(n, -7);
}

int
main(void)
{
	test_find();
	test_pattern();
	test_allow();
	test_int();
	return (unit_done());
}
