/*
 * An agent's batch as the control plane reads it (POST
 * /api/agent/v1/batches): the body as the server parses one (an
 * agent's may be big), then every row of every kind checked
 * (api/api_agent_batch.c).  A batch taken hands the store JSON arrays
 * of exactly the rows sent.
 */

#include "config.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_batch_in in;
	struct api_input_err e;
	json_t *body;

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
		rows(in.bt.results, json_object_get(body, "results"));
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
