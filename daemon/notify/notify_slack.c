/*
 * Slack's incoming webhook: {"text", "blocks"}, as Slack documents its
 * messages (api.slack.com/messaging/webhooks, Block Kit): the text is
 * what notifications and old clients show; the blocks are a header, the
 * lines, the facts as fields (ten at most) and a button to the
 * dashboard.  Slack's mrkdwn gives &, < and > meanings of their own:
 * they are escaped as its documentation says.
 */

#include "config.h"

#include <sys/types.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vsb.h"

#include "notify.h"

/* Slack's limits: a header's text, a section's, a field's. */
#define NS_HEADER_MAX 150
#define NS_SECTION_MAX 3000
#define NS_FIELDS_MAX 10

static void
ns_escape(struct vsb *vsb, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			VSB_cat(vsb, "&amp;");
		else if (*s == '<')
			VSB_cat(vsb, "&lt;");
		else if (*s == '>')
			VSB_cat(vsb, "&gt;");
		else
			VSB_putc(vsb, *s);
	}
}

/* Text of at most max bytes, cut on a character's start. */
static json_t *
ns_text(const char *type, const char *s, size_t max)
{
	size_t l = strlen(s);

	if (l > max) {
		l = max;
		while (l > 0 && ((unsigned char)s[l] & 0xc0) == 0x80)
			l--;
	}
	return (json_pack("{ss ss%}", "type", type, "text", s, l));
}

static json_t *
ns_section(const struct notify_text *t)
{
	struct vsb *vsb;
	json_t *b;
	unsigned u;

	vsb = VSB_new_auto();
	AN(vsb);
	for (u = 0; u < t->nline; u++) {
		ns_escape(vsb, t->line[u]);
		VSB_putc(vsb, '\n');
	}
	if (t->nline == 0)
		ns_escape(vsb, t->title);
	AZ(VSB_finish(vsb));
	b = json_pack("{ssso}", "type", "section", "text",
	    ns_text("mrkdwn", VSB_data(vsb), NS_SECTION_MAX));
	VSB_destroy(&vsb);
	return (b);
}

static json_t *
ns_fields(const struct notify_text *t)
{
	struct vsb *vsb;
	json_t *f;
	unsigned u;

	f = json_array();
	AN(f);
	for (u = 0; u < t->nfact && u < NS_FIELDS_MAX; u++) {
		vsb = VSB_new_auto();
		AN(vsb);
		VSB_putc(vsb, '*');
		ns_escape(vsb, t->fact_name[u]);
		VSB_cat(vsb, "*\n");
		ns_escape(vsb, t->fact_value[u]);
		AZ(VSB_finish(vsb));
		AZ(json_array_append_new(f,
		    ns_text("mrkdwn", VSB_data(vsb), 2000)));
		VSB_destroy(&vsb);
	}
	return (json_pack("{ssso}", "type", "section", "fields", f));
}

static void
ns_post(const struct notify_event *e, const struct notify_text *t, double now,
    struct notify_post *p)
{
	json_t *blocks;

	(void)now;
	CHECK_OBJ_NOTNULL(e, NOTIFY_EVENT_MAGIC);
	CHECK_OBJ_NOTNULL(t, NOTIFY_TEXT_MAGIC);
	blocks = json_array();
	AN(blocks);
	AZ(json_array_append_new(blocks,
	    json_pack("{ssso}", "type", "header", "text",
	        ns_text("plain_text", t->title, NS_HEADER_MAX))));
	AZ(json_array_append_new(blocks, ns_section(t)));
	if (t->nfact > 0)
		AZ(json_array_append_new(blocks, ns_fields(t)));
	if (t->link != NULL)
		AZ(json_array_append_new(blocks,
		    json_pack("{ss s[{ss so ss}]}", "type", "actions",
		        "elements", "type", "button", "text",
		        ns_text("plain_text", "Open in Stoke", 75), "url",
		        t->link)));
	notify_post_json(p,
	    json_pack("{ssso}", "text", t->title, "blocks", blocks));
}

const struct notify_kind notify_slack = {
	.magic = NOTIFY_KIND_MAGIC,
	.name = "slack",
	.post = ns_post,
};
