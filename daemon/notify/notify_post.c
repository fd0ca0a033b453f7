/*
 * What every HTTP kind's post has: JSON, the event's name, and the
 * idempotency key twice (Stoke-Delivery, and Idempotency-Key as the
 * IETF draft names it), so that a receiver drops a delivery it has seen
 * whichever it reads.  And the kinds, by name.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "notify.h"

static const struct notify_kind *const notify_kinds[] = {
	&notify_webhook,
	&notify_slack,
	&notify_teams,
	&notify_email,
};

const struct notify_kind *
notify_kind_of(const char *name)
{
	size_t i;

	AN(name);
	for (i = 0; i < sizeof notify_kinds / sizeof notify_kinds[0]; i++) {
		CHECK_OBJ_NOTNULL(notify_kinds[i], NOTIFY_KIND_MAGIC);
		if (!strcmp(notify_kinds[i]->name, name))
			return (notify_kinds[i]);
	}
	return (NULL);
}

void
notify_post_header(struct notify_post *p, const char *name, const char *fmt,
    ...)
{
	va_list ap;
	char *h;
	int n;

	CHECK_OBJ_NOTNULL(p, NOTIFY_POST_MAGIC);
	assert(p->nhdr < NOTIFY_HDRS_MAX);
	h = p->hdr[p->nhdr++];
	n = snprintf(h, NOTIFY_HDR_LEN, "%s: ", name);
	assert(n > 0 && n < NOTIFY_HDR_LEN);
	va_start(ap, fmt);
	(void)vsnprintf(h + n, NOTIFY_HDR_LEN - (size_t)n, fmt, ap);
	va_end(ap);
	/* A value is one line, whatever it was made of. */
	h[strcspn(h, "\r\n")] = '\0';
}

void
notify_post_init(struct notify_post *p, const struct notify_event *e)
{
	AN(p);
	CHECK_OBJ_NOTNULL(e, NOTIFY_EVENT_MAGIC);
	INIT_OBJ(p, NOTIFY_POST_MAGIC);
	notify_post_header(p, "Content-Type", "application/json");
	notify_post_header(p, "Stoke-Event", "%s", e->event);
	notify_post_header(p, "Stoke-Delivery", "%s", e->key);
	notify_post_header(p, "Idempotency-Key", "%s", e->key);
}

void
notify_post_json(struct notify_post *p, json_t *body)
{
	CHECK_OBJ_NOTNULL(p, NOTIFY_POST_MAGIC);
	AN(body);
	AZ(p->body);
	p->body = json_dumps(body, JSON_COMPACT);
	AN(p->body);
	json_decref(body);
}

void
notify_post_fini(struct notify_post *p)
{
	CHECK_OBJ_NOTNULL(p, NOTIFY_POST_MAGIC);
	free(p->body);
	memset(p, 0, sizeof *p);
}
