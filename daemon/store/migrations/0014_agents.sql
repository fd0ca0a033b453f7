-- stoked agent: a process beside a tenant's varnishd that reads its log,
-- re-warms its node, and reports to the control plane over HTTP
-- (api/api_agent_link.c has the protocol).  Its side here: the agents
-- of each website and their tokens, the batches each sent (so that one
-- sent again is stored once), the commands waiting for each, and the
-- visitors' traffic the agents count.

-- A website's agents.  Only a token's SHA-256 and its first characters
-- are kept (auth/api_key.h), as for API keys.  What an agent said of
-- itself (hello) and when it was last heard of are here too.  A revoked
-- agent stays, refused, until its website goes.
CREATE TABLE agents (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	prefix text NOT NULL,
	token_hash bytea NOT NULL UNIQUE,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz,
	version text,
	node text,
	run text,
	lag_seconds double precision,
	revoked_at timestamptz
);
CREATE INDEX agents_website ON agents (website_id) WHERE revoked_at IS NULL;

-- The batches stored, by the key their agent gave them: a batch sent
-- again (its answer was lost) is stored once.  Those days old are
-- forgotten by the ingest itself: an agent resends within minutes.
CREATE TABLE agent_batches (
	agent_id bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	batch text NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (agent_id, batch)
);
CREATE INDEX agent_batches_received ON agent_batches (agent_id, received_at);

-- What each agent is to do, in order: purges, settings, invalidations
-- broadcast from another node.  An agent's poll acknowledges what it
-- got before (its cursor), which is then deleted.  Each insert is
-- NOTIFYed, so that a poll held on any replica answers at once.
CREATE TABLE agent_commands (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	agent_id bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	kind text NOT NULL CHECK (kind IN ('purge', 'settings', 'invalidate')),
	body jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_commands_agent ON agent_commands (agent_id, id);

-- Real visitors' traffic as the agents' nodes saw it, by website, UTC
-- hour and Host: what Varnish answered from cache (hits), fetched
-- (misses), passed, and why what it could not cache was not, by reason.
-- No visitor is in it: counts only.
CREATE TABLE visitor_traffic (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	hour timestamptz NOT NULL,
	host text NOT NULL,
	hits bigint NOT NULL DEFAULT 0,
	misses bigint NOT NULL DEFAULT 0,
	passes bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (website_id, hour, host)
);

CREATE TABLE visitor_uncacheable (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	hour timestamptz NOT NULL,
	host text NOT NULL,
	reason text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (website_id, hour, host, reason)
);

-- A tag invalidation (or a purge) one node of the website saw is done
-- on its other nodes too, through their agents, when this is on.
ALTER TABLE websites ADD COLUMN broadcast_invalidations boolean NOT NULL
    DEFAULT false;
-- Counts the changes of what an agent applies (agent_website()): an
-- agent tells a settings command it has seen from one it has not.
ALTER TABLE websites ADD COLUMN settings_version bigint NOT NULL DEFAULT 1;

-- A website as its agents see it: what they warm with.
CREATE FUNCTION agent_website(w websites) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', w.id, 'base_url', w.base_url,
	    'concurrency', w.concurrency, 'rate_limit', w.rate_limit,
	    'variants', w.variants, 'variant_inputs', w.variant_inputs,
	    'broadcast_invalidations', w.broadcast_invalidations,
	    'version', w.settings_version)
$$;

CREATE FUNCTION agent_settings_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.settings_version := OLD.settings_version + 1;
	RETURN NEW;
END
$$;

CREATE TRIGGER websites_settings_version BEFORE UPDATE ON websites
    FOR EACH ROW WHEN ((OLD.base_url, OLD.concurrency, OLD.rate_limit,
        OLD.variants, OLD.variant_inputs, OLD.broadcast_invalidations)
        IS DISTINCT FROM (NEW.base_url, NEW.concurrency, NEW.rate_limit,
        NEW.variants, NEW.variant_inputs, NEW.broadcast_invalidations))
    EXECUTE FUNCTION agent_settings_version();

-- One settings command for each agent of the website, whoever changed
-- it (the API, psql).
CREATE FUNCTION agent_settings_commands() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO agent_commands (agent_id, kind, body)
	SELECT a.id, 'settings', jsonb_build_object('website',
	    agent_website(NEW))
	FROM agents a
	WHERE a.website_id = NEW.id AND a.revoked_at IS NULL
	ORDER BY a.id;
	RETURN NULL;
END
$$;

CREATE TRIGGER websites_settings_commands AFTER UPDATE ON websites
    FOR EACH ROW WHEN (OLD.settings_version <> NEW.settings_version)
    EXECUTE FUNCTION agent_settings_commands();

-- Wakes the polls of the agents that have new commands: the payload is
-- the agent's id.
CREATE FUNCTION agent_notify_commands() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('stoke_agents', n.agent_id::text)
	FROM (SELECT DISTINCT agent_id FROM new_rows) n;
	RETURN NULL;
END
$$;

CREATE TRIGGER agent_commands_notify AFTER INSERT ON agent_commands
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agent_notify_commands();
