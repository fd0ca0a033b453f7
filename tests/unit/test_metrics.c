/*
 * metrics: each metric printed once, in the table's order, under its
 * # HELP and # TYPE lines, with all its samples whichever order they
 * came in; label values escaped.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "core/metrics.h"
#include "unit.h"

static char *
scrape(const struct metrics *m)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *s;

	metrics_print(m, b);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return (s);
}

int
main(void)
{
	struct metrics *m = metrics_new();
	unsigned i, j;
	char *s;

	/* Two instances' samples interleaved, the later metric first. */
	metrics_u64(m, M_INDEX_OBJECTS, 7, "instance", "a", NULL);
	metrics_u64(m, M_VSL_ATTACHED, 1, "instance", "a", NULL);
	metrics_u64(m, M_INDEX_OBJECTS, 9, "instance", "b", NULL);
	metrics_u64(m, M_VSL_ATTACHED, 0, "instance", "b", NULL);
	metrics_dbl(m, M_REWARM_LATENCY, 0.25, "instance", "a", "quantile",
	    "0.5", NULL);
	metrics_sfx_u64(m, M_REWARM_LATENCY, "_count", 3, "instance", "a",
	    NULL);
	metrics_u64(m, M_DB_CONNECTED, 1, NULL);
	metrics_u64(m, M_ORIGIN_REQUESTS, 2, "origin", "a\"b\\c\nd", NULL);
	s = scrape(m);
	CHECK_STR_EQ(s,
	    "# HELP stoke_vsl_attached 1 while the instance's shared memory "
	    "log is attached, else 0\n"
	    "# TYPE stoke_vsl_attached gauge\n"
	    "stoke_vsl_attached{instance=\"a\"} 1\n"
	    "stoke_vsl_attached{instance=\"b\"} 0\n"
	    "# HELP stoke_index_objects Objects in the index\n"
	    "# TYPE stoke_index_objects gauge\n"
	    "stoke_index_objects{instance=\"a\"} 7\n"
	    "stoke_index_objects{instance=\"b\"} 9\n"
	    "# HELP stoke_rewarm_latency_seconds From the invalidation to the "
	    "object cached again, lately\n"
	    "# TYPE stoke_rewarm_latency_seconds summary\n"
	    "stoke_rewarm_latency_seconds{instance=\"a\",quantile=\"0.5\"} "
	    "0.250000\n"
	    "stoke_rewarm_latency_seconds_count{instance=\"a\"} 3\n"
	    "# HELP stoke_origin_requests_total Fetches sent to the origin\n"
	    "# TYPE stoke_origin_requests_total counter\n"
	    "stoke_origin_requests_total{origin=\"a\\\"b\\\\c\\nd\"} 2\n"
	    "# HELP stoke_db_connected 1 while the database takes writes, "
	    "else 0\n"
	    "# TYPE stoke_db_connected gauge\n"
	    "stoke_db_connected 1\n");
	free(s);
	metrics_free(&m);
	CHECK(m == NULL);

	/* Every row: a unique name, in stoke_'s namespace, with help. */
	for (i = 0; i < M__MAX; i++) {
		CHECK(strncmp(metrics_name(i), "stoke_", 6) == 0);
		for (j = i + 1; j < M__MAX; j++)
			CHECK(strcmp(metrics_name(i), metrics_name(j)) != 0);
	}

	/* A histogram: cumulative buckets, le last among the labels, a
	 * value on a bound counted in that bound's bucket. */
	{
		static const double le[] = { 0.01, 0.1, 1 };
		struct metrics_hist h;

		metrics_hist_init(&h, le, 3);
		metrics_hist_observe(&h, 0.005);
		metrics_hist_observe(&h, 0.1);
		metrics_hist_observe(&h, 0.5);
		metrics_hist_observe(&h, 7);
		CHECK(h.count == 4);
		m = metrics_new();
		metrics_hist(m, M_API_REQUEST_DURATION, &h, "route", "/a/:id",
		    NULL);
		s = scrape(m);
		CHECK_STR_EQ(s,
		    "# HELP stoke_api_request_duration_seconds From a "
		    "request's arrival to its answer, by route pattern and "
		    "method\n"
		    "# TYPE stoke_api_request_duration_seconds histogram\n"
		    "stoke_api_request_duration_seconds_bucket{route=\"/a/"
		    ":id\","
		    "le=\"0.01\"} 1\n"
		    "stoke_api_request_duration_seconds_bucket{route=\"/a/"
		    ":id\","
		    "le=\"0.1\"} 2\n"
		    "stoke_api_request_duration_seconds_bucket{route=\"/a/"
		    ":id\","
		    "le=\"1\"} 3\n"
		    "stoke_api_request_duration_seconds_bucket{route=\"/a/"
		    ":id\","
		    "le=\"+Inf\"} 4\n"
		    "stoke_api_request_duration_seconds_sum{route=\"/a/:id\"} "
		    "7.605000\n"
		    "stoke_api_request_duration_seconds_count{route=\"/a/"
		    ":id\"} "
		    "4\n");
		free(s);
		metrics_free(&m);

		/* No labels: le alone. */
		metrics_hist_init(&h, le, 1);
		m = metrics_new();
		metrics_hist(m, M_API_REQUEST_DURATION, &h, NULL);
		s = scrape(m);
		CHECK(strstr(s, "_bucket{le=\"0.01\"} 0\n") != NULL);
		CHECK(strstr(s, "_bucket{le=\"+Inf\"} 0\n") != NULL);
		CHECK(strstr(s, "_count 0\n") != NULL);
		free(s);
		metrics_free(&m);
	}

	/* Nothing added, nothing printed. */
	m = metrics_new();
	s = scrape(m);
	CHECK_STR_EQ(s, "");
	free(s);
	metrics_free(&m);
	return (unit_done());
}
