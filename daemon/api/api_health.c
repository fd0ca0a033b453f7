/*
 * /healthz and /readyz.  Liveness says nothing of the database, so that
 * an orchestrator does not restart every replica when PostgreSQL goes
 * away; readiness does, so that a load balancer sends requests only
 * where they can be served.
 */

#include "config.h"

#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "store/pg_pool.h"
#include "store/schema_check.h"
#include "api_health.h"
#include "api_tenant.h"

void
api_healthz_get(struct api_req *r, void *priv)
{
	(void)priv;
	http_api_reply(r, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

static void
api_readyz_checked(void *priv, int version, int want, const char *err)
{
	struct api_req *r = api_req_cast(priv);

	if (err != NULL)
		http_api_error(r, 503, "database_unreachable", NULL,
		    "the database does not answer");
	else if (version != want)
		http_api_error(r, 503, "schema_mismatch", NULL,
		    "the database's schema is version %d, this stoked needs "
		    "%d: run stoked migrate",
		    version, want);
	else
		http_api_reply(r, 200,
		    json_pack("{s:s,s:i}", "status", "ready", "schema",
		        version),
		    NULL);
}

void
api_readyz_get(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct pg_pool_stats ps;
	const char *err;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	/*
	 * Not a connection up yet: said at once.  A tenant's request would
	 * wait for the first one (pg_pool_ask()); a probe is told now, within
	 * its own timeout.
	 */
	pg_pool_stats(t->pool, &ps);
	if (ps.connected == 0) {
		http_api_error(r, 503, "database_unreachable", NULL,
		    "no connection to the database is up");
		return;
	}
	if (schema_check(t->pool, api_readyz_checked, r, &err) != 0)
		http_api_error(r, 503, "database_unreachable", NULL, "%s", err);
}
