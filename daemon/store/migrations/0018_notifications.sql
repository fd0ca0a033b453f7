-- Notifications: a project's channels (a signed webhook, Slack, Teams,
-- e-mail), the events each wants, and an outbox of what is owed to each.
--
-- An event is written to the outbox in the transaction of what caused
-- it: a job's end by a trigger on its row, an anomaly by the check that
-- saw it start or clear (notify_watch()), a test by the API's
-- statement.  One row per channel, whose idempotency key (the event's id
-- and the channel's, "job.finished/42:7") is unique, so that an event
-- written twice is owed once.  Deliverers (stoked worker, stoked run)
-- claim due rows with FOR UPDATE SKIP LOCKED and a lease, send them,
-- and mark them delivered, or due again later (notify_store.c): at least
-- once, each request carrying the key, for the receiver to drop what it
-- has seen.  Each insert is NOTIFYed on stoke_notify, so that an idle
-- deliverer sends at once.

CREATE TYPE channel_kind AS ENUM ('webhook', 'slack', 'teams', 'email');

CREATE TABLE notify_channels (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	kind channel_kind NOT NULL,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	-- Where an HTTP kind posts; e-mail has recipients instead.
	url text CHECK (url ~ '^https?://'),
	recipients text[] NOT NULL DEFAULT '{}',
	-- A webhook's signing secret, kept to sign with; shown once.
	secret text,
	events text[] NOT NULL CHECK (cardinality(events) > 0 AND events <@
	    ARRAY['job.finished', 'job.failed', 'anomaly.*',
	    'anomaly.hit_ratio', 'anomaly.visitor_hit_ratio',
	    'anomaly.origin_errors', 'anomaly.unreachable',
	    'anomaly.agent_silent', 'report.daily', 'report.weekly']),
	-- The anomalies' thresholds, where the defaults below will not do.
	settings jsonb NOT NULL DEFAULT '{}'
	    CHECK (jsonb_typeof(settings) = 'object'),
	enabled boolean NOT NULL DEFAULT true,
	created_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((kind = 'email') = (url IS NULL)),
	CHECK (kind <> 'email' OR cardinality(recipients) > 0),
	CHECK ((kind = 'webhook') = (secret IS NOT NULL))
);
CREATE INDEX notify_channels_project ON notify_channels (project_id);

CREATE TYPE delivery_status AS ENUM ('pending', 'delivered', 'failed');

CREATE TABLE notify_outbox (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	channel_id bigint NOT NULL REFERENCES notify_channels (id)
	    ON DELETE CASCADE,
	event text NOT NULL,
	event_id text NOT NULL,
	idempotency_key text NOT NULL UNIQUE,
	-- The event as the webhook's body has it; the other kinds'
	-- messages are written from it.
	payload jsonb NOT NULL,
	status delivery_status NOT NULL DEFAULT 'pending',
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	-- Claimed until then by a deliverer; a dead one's runs out.
	lease_until timestamptz,
	last_error text,
	last_status integer,
	created_at timestamptz NOT NULL DEFAULT now(),
	delivered_at timestamptz
);
CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX notify_outbox_project ON notify_outbox (project_id, id);
CREATE INDEX notify_outbox_channel ON notify_outbox (channel_id);
-- What notify_watch() forgets: deliveries ended a month ago.
CREATE INDEX notify_outbox_ended ON notify_outbox (created_at)
    WHERE status <> 'pending';

-- Whether a channel wants an event.
CREATE FUNCTION notify_wants(events text[], event text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT event = ANY (events)
	    OR (event LIKE 'anomaly.%' AND 'anomaly.*' = ANY (events))
$$;

-- An event owed to the project's channels that want it (channel NULL),
-- or to one channel; the event's own fields added to its payload.  The
-- rows written.
CREATE FUNCTION notify_enqueue(p_project bigint, p_channel bigint,
    p_event text, p_event_id text, p_payload jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	INSERT INTO notify_outbox (project_id, channel_id, event, event_id,
	    idempotency_key, payload)
	SELECT c.project_id, c.id, p_event, p_event_id,
	    p_event_id || ':' || c.id,
	    p_payload || jsonb_build_object('event', p_event, 'id', p_event_id,
	    'channel_id', c.id, 'occurred_at', now())
	FROM notify_channels c
	WHERE c.project_id = p_project AND c.enabled
	    AND (p_channel IS NULL AND notify_wants(c.events, p_event)
	      OR c.id = p_channel)
	ON CONFLICT (idempotency_key) DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		PERFORM pg_notify('stoke_notify', '');
	END IF;
	RETURN n;
END
$$;

-- What a website is, in an event.
CREATE FUNCTION notify_website(p_website bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'project', jsonb_build_object('id', p.id, 'name', p.name),
	    'website', jsonb_build_object('id', w.id, 'name', w.name,
	        'base_url', w.base_url))
	FROM websites w JOIN projects p ON p.id = w.project_id
	WHERE w.id = p_website
$$;

-- A job's end: job.finished (done) or job.failed, with its counts, how
-- long it took and the share of its answers Varnish had in cache.  The
-- results are summed only when a channel wants the event; they are in
-- by then (a job is stored as ended once its results are).
CREATE FUNCTION notify_job_ended() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	ev text := CASE NEW.status WHEN 'done' THEN 'job.finished'
	    ELSE 'job.failed' END;
	project bigint;
	r record;
BEGIN
	SELECT w.project_id INTO project FROM websites w
	    WHERE w.id = NEW.website_id;
	IF NOT EXISTS (SELECT 1 FROM notify_channels c
	    WHERE c.project_id = project AND c.enabled
	    AND notify_wants(c.events, ev)) THEN
		RETURN NULL;
	END IF;
	SELECT count(*) AS results,
	    count(*) FILTER (WHERE cache_status = 'hit') AS hits,
	    count(*) FILTER (WHERE coalesce(cache_status, '') <> '')
	        AS answered,
	    count(*) FILTER (WHERE outcome = 'cached') AS cached,
	    count(*) FILTER (WHERE outcome = 'fresh') AS fresh,
	    count(*) FILTER (WHERE outcome = 'uncacheable') AS uncacheable,
	    count(*) FILTER (WHERE outcome = 'origin_error') AS origin_error,
	    count(*) FILTER (WHERE outcome = 'timeout') AS timeout,
	    count(*) FILTER (WHERE outcome = 'failed') AS failed
	INTO r FROM page_results WHERE job_id = NEW.id;
	PERFORM notify_enqueue(project, NULL, ev, ev || '/' || NEW.id,
	    notify_website(NEW.website_id) || jsonb_build_object('job',
	    jsonb_build_object('id', NEW.id, 'status', NEW.status,
	    'trigger', NEW.trigger, 'urls_total', NEW.urls_total,
	    'urls_completed', NEW.urls_completed,
	    'urls_failed', NEW.urls_failed, 'error', NEW.error,
	    'started_at', NEW.started_at, 'finished_at', NEW.finished_at,
	    'duration_seconds', extract(epoch FROM coalesce(NEW.finished_at,
	        now()) - coalesce(NEW.started_at, NEW.created_at))::float8,
	    'results', r.results,
	    'hit_ratio', CASE WHEN r.answered > 0
	        THEN r.hits::float8 / r.answered END,
	    'outcomes', jsonb_build_object('cached', r.cached,
	        'fresh', r.fresh, 'uncacheable', r.uncacheable,
	        'origin_error', r.origin_error, 'timeout', r.timeout,
	        'failed', r.failed))));
	RETURN NULL;
END
$$;

CREATE TRIGGER cache_jobs_notify_ended AFTER UPDATE OF status ON cache_jobs
    FOR EACH ROW WHEN (NEW.status IN ('done', 'failed')
        AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION notify_job_ended();

-- Anomalies, each a channel's (its thresholds are its own): raised once
-- when its condition starts to hold, cleared once when it stops.  At
-- most one open anomaly of a kind and subject a channel.
CREATE TABLE notify_anomalies (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	channel_id bigint NOT NULL REFERENCES notify_channels (id)
	    ON DELETE CASCADE,
	kind text NOT NULL,
	-- "website:ID" or "agent:ID"
	subject text NOT NULL,
	website_id bigint REFERENCES websites (id) ON DELETE CASCADE,
	value double precision,
	threshold double precision,
	started_at timestamptz NOT NULL DEFAULT now(),
	cleared_at timestamptz
);
CREATE UNIQUE INDEX notify_anomalies_open ON notify_anomalies
    (channel_id, kind, subject) WHERE cleared_at IS NULL;

-- A channel's threshold: its setting, else the default.
CREATE FUNCTION notify_setting(settings jsonb, name text, dflt float8)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT coalesce((settings ->> name)::float8, dflt)
$$;

-- The conditions that hold now, for each channel that wants anomalies:
-- over the last hour of rollups (the hour now and the one before; at
-- least min_requests answers, so that a few do not make an alarm):
--	hit_ratio		warm answers Varnish had in cache, under
--				hit_ratio_below (0.5)
--	visitor_hit_ratio	the agents' visitors' hits, the same
--	origin_errors		origin errors and timeouts, a share of the
--				results over origin_error_share_above (0.2)
--	unreachable		the website's last ended job had results,
--				every one failing to connect
--	agent_silent		an agent unheard of for agent_silent_minutes
--				(15)
CREATE FUNCTION notify_conditions(p_at timestamptz)
RETURNS TABLE (channel_id bigint, project_id bigint, kind text,
    subject text, website_id bigint, value float8, threshold float8,
    detail jsonb)
LANGUAGE sql STABLE AS $$
	WITH c AS (
		SELECT c.*, notify_setting(c.settings, 'min_requests', 20)
		    AS min_n
		FROM notify_channels c
		WHERE c.enabled AND c.events && ARRAY['anomaly.*',
		    'anomaly.hit_ratio', 'anomaly.visitor_hit_ratio',
		    'anomaly.origin_errors', 'anomaly.unreachable',
		    'anomaly.agent_silent']
	), h AS (
		SELECT r.website_id, sum(r.hits) AS hits,
		    sum(r.answered) AS answered, sum(r.results) AS results,
		    sum(r.origin_error + r.timeout) AS errors
		FROM rollup_hours r
		WHERE r.hour >= date_trunc('hour', p_at - interval '1 hour', 'UTC')
		    AND r.hour <= p_at
		GROUP BY r.website_id
	), v AS (
		SELECT t.website_id, sum(t.hits) AS hits,
		    sum(t.hits + t.misses + t.passes) AS answered
		FROM visitor_traffic t
		WHERE t.hour >= date_trunc('hour', p_at - interval '1 hour', 'UTC')
		    AND t.hour <= p_at
		GROUP BY t.website_id
	), last_job AS (
		SELECT DISTINCT ON (j.website_id) j.website_id, j.id
		FROM cache_jobs j
		WHERE j.status IN ('done', 'failed')
		ORDER BY j.website_id, j.id DESC
	)
	SELECT c.id, c.project_id, 'hit_ratio', 'website:' || w.id, w.id,
	    h.hits::float8 / h.answered,
	    notify_setting(c.settings, 'hit_ratio_below', 0.5),
	    jsonb_build_object('answers', h.answered)
	FROM c JOIN websites w ON w.project_id = c.project_id
	JOIN h ON h.website_id = w.id
	WHERE notify_wants(c.events, 'anomaly.hit_ratio')
	    AND h.answered >= c.min_n
	    AND h.hits::float8 / h.answered
	        < notify_setting(c.settings, 'hit_ratio_below', 0.5)
	UNION ALL
	SELECT c.id, c.project_id, 'visitor_hit_ratio', 'website:' || w.id,
	    w.id, v.hits::float8 / v.answered,
	    notify_setting(c.settings, 'visitor_hit_ratio_below', 0.5),
	    jsonb_build_object('requests', v.answered)
	FROM c JOIN websites w ON w.project_id = c.project_id
	JOIN v ON v.website_id = w.id
	WHERE notify_wants(c.events, 'anomaly.visitor_hit_ratio')
	    AND v.answered >= c.min_n
	    AND v.hits::float8 / v.answered
	        < notify_setting(c.settings, 'visitor_hit_ratio_below', 0.5)
	UNION ALL
	SELECT c.id, c.project_id, 'origin_errors', 'website:' || w.id, w.id,
	    h.errors::float8 / h.results,
	    notify_setting(c.settings, 'origin_error_share_above', 0.2),
	    jsonb_build_object('results', h.results, 'errors', h.errors)
	FROM c JOIN websites w ON w.project_id = c.project_id
	JOIN h ON h.website_id = w.id
	WHERE notify_wants(c.events, 'anomaly.origin_errors')
	    AND h.results >= c.min_n
	    AND h.errors::float8 / h.results
	        > notify_setting(c.settings, 'origin_error_share_above', 0.2)
	UNION ALL
	SELECT c.id, c.project_id, 'unreachable', 'website:' || w.id, w.id,
	    NULL, NULL, jsonb_build_object('job_id', l.id)
	FROM c JOIN websites w ON w.project_id = c.project_id
	JOIN last_job l ON l.website_id = w.id
	WHERE notify_wants(c.events, 'anomaly.unreachable')
	    AND EXISTS (SELECT 1 FROM page_results r WHERE r.job_id = l.id)
	    AND NOT EXISTS (SELECT 1 FROM page_results r
	        WHERE r.job_id = l.id AND r.outcome <> 'failed')
	UNION ALL
	SELECT c.id, c.project_id, 'agent_silent', 'agent:' || a.id, w.id,
	    extract(epoch FROM p_at - a.last_seen_at) / 60,
	    notify_setting(c.settings, 'agent_silent_minutes', 15),
	    jsonb_build_object('agent', jsonb_build_object('id', a.id,
	        'name', a.name, 'last_seen_at', a.last_seen_at))
	FROM c JOIN websites w ON w.project_id = c.project_id
	JOIN agents a ON a.website_id = w.id AND a.revoked_at IS NULL
	WHERE notify_wants(c.events, 'anomaly.agent_silent')
	    AND a.last_seen_at IS NOT NULL
	    AND a.last_seen_at < p_at - make_interval(mins =>
	        notify_setting(c.settings, 'agent_silent_minutes', 15)::int)
$$;

-- One look at the anomalies, and the reports due (below), by one
-- deliverer at a time: another's look meanwhile returns -1 at once.
-- Anomalies that started are raised, those that stopped cleared, each
-- owed once to its channel.  Deliveries that ended, and anomalies that
-- cleared, a month ago are forgotten, a batch a look.  The events
-- written.
CREATE FUNCTION notify_watch(p_at timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n integer := 0;
	a notify_anomalies;
BEGIN
	IF NOT pg_try_advisory_xact_lock(115, 1852796025) THEN
		RETURN -1;
	END IF;
	p_at := coalesce(p_at, now());
	FOR a IN
		INSERT INTO notify_anomalies (channel_id, kind, subject,
		    website_id, value, threshold, started_at)
		SELECT k.channel_id, k.kind, k.subject, k.website_id,
		    k.value, k.threshold, p_at
		FROM notify_conditions(p_at) k
		WHERE NOT EXISTS (SELECT 1 FROM notify_anomalies o
		    WHERE o.channel_id = k.channel_id AND o.kind = k.kind
		    AND o.subject = k.subject AND o.cleared_at IS NULL)
		RETURNING *
	LOOP
		n := n + notify_anomaly_event(a, 'raised');
	END LOOP;
	FOR a IN
		UPDATE notify_anomalies o SET cleared_at = p_at
		WHERE o.cleared_at IS NULL AND NOT EXISTS (
		    SELECT 1 FROM notify_conditions(p_at) k
		    WHERE o.channel_id = k.channel_id AND o.kind = k.kind
		    AND o.subject = k.subject)
		RETURNING *
	LOOP
		n := n + notify_anomaly_event(a, 'cleared');
	END LOOP;
	DELETE FROM notify_outbox WHERE id IN (SELECT id FROM notify_outbox
	    WHERE status <> 'pending' AND created_at < p_at - interval '30 days'
	    LIMIT 1000);
	DELETE FROM notify_anomalies WHERE id IN (SELECT id
	    FROM notify_anomalies
	    WHERE cleared_at < p_at - interval '30 days' LIMIT 1000);
	RETURN n + notify_reports(p_at);
END
$$;

-- An anomaly's start or end, owed to its channel.
CREATE FUNCTION notify_anomaly_event(a notify_anomalies, state text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	project bigint;
	ev text := 'anomaly.' || a.kind;
BEGIN
	SELECT c.project_id INTO project FROM notify_channels c
	    WHERE c.id = a.channel_id;
	RETURN notify_enqueue(project, a.channel_id, ev,
	    ev || '/' || a.id || '/' || state,
	    coalesce(notify_website(a.website_id), '{}') ||
	    jsonb_build_object('anomaly', jsonb_build_object('id', a.id,
	    'kind', a.kind, 'state', state, 'subject', a.subject,
	    'value', a.value, 'threshold', a.threshold,
	    'started_at', a.started_at, 'cleared_at', a.cleared_at)));
END
$$;

-- The reports due at a time: the day before's (report.daily, after UTC
-- midnight) and the week before's (report.weekly, after Monday's), once
-- each to each channel that wants them: the key is the period's.  A
-- report sums the project's websites' jobs, hit ratio, slowest pages
-- and uncacheable URLs over the period, from the rollups.
CREATE FUNCTION notify_reports(p_at timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n integer := 0;
	c record;
	ev text;
	since timestamptz;
	upto timestamptz;
BEGIN
	FOR c IN
		SELECT ch.id, ch.project_id, r.event, r.period
		FROM notify_channels ch
		CROSS JOIN (VALUES ('report.daily', 'day'),
		    ('report.weekly', 'week')) r (event, period)
		WHERE ch.enabled AND r.event = ANY (ch.events)
	LOOP
		upto := date_trunc(c.period, p_at, 'UTC');
		since := upto - ('1 ' || c.period)::interval;
		ev := c.event || '/' || to_char(since AT TIME ZONE 'UTC',
		    'YYYY-MM-DD') || '/' || c.project_id;
		CONTINUE WHEN EXISTS (SELECT 1 FROM notify_outbox o
		    WHERE o.idempotency_key = ev || ':' || c.id);
		n := n + notify_enqueue(c.project_id, c.id, c.event, ev,
		    notify_report(c.project_id, since, upto));
	END LOOP;
	RETURN n;
END
$$;

CREATE FUNCTION notify_report(p_project bigint, p_since timestamptz,
    p_upto timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'project', (SELECT jsonb_build_object('id', p.id, 'name', p.name)
	        FROM projects p WHERE p.id = p_project),
	    'report', jsonb_build_object('since', p_since, 'until', p_upto,
	    'websites', coalesce((SELECT jsonb_agg(jsonb_build_object(
	        'id', w.id, 'name', w.name, 'base_url', w.base_url,
	        'jobs', (SELECT count(*) FROM cache_jobs j
	            WHERE j.website_id = w.id AND j.created_at >= p_since
	            AND j.created_at < p_upto),
	        'jobs_failed', (SELECT count(*) FROM cache_jobs j
	            WHERE j.website_id = w.id AND j.created_at >= p_since
	            AND j.created_at < p_upto AND j.status = 'failed'),
	        'warm_requests', h.results,
	        'hit_ratio', CASE WHEN h.answered > 0
	            THEN h.hits::float8 / h.answered END,
	        'slowest', coalesce((SELECT jsonb_agg(s ORDER BY s.load_ms
	            DESC) FROM (SELECT u.url, max(u.load_ms) AS load_ms
	            FROM rollup_slow_urls u WHERE u.website_id = w.id
	            AND u.hour >= p_since AND u.hour < p_upto
	            GROUP BY u.url ORDER BY 2 DESC LIMIT 5) s), '[]'),
	        'uncacheable', coalesce((SELECT jsonb_agg(s ORDER BY s.n
	            DESC) FROM (SELECT r.reason, r.n, (SELECT
	            (array_agg(DISTINCT e))[1:3] FROM rollup_uncacheable u,
	            unnest(u.examples) e WHERE u.website_id = w.id
	            AND u.reason = r.reason AND u.hour >= p_since
	            AND u.hour < p_upto) AS urls
	            FROM (SELECT u.reason, sum(u.n) AS n
	            FROM rollup_uncacheable u WHERE u.website_id = w.id
	            AND u.hour >= p_since AND u.hour < p_upto
	            GROUP BY u.reason ORDER BY 2 DESC LIMIT 5) r) s), '[]'))
	        ORDER BY w.id)
	    FROM websites w
	    LEFT JOIN LATERAL (SELECT sum(r.results) AS results,
	        sum(r.hits) AS hits, sum(r.answered) AS answered
	        FROM rollup_hours r WHERE r.website_id = w.id
	        AND r.hour >= p_since AND r.hour < p_upto) h ON true
	    WHERE w.project_id = p_project), '[]')))
$$;
