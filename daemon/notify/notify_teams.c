/*
 * Microsoft Teams' incoming webhook (a channel's Workflows webhook or
 * its older connector): a message with one attachment, an Adaptive
 * Card, in the shape Microsoft documents for them
 * ({"type": "message", "attachments": [{"contentType":
 * "application/vnd.microsoft.card.adaptive", "content": {...}}]}): the
 * title, the lines, the facts as a FactSet, and an action that opens
 * the dashboard.
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "notify.h"

#define NT_CARD_SCHEMA "http://adaptivecards.io/schemas/adaptive-card.json"

static const char *const nt_color[] = {
	[NT_INFO] = "Good",
	[NT_WARN] = "Warning",
	[NT_BAD] = "Attention",
};

static json_t *
nt_body(const struct notify_text *t)
{
	json_t *body, *facts;
	unsigned u;

	body = json_array();
	AN(body);
	AZ(json_array_append_new(body,
	    json_pack("{ss ss ss ss ss sb}", "type", "TextBlock", "size",
	        "Medium", "weight", "Bolder", "color", nt_color[t->tone],
	        "text", t->title, "wrap", 1)));
	for (u = 0; u < t->nline; u++)
		AZ(json_array_append_new(body,
		    json_pack("{ss ss sb}", "type", "TextBlock", "text",
		        t->line[u], "wrap", 1)));
	if (t->nfact == 0)
		return (body);
	facts = json_array();
	AN(facts);
	for (u = 0; u < t->nfact; u++)
		AZ(json_array_append_new(facts,
		    json_pack("{ss ss}", "title", t->fact_name[u], "value",
		        t->fact_value[u])));
	AZ(json_array_append_new(body,
	    json_pack("{ss so}", "type", "FactSet", "facts", facts)));
	return (body);
}

static void
nt_post(const struct notify_event *e, const struct notify_text *t, double now,
    struct notify_post *p)
{
	json_t *card;

	(void)now;
	CHECK_OBJ_NOTNULL(e, NOTIFY_EVENT_MAGIC);
	CHECK_OBJ_NOTNULL(t, NOTIFY_TEXT_MAGIC);
	card = json_pack("{ss ss ss so}", "$schema", NT_CARD_SCHEMA, "type",
	    "AdaptiveCard", "version", "1.4", "body", nt_body(t));
	AN(card);
	if (t->link != NULL)
		AZ(json_object_set_new(card, "actions",
		    json_pack("[{ss ss ss}]", "type", "Action.OpenUrl", "title",
		        "Open in Stoke", "url", t->link)));
	notify_post_json(p,
	    json_pack("{ss s[{ss sn so}]}", "type", "message", "attachments",
	        "contentType", "application/vnd.microsoft.card.adaptive",
	        "contentUrl", "content", card));
}

const struct notify_kind notify_teams = {
	.magic = NOTIFY_KIND_MAGIC,
	.name = "teams",
	.post = nt_post,
};
