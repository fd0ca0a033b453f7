-- The plans' limits, held where the work is taken: a concurrency per
-- project, and the warm requests of a UTC day, both counted when a
-- worker or an agent claims tasks; what a plan refuses is said with
-- the limit and what was used.
--
-- A task is reckoned in warm requests (task_warms()): a worker's makes
-- one through each of its website's Varnish nodes (one straight to the
-- URL without), an agent's one on its own node, a sitemap task none.
-- The rollup trigger counts what was made, one a result, in usage_daily
-- (0016_analytics_hists.sql); a task is either leased (reckoned here)
-- or done with its results counted there, in one commit
-- (task_queue.c's completion), so a claim that reads both in one
-- snapshot, under its project's lock, counts nothing twice and misses
-- nothing.

-- Warm requests in flight for a project at once, over all its websites;
-- a website's own concurrency is at most its plan's.
ALTER TABLE plans ADD COLUMN max_concurrency integer NOT NULL DEFAULT 8
    CHECK (max_concurrency >= 1);
UPDATE plans SET max_concurrency = CASE name
    WHEN 'free' THEN 8 WHEN 'pro' THEN 64
    WHEN 'unlimited' THEN 2147483647 ELSE 8 END;

UPDATE websites w SET concurrency = pl.max_concurrency
    FROM projects p JOIN plans pl ON pl.id = p.plan_id
    WHERE p.id = w.project_id AND w.concurrency > pl.max_concurrency;

-- What a plan refused, for the API's error: {"quota", "limit", "used",
-- "plan"}, and for a day's warms "retry_after", the seconds until the
-- next UTC day.
CREATE FUNCTION plan_refusal(quota text, lim bigint, used bigint,
    plan text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('quota', quota, 'limit', lim, 'used', used,
	    'plan', plan) || CASE WHEN quota = 'warms_per_day' THEN
	    jsonb_build_object('retry_after', ceil(extract(epoch FROM
	        (date_trunc('day', now(), 'UTC') + interval '1 day') - now()))
	        ::bigint)
	    ELSE '{}' END
$$;

-- A project's websites and concurrency, held when changes race: the
-- count as 0012_plan_limits.sql made it, now saying the numbers.
CREATE OR REPLACE FUNCTION websites_within_plan() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	most integer;
	plan text;
	n bigint;
BEGIN
	SELECT pl.max_websites, pl.name INTO most, plan
	    FROM projects p JOIN plans pl ON pl.id = p.plan_id
	    WHERE p.id = NEW.project_id
	    FOR NO KEY UPDATE OF p;
	SELECT count(*) INTO n FROM websites
	    WHERE project_id = NEW.project_id;
	IF n >= most THEN
		RAISE EXCEPTION 'project % has % website(s), its plan''s most',
		    NEW.project_id, most
		    USING ERRCODE = 'SK001',
		    DETAIL = plan_refusal('websites', most, n, plan)::text;
	END IF;
	RETURN NEW;
END
$$;

CREATE FUNCTION websites_concurrency_within_plan() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	most integer;
	plan text;
BEGIN
	SELECT pl.max_concurrency, pl.name INTO most, plan
	    FROM projects p JOIN plans pl ON pl.id = p.plan_id
	    WHERE p.id = NEW.project_id;
	IF NEW.concurrency > most THEN
		RAISE EXCEPTION 'a concurrency of % is over the plan''s %',
		    NEW.concurrency, most
		    USING ERRCODE = 'SK001',
		    DETAIL = plan_refusal('concurrency', most,
		        NEW.concurrency, plan)::text;
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER websites_plan_concurrency
    BEFORE INSERT OR UPDATE OF concurrency ON websites
    FOR EACH ROW EXECUTE FUNCTION websites_concurrency_within_plan();

-- A project's claims take turns on its row here (not the project's,
-- which every change of the project would then wait for).  waiting:
-- the last claim held tasks back, so completions wake the workers;
-- spent_day: the UTC day whose warms ran out, as a claim found it.
CREATE TABLE project_quota (
	project_id bigint PRIMARY KEY
	    REFERENCES projects (id) ON DELETE CASCADE,
	waiting boolean NOT NULL DEFAULT false,
	spent_day date
);
INSERT INTO project_quota (project_id) SELECT id FROM projects;

