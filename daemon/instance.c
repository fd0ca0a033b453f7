/*
 * An instance wires VSL reader → observer → event sink for one varnishd.
 */

#include "config.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "events.h"
#include "http_api.h"
#include "instance.h"
#include "observer.h"
#include "vsl_reader.h"

struct instance {
	unsigned magic;
#define INSTANCE_MAGIC 0x1a5f7c02
	char *name;
	struct vsl_reader *reader;
	struct observer *observer;
};

#define CHECK_INST(i) assert((i) != NULL && (i)->magic == INSTANCE_MAGIC)

static void
sink(void *priv, const struct event_rec *ev)
{
	struct instance *inst = priv;

	CHECK_INST(inst);
	(void)ev;
}

static void
metrics(void *priv, struct evbuffer *b)
{
	const struct instance *inst = priv;
	const struct vsl_reader_stats *rs;
	const struct observer_stats *os;
	const char *n;
	unsigned t;

	CHECK_INST(inst);
	n = inst->name;
	rs = vsl_reader_stats(inst->reader);
	os = observer_stats(inst->observer);
	evbuffer_add_printf(b,
	    "stoke_vsl_attached{instance=\"%s\"} %u\n"
	    "stoke_vsl_groups_total{instance=\"%s\"} %" PRIu64 "\n"
	    "stoke_vsl_transactions_total{instance=\"%s\"} %" PRIu64 "\n"
	    "stoke_vsl_overruns_total{instance=\"%s\"} %" PRIu64 "\n"
	    "stoke_vsl_abandons_total{instance=\"%s\"} %" PRIu64 "\n"
	    "stoke_vsl_reconnects_total{instance=\"%s\"} %" PRIu64 "\n"
	    "stoke_vsl_transactions_dropped_total{instance=\"%s\"} %" PRIu64
	    "\n"
	    "stoke_records_bad_total{instance=\"%s\"} %" PRIu64 "\n",
	    n, rs->attached, n, rs->groups, n, os->txns, n, rs->overruns, n,
	    rs->abandons, n, rs->reconnects, n, os->txns_dropped, n,
	    os->bad_records);
	for (t = 0; t < EV__MAX; t++)
		evbuffer_add_printf(b,
		    "stoke_events_total{instance=\"%s\",type=\"%s\"} %" PRIu64
		    "\n",
		    n, ev_type_name[t], os->events[t]);
}

struct instance *
instance_new(struct event_base *eb, const char *name)
{
	struct instance *inst;

	inst = calloc(1, sizeof *inst);
	assert(inst != NULL);
	inst->magic = INSTANCE_MAGIC;
	inst->name = strdup(name != NULL ? name : "default");
	assert(inst->name != NULL);
	inst->observer = observer_new(sink, inst);
	inst->reader = vsl_reader_new(eb, name, observer_group, inst->observer);
	return (inst);
}

void
instance_free(struct instance **ip)
{
	struct instance *inst;

	assert(ip != NULL);
	inst = *ip;
	*ip = NULL;
	if (inst == NULL)
		return;
	CHECK_INST(inst);
	vsl_reader_free(&inst->reader);
	observer_free(&inst->observer);
	free(inst->name);
	inst->magic = 0;
	free(inst);
}

const char *
instance_name(const struct instance *inst)
{
	CHECK_INST(inst);
	return (inst->name);
}

void
instance_register(struct instance *inst, struct http_api *api)
{
	CHECK_INST(inst);
	http_api_metrics(api, metrics, inst);
}
