/*
 * One varnishd watched (cmd_instance.h).
 */

#include "config.h"

#include <stddef.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "api/http_api.h"
#include "node/instance.h"
#include "cmd_instance.h"
#include "cmd_opts.h"

struct instance *
cmd_instance_new(struct event_base *eb, struct http_api *api,
    const struct cmd_common *cc, const struct cmd_instance_conf *ic,
    struct rewarm_conf *rc)
{
	struct instance *inst;

	AN(eb);
	CHECK_OBJ_NOTNULL(cc, CMD_COMMON_MAGIC);
	AN(ic);
	AN(rc);
	memset(rc, 0, sizeof *rc);
	rc->node = ic->node;
	rc->key = cc->key;
	rc->keylen = cc->keylen;
	rc->concurrency = cc->concurrency;
	rc->refresh_before = ic->refresh_before;
	rc->refresh_popularity = ic->refresh_popularity;
	rc->guard = ic->guard;
	inst = instance_new(eb, ic->name, (size_t)ic->index_mb * 1024 * 1024,
	    ic->node != NULL ? rc : NULL);
	if (api != NULL)
		http_api_metrics(api, instance_metrics, inst);
	return (inst);
}