CREATE FUNCTION project_quota_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO project_quota (project_id) VALUES (NEW.id);
	RETURN NULL;
END
$$;

CREATE TRIGGER projects_quota_row AFTER INSERT ON projects
    FOR EACH ROW EXECUTE FUNCTION project_quota_row();

CREATE FUNCTION task_warms(kind task_kind, agent bigint, nodes text[])
RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN kind = 'sitemap' THEN 0
	    WHEN agent IS NOT NULL THEN 1
	    ELSE greatest(cardinality(nodes), 1) END
$$;

-- The leases that run, by project: each partial index of warm_tasks
-- serves its half (0015_agent_tasks.sql).
CREATE VIEW leased_warms AS
	SELECT w.project_id, task_warms(t.kind, t.agent_id, w.varnish_nodes)
	    AS warms
	FROM warm_tasks t JOIN cache_jobs j ON j.id = t.job_id
	    JOIN websites w ON w.id = j.website_id
	WHERE t.state = 'leased' AND t.agent_id IS NULL
	  AND t.lease_until >= now()
	UNION ALL
	SELECT w.project_id, 1
	FROM warm_tasks t JOIN cache_jobs j ON j.id = t.job_id
	    JOIN websites w ON w.id = j.website_id
	WHERE t.agent_id IS NOT NULL AND t.state = 'leased'
	  AND t.lease_until >= now();

