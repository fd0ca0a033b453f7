/*
 * What the statements about a website's agents share (agent_store.c,
 * and the overview's overview_store.c): an agent as the API lists it,
 * never its token nor its hash.  The SQL names the agent a.
 */

#ifndef STOKE_AGENT_STORE_PRIV_H
#define STOKE_AGENT_STORE_PRIV_H

#define AGS_FIELDS                                                             \
	"'id', a.id, 'website_id', a.website_id, 'name', a.name,"              \
	" 'prefix', a.prefix, 'created_at', a.created_at,"                     \
	" 'last_seen_at', a.last_seen_at, 'version', a.version,"               \
	" 'node', a.node, 'lag_seconds', a.lag_seconds"

#endif
