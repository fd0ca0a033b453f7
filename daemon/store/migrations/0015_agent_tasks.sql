-- Warm tasks carried out by a website's agents (stoked agent), each on
-- its own node, from inside the tenant's network: a job of a website
-- with agents gets, beside or instead of the stoked workers' task, one
-- task per URL, variant and agent (api/api_agent_link.c, "tasks").
-- A task with an agent_id is that agent's alone: stoked workers never
-- claim it (their claim and outlook read only agent_id IS NULL, through
-- the partial indexes below); the agent claims it over the protocol and
-- reports it done in a batch, once, whichever of its claims did it.
ALTER TABLE warm_tasks ADD COLUMN agent_id bigint
    REFERENCES agents (id) ON DELETE CASCADE;
-- Sitemap tasks are read by a stoked worker, whatever the website has.
ALTER TABLE warm_tasks ADD CONSTRAINT warm_tasks_agent_warm
    CHECK (agent_id IS NULL OR kind = 'warm');

-- A URL in a variant once per job and per agent (0: the workers').
ALTER TABLE warm_tasks DROP CONSTRAINT warm_tasks_job_id_url_variant_key;
CREATE UNIQUE INDEX warm_tasks_once ON warm_tasks
    (job_id, url, variant, coalesce(agent_id, 0));

-- The workers' claim stays as fast as it was: their indexes hold only
-- their tasks.
DROP INDEX warm_tasks_ready;
CREATE INDEX warm_tasks_ready ON warm_tasks (priority DESC, id)
    WHERE state = 'queued' AND agent_id IS NULL;
DROP INDEX warm_tasks_leased;
CREATE INDEX warm_tasks_leased ON warm_tasks (lease_until)
    WHERE state = 'leased' AND agent_id IS NULL;
-- An agent's claim: its open tasks, queued or leased (a lease that ran
-- out is claimed again by the same agent).
CREATE INDEX warm_tasks_agent ON warm_tasks (agent_id, priority DESC, id)
    WHERE agent_id IS NOT NULL AND state IN ('queued', 'leased');

-- When the agent last claimed tasks: one that claims is one that warms
-- them (an older agent never claims, and a job given tasks it never
-- claims would never end).  An agent with room claims at least every
-- 30 s.
ALTER TABLE agents ADD COLUMN claimed_at timestamptz;

-- Who warms a job's URLs on a website: NULL for the stoked workers (as
-- before: through the website's varnish_nodes, or the URL itself), and
-- each agent that claimed tasks in the last two minutes, on its own
-- node.  The workers are left out when
-- agents are at work and the website has no varnish_nodes: the URL
-- itself would reach one of the agents' nodes, which its agent warms.
-- Without agents (with = false: a purge's re-warm, which each agent
-- does from its own node's log), the workers alone.  The agents' rows
-- are share-locked: an agent revoked meanwhile waits for the tasks to
-- be committed, and then agent_revoked() finds them; one revoked
-- before is not read.
CREATE FUNCTION warm_targets(website bigint, with_agents boolean)
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	a bigint[];
	nodes integer;
BEGIN
	IF with_agents THEN
		SELECT array_agg(id ORDER BY id) INTO a FROM (
			SELECT id FROM agents
			WHERE website_id = website AND revoked_at IS NULL
			  AND claimed_at > now() - interval '2 minutes'
			ORDER BY id FOR SHARE) x;
	END IF;
	SELECT cardinality(varnish_nodes) INTO nodes FROM websites
	WHERE id = website;
	IF a IS NULL THEN
		RETURN ARRAY[NULL::bigint];
	ELSIF coalesce(nodes, 0) > 0 THEN
		RETURN ARRAY[NULL::bigint] || a;
	END IF;
	RETURN a;
END
$$;

-- A revoked agent will never claim its tasks: those still open fail,
-- counted in their jobs, so that the jobs end.  Runs once the agent's
-- row is locked (see warm_targets()), in a snapshot of its own.
CREATE FUNCTION agent_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	WITH t AS (
		UPDATE warm_tasks SET state = 'failed', lease_until = NULL,
		    finished_at = now()
		WHERE agent_id = NEW.id AND state IN ('queued', 'leased')
		RETURNING job_id
	), n AS (
		SELECT job_id, count(*) AS n FROM t GROUP BY job_id
	)
	UPDATE cache_jobs j SET urls_failed = j.urls_failed + n.n,
	    status = CASE WHEN j.status IN ('queued', 'running') AND
	      j.urls_completed + j.urls_failed + n.n >= j.urls_total
	      THEN 'done'::job_status ELSE j.status END,
	    finished_at = CASE WHEN j.status IN ('queued', 'running') AND
	      j.urls_completed + j.urls_failed + n.n >= j.urls_total
	      THEN now() ELSE j.finished_at END
	FROM n WHERE j.id = n.job_id;
	RETURN NULL;
END
$$;

CREATE TRIGGER agents_revoked AFTER UPDATE OF revoked_at ON agents
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL)
    EXECUTE FUNCTION agent_revoked();

-- "tasks": an agent's poll is woken when tasks are queued for it, so
-- that it claims them at once (an older agent skips the kind).
ALTER TABLE agent_commands DROP CONSTRAINT agent_commands_kind_check;
ALTER TABLE agent_commands ADD CONSTRAINT agent_commands_kind_check
    CHECK (kind IN ('purge', 'settings', 'invalidate', 'tasks'));
