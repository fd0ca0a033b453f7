/*
 * An agent's batch as the control plane reads it (POST
 * /api/agent/v1/batches): the body as the server parses one (an
 * agent's may be big), then every row of every kind checked
 * (api/api_agent_batch.c).  A batch taken hands the store JSON arrays
 * of exactly the rows sent, and its results a PostgreSQL array literal
 * a column, each element the value sent (NULL where none was).
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "api/api_agent_batch.h"
#include "api/api_body.h"
#include "api/http_api.h"

#include "fuzz/fuzz.h"

static void
rows(const char *json, json_t *sent)
{
	json_error_t je;
	json_t *a;

	AN(json);
	a = json_loads(json, 0, &je);
	AN(a);
	AN(json_is_array(a));
	if (sent != NULL)
		AN(json_equal(a, sent));
	else
		AZ(json_array_size(a));
	json_decref(a);
}

/* The results' fields in the order of enum ags_result_col. */
static const char *const result_fields[AGS_RESULT_COLS] = { "key", "job", "url",
	"variant", "node", "status", "load_ms", "ttfb_ms", "cache_status",
	"outcome", "reason", "ttl", "recorded_at", "headers" };

/*
 * The next element of an array literal at *pp: a quoted one unquoted
 * into buf (1), NULL (0), or a bare one, a number, into buf (2).
 */
static int
element(const char **pp, char *buf, size_t len)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\')
				p++;
			AN(*p);
			assert(n + 1 < len);
			buf[n++] = *p;
		}
		buf[n] = '\0';
		*pp = p + 1;
		return (1);
	}
	n = strcspn(p, ",}");
	assert(n > 0 && n < len);
	memcpy(buf, p, n);
	buf[n] = '\0';
	*pp = p + n;
	if (!strcmp(buf, "NULL"))
		return (0);
	AZ(strpbrk(buf, "\"\\{ "));
	return (2);
}

/* One column of the results, against the rows sent. */
static void
column(const char *lit, json_t *sent, const char *field)
{
	json_error_t je;
	json_t *row, *v, *h;
	const char *p = lit;
	char *buf;
	size_t i, len = strlen(lit) + 1;
	int k;

	AN(lit);
	buf = malloc(len);
	AN(buf);
	assert(*p++ == '{');
	json_array_foreach(sent, i, row)
	{
		if (i > 0)
			assert(*p++ == ',');
		k = element(&p, buf, len);
		v = json_object_get(row, field);
		if (v == NULL || json_is_null(v)) {
			AZ(k);
		} else if (json_is_string(v)) {
			assert(k == 1);
			AZ(strcmp(buf, json_string_value(v)));
		} else if (json_is_integer(v)) {
			assert(k == 2);
			assert(strtod(buf, NULL) == json_number_value(v));
		} else if (json_is_number(v)) {
			assert(k == 2);
			assert(strtod(buf, NULL) == json_real_value(v));
		} else {
			/* The headers, JSON in a quoted element. */
			assert(k == 1);
			h = json_loads(buf, 0, &je);
			AN(h);
			AN(json_equal(h, v));
			json_decref(h);
		}
	}
	assert(*p++ == '}');
	AZ(*p);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_batch_in in;
	struct api_input_err e;
	json_t *body;
	unsigned u;

	if (size == 0)
		return (0);
	if (api_body_parse(data, size, 0, API_MAX_AGENT_BODY, &body, &e) != 0)
		return (0);
	if (agent_batch_read(body, &in, &e) == 0) {
		AN(in.bt.key);
		assert(strlen(in.bt.key) > 0 && strlen(in.bt.key) <= 200);
		assert(in.bt.sent_at >= 0 && in.bt.sent_at <= AGENT_TIME_MAX);
		rows(in.bt.jobs, json_object_get(body, "jobs"));
		rows(in.bt.invalidations,
		    json_object_get(body, "invalidations"));
		for (u = 0; u < AGS_RESULT_COLS; u++)
			column(in.bt.results[u],
			    json_object_get(body, "results"), result_fields[u]);
		rows(in.bt.traffic, json_object_get(body, "traffic"));
		rows(in.bt.tasks, json_object_get(body, "tasks"));
		rows(in.bt.popular, json_object_get(body, "popular"));
		rows(in.bt.searches, json_object_get(body, "searches"));
		assert(in.bt.npopular ==
		    json_array_size(json_object_get(body, "popular")) +
		        json_array_size(json_object_get(body, "searches")));
		agent_batch_clear(&in);
	} else {
		assert(e.status == 400 || e.status == 422);
		AN(e.code);
		assert(e.message[0] != '\0');
	}
	json_decref(body);
	return (0);
}