-- A project's warm requests of today: made (usage_daily) and still to
-- make (its open jobs' tasks, queued or leased), against its plan.
CREATE FUNCTION project_warms(project bigint,
    OUT lim bigint, OUT used bigint, OUT pending bigint, OUT plan text)
LANGUAGE sql STABLE AS $$
	SELECT pl.max_warms_per_day,
	    coalesce((SELECT u.warms FROM usage_daily u
	        WHERE u.project_id = p.id
	          AND u.day = (now() AT TIME ZONE 'UTC')::date), 0),
	    coalesce((SELECT sum(task_warms(t.kind, t.agent_id,
	        w.varnish_nodes))
	        FROM websites w JOIN cache_jobs j ON j.website_id = w.id
	          AND j.status IN ('queued', 'running')
	        JOIN warm_tasks t ON t.job_id = j.id
	          AND t.state IN ('queued', 'leased')
	        WHERE w.project_id = p.id), 0),
	    pl.name
	FROM projects p JOIN plans pl ON pl.id = p.plan_id
	WHERE p.id = project
$$;

-- How many of n URLs a new job of website may queue today, each warmed
-- in nvariant variants by targets (warm_targets()): all of them, or
-- what is left of the day's warms.
CREATE FUNCTION job_urls_today(website bigint, n integer, nvariant integer,
    targets bigint[]) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN c.per_url = 0 THEN n
	    ELSE least(n, greatest(0, (q.lim - q.used - q.pending)
	        / c.per_url))::integer END
	FROM websites w
	    CROSS JOIN LATERAL project_warms(w.project_id) q
	    CROSS JOIN LATERAL (SELECT nvariant::bigint * coalesce(sum(
	        task_warms('warm', a, w.varnish_nodes)), 0) AS per_url
	        FROM unnest(targets) a) c
	WHERE w.id = website
$$;

-- What a job cut to the day's warms says in its notes.
CREATE FUNCTION job_cut_note(website bigint, kept integer, n integer)
RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT format('cut to %s of %s URLs: the %s plan allows %s warm '
	    'requests a day, and %s of today''s are made or queued',
	    kept, n, q.plan, q.lim, q.used + q.pending)
	FROM websites w CROSS JOIN LATERAL project_warms(w.project_id) q
	WHERE w.id = website
$$;

-- The projects whose warms of today are spent: a claim found them so
-- (spent_day), and they still are (a bigger plan since lets them on).
CREATE FUNCTION quota_spent(today date) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
	SELECT coalesce(array_agg(q.project_id), '{}')
	FROM project_quota q
	JOIN projects p ON p.id = q.project_id
	JOIN plans pl ON pl.id = p.plan_id
	JOIN usage_daily u ON u.project_id = q.project_id AND u.day = today
	WHERE q.spent_day = today AND u.warms >= pl.max_warms_per_day
$$;

-- The projects not to claim for now: out of warms today, or with their
-- leases at the plan's concurrency or the day's warms.  Read without
-- locks: what it lets through is counted again under them.
CREATE FUNCTION quota_blocked(today date) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
	SELECT quota_spent(today) || coalesce(array_agg(l.project_id), '{}')
	FROM (SELECT project_id, sum(warms) AS s FROM leased_warms
	    GROUP BY 1) l
	JOIN projects p ON p.id = l.project_id
	JOIN plans pl ON pl.id = p.plan_id
	LEFT JOIN usage_daily u ON u.project_id = l.project_id
	    AND u.day = today
	WHERE l.s >= pl.max_concurrency
	   OR coalesce(u.warms, 0) + l.s >= pl.max_warms_per_day
$$;

-- The agents to tell to claim again, with a job of theirs: those of the
-- projects whose claims held tasks back, that have tasks queued.  A
-- completion's statement asks (task_queue.c's, an agent's batch), as
-- it frees a slot; the workers it wakes with a NOTIFY.
CREATE FUNCTION quota_waiting_agents(projects bigint[],
    OUT agent bigint, OUT job bigint) RETURNS SETOF record
LANGUAGE sql STABLE AS $$
	SELECT DISTINCT ON (g.id) g.id, t.job_id
	FROM project_quota q
	JOIN websites w ON w.project_id = q.project_id
	JOIN agents g ON g.website_id = w.id AND g.revoked_at IS NULL
	JOIN warm_tasks t ON t.agent_id = g.id AND t.state = 'queued'
	WHERE q.project_id = ANY(projects) AND q.waiting
	ORDER BY g.id, t.job_id
$$;

-- Claim up to most tasks, leased to owner for lease seconds: the
-- workers' (agent NULL; none of held, which the worker still holds) or
-- one agent's.  Leases that ran out first, then the queued, most urgent
-- first, as long as each project's plan allows: its leases, each
-- reckoned in warm requests, at most its concurrency (one task at
-- least, whatever it costs: a website of more nodes than that is still
-- warmed), and with today's warms at most the day's.  A sitemap task
-- costs nothing.  The projects' rows of project_quota are locked in
-- order first, and the count made after, in a snapshot of its own:
-- claims of a project take turns, each seeing what the one before
-- leased.  Tasks held back wait in the queue: for a slot (the claim
-- says so in waiting, as it does of a project it did not even look at
-- for its leases, and a completion wakes the workers and the agents),
-- or for the next UTC day.
CREATE FUNCTION claim_tasks(owner text, lease float8, most integer,
    held bigint[], agent bigint)
RETURNS TABLE (id bigint, job_id bigint, url text, variant text,
    attempts integer, kind task_kind, lease_until timestamptz, crawl jsonb,
    variants text[])
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
	today date := (now() AT TIME ZONE 'UTC')::date;
	blocked bigint[];
	cand bigint[];
	chosen bigint[];
BEGIN
	blocked := quota_blocked(today);
	-- Whoever claims for them next waits for a completion to wake it.
	-- A row another claim holds is that claim's to mark.
	UPDATE project_quota SET waiting = true WHERE project_id IN (
	    SELECT q.project_id FROM project_quota q
	    WHERE q.project_id = ANY(blocked) AND NOT q.waiting
	    FOR NO KEY UPDATE SKIP LOCKED);
	IF agent IS NULL THEN
		cand := ARRAY(SELECT t.id FROM warm_tasks t
		    JOIN cache_jobs j ON j.id = t.job_id
		    JOIN websites w ON w.id = j.website_id
		    WHERE t.state = 'leased' AND t.lease_until < now()
		      AND t.agent_id IS NULL AND t.id <> ALL(held)
		      AND (t.kind = 'sitemap' OR w.project_id <> ALL(blocked))
		    ORDER BY t.lease_until LIMIT most
		    FOR UPDATE OF t SKIP LOCKED);
		cand := cand || ARRAY(SELECT t.id FROM warm_tasks t
		    JOIN cache_jobs j ON j.id = t.job_id
		    JOIN websites w ON w.id = j.website_id
		    WHERE t.state = 'queued' AND t.agent_id IS NULL
		      AND t.id <> ALL(held)
		      AND (t.kind = 'sitemap' OR w.project_id <> ALL(blocked))
		    ORDER BY t.priority DESC, t.id
		    LIMIT most - cardinality(cand)
		    FOR UPDATE OF t SKIP LOCKED);
	ELSE
		cand := ARRAY(SELECT t.id FROM warm_tasks t
		    JOIN cache_jobs j ON j.id = t.job_id
		    JOIN websites w ON w.id = j.website_id
		    WHERE t.agent_id = agent
		      AND (t.state = 'queued'
		        OR (t.state = 'leased' AND t.lease_until < now()))
		      AND w.project_id <> ALL(blocked)
		    ORDER BY t.priority DESC, t.id LIMIT most
		    FOR UPDATE OF t SKIP LOCKED);
	END IF;
	IF cardinality(cand) = 0 THEN
		RETURN;
	END IF;

	PERFORM 1 FROM project_quota q WHERE q.project_id IN (
	    SELECT w.project_id FROM warm_tasks t
	    JOIN cache_jobs j ON j.id = t.job_id
	    JOIN websites w ON w.id = j.website_id
	    WHERE t.id = ANY(cand))
	ORDER BY q.project_id FOR NO KEY UPDATE;

	WITH c AS (
		SELECT x.id, x.o, w.project_id,
		    task_warms(t.kind, t.agent_id, w.varnish_nodes) AS cost
		FROM unnest(cand) WITH ORDINALITY AS x(id, o)
		JOIN warm_tasks t ON t.id = x.id
		JOIN cache_jobs j ON j.id = t.job_id
		JOIN websites w ON w.id = j.website_id
	), l AS (
		SELECT project_id, sum(warms) AS s FROM leased_warms
		WHERE project_id IN (SELECT project_id FROM c) GROUP BY 1
	), a AS (
		SELECT p.id AS project_id, coalesce(l.s, 0) AS leased,
		    pl.max_concurrency - coalesce(l.s, 0) AS conc_left,
		    pl.max_warms_per_day - coalesce(u.warms, 0) AS day_left,
		    pl.max_warms_per_day - coalesce(u.warms, 0)
		        - coalesce(l.s, 0) AS warms_left
		FROM projects p JOIN plans pl ON pl.id = p.plan_id
		LEFT JOIN l ON l.project_id = p.id
		LEFT JOIN usage_daily u ON u.project_id = p.id
		    AND u.day = today
		WHERE p.id IN (SELECT project_id FROM c)
	), r AS (
		SELECT c.*, sum(c.cost) OVER w AS rs,
		    row_number() OVER w AS rn
		FROM c WINDOW w AS (PARTITION BY c.project_id ORDER BY c.o)
	), v AS (
		SELECT r.id, r.project_id, r.cost = 0
		    OR ((r.rs <= a.conc_left OR (r.rn = 1 AND a.leased = 0))
		      AND r.rs <= a.warms_left) AS ok
		FROM r JOIN a ON a.project_id = r.project_id
	), k AS (
		UPDATE project_quota q SET
		    waiting = EXISTS (SELECT 1 FROM v
		        WHERE v.project_id = q.project_id AND NOT v.ok),
		    spent_day = CASE WHEN a.day_left <= 0 THEN today
		        ELSE q.spent_day END
		FROM a WHERE q.project_id = a.project_id
	)
	SELECT array_agg(v.id) INTO chosen FROM v WHERE v.ok;

	RETURN QUERY WITH t AS (
		UPDATE warm_tasks w SET state = 'leased', lease_owner = owner,
		    lease_until = now() + lease * interval '1 second',
		    attempts = w.attempts + 1
		WHERE w.id = ANY(coalesce(chosen, '{}'))
		RETURNING w.id, w.job_id, w.url, w.variant, w.attempts,
		    w.kind, w.lease_until, w.crawl, w.variants
	), s AS (
		UPDATE cache_jobs j SET status = 'running',
		    started_at = coalesce(j.started_at, now())
		WHERE j.id IN (SELECT t.job_id FROM t) AND j.status = 'queued'
	)
	SELECT t.id, t.job_id, t.url, t.variant, t.attempts, t.kind,
	    t.lease_until, t.crawl, t.variants FROM t
	    ORDER BY array_position(cand, t.id);
END
$$;
