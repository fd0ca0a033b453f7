/*
 * stoked events: print what stoked learns from a varnishd's log, one
 * event a line, as it happens.  For admins checking their VCL, and for
 * tests.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/loop.h"
#include "vsl/events.h"
#include "vsl/observer.h"
#include "vsl/vsl_reader.h"
#include "cmd.h"
#include "cmd_opts.h"

/* Where the events go. */
struct events_out {
	unsigned magic;
#define EVENTS_OUT_MAGIC 0x1e7a5c90
	FILE *f;
};

static void
print_event(void *priv, const struct event_rec *ev)
{
	struct events_out *out;
	FILE *f;

	CAST_OBJ_NOTNULL(out, priv, EVENTS_OUT_MAGIC);
	AN(ev);
	f = out->f;
	fprintf(f, "%s host=%s url=%s variant=%s", ev_type_name[ev->type],
	    ev->key.host != NULL ? ev->key.host : "",
	    ev->key.url != NULL ? ev->key.url : "",
	    ev->key.variant != NULL ? ev->key.variant : "");
	switch (ev->type) {
	case EV_HIT:
		fprintf(f, " obj=%u ttl=%.3f grace=%.0f keep=%.0f",
		    ev->u.hit.obj_vxid, ev->u.hit.ttl_left, ev->u.hit.grace,
		    ev->u.hit.keep);
		break;
	case EV_FETCH:
		fprintf(f,
		    " vxid=%u status=%u cacheable=%u bg=%u ttl=%.0f "
		    "grace=%.0f keep=%.0f size=%ju tags=%s",
		    ev->u.fetch.vxid, ev->u.fetch.status, ev->u.fetch.cacheable,
		    ev->u.fetch.background, ev->u.fetch.ttl, ev->u.fetch.grace,
		    ev->u.fetch.keep, (uintmax_t)ev->u.fetch.size,
		    ev->u.fetch.tags != NULL ? ev->u.fetch.tags : "");
		if (ev->u.fetch.warm_id != NULL)
			fprintf(f, " warm_id=%s", ev->u.fetch.warm_id);
		break;
	case EV_PURGE:
		fprintf(f, " soft=%u n=%ld", ev->u.purge.soft,
		    ev->u.purge.count);
		break;
	case EV_BAN:
		fprintf(f, " expr=%s", ev->u.ban.expr);
		break;
	case EV_TAGS:
		fprintf(f, " soft=%u n=%ld tags=%s", ev->u.tags.soft,
		    ev->u.tags.count, ev->u.tags.tags);
		break;
	case EV_ESI:
		fprintf(f, " child_url=%s", ev->u.esi.child.url);
		break;
	case EV_WARM:
		fprintf(f, " result=%s id=%s", ev->u.warm.result,
		    ev->u.warm.id);
		break;
	case EV_NUKE:
		fprintf(f, " obj=%u", ev->u.nuke.obj_vxid);
		break;
	default:
		break;
	}
	fputc('\n', f);
	fflush(f);
}

static const char events_synopsis[] = "[-n NAME]";

static const char events_about[] =
    "Prints, one a line, the events stoked reads from the log of\n"
    "varnishd -n NAME (the default instance when not given): for\n"
    "admins checking their VCL, and for tests.\n";

int
cmd_events(int argc, char **argv)
{
	const char *name = NULL;
	const struct cmd_opt opts[] = {
		{ "name", 'n', CO_STRING, "NAME", 0, 0, NULL,
		    "the varnishd whose log to read", &name, NULL },
		CMD_OPT_END,
	};
	struct event_base *eb;
	struct vsl_reader *vr;
	struct observer *obs;
	struct events_out out;
	int arg0;

	switch (cmd_opts_parse("events", events_synopsis, events_about, opts,
	    argc, argv, &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	if (arg0 != argc) {
		cmd_opts_usage(stderr, "events", events_synopsis, events_about,
		    opts);
		return (2);
	}
	eb = loop_new();
	if (eb == NULL) {
		fprintf(stderr, "stoked events: no event base\n");
		return (1);
	}
	INIT_OBJ(&out, EVENTS_OUT_MAGIC);
	out.f = stdout;
	obs = observer_new(print_event, &out);
	vr = vsl_reader_new(eb, name, observer_group, obs);
	if (loop_run(eb) != 0)
		fprintf(stderr, "stoked: the event loop failed\n");
	vsl_reader_free(&vr);
	observer_free(&obs);
	event_base_free(eb);
	return (0);
}
