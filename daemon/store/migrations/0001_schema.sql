-- Stoke's model: who owns what (users, projects, API keys, plans), what
-- is warmed (websites), what was done (cache jobs, warm tasks, page
-- results) and why (invalidation events).
--
-- Every tenant-visible row hangs off a project, directly or through a
-- website, so that every query a tenant runs can be bound to its
-- project.  Migrations run in one transaction each; see migrate.c.

CREATE TABLE plans (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE,
	max_websites integer NOT NULL CHECK (max_websites >= 0),
	max_urls_per_job integer NOT NULL CHECK (max_urls_per_job >= 0),
	max_warms_per_day bigint NOT NULL CHECK (max_warms_per_day >= 0),
	result_retention interval NOT NULL DEFAULT '30 days'
);

INSERT INTO plans (name, max_websites, max_urls_per_job, max_warms_per_day,
    result_retention)
VALUES ('free', 1, 1000, 10000, '7 days'),
       ('pro', 20, 100000, 2000000, '30 days'),
       ('unlimited', 2147483647, 2147483647, 9223372036854775807,
        '90 days');

CREATE TABLE users (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email text NOT NULL,
	-- A salted hash (crypt(3) format); NULL: no password login.
	password_hash text,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Projects are the tenants.
CREATE TABLE projects (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	plan_id bigint NOT NULL REFERENCES plans (id),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_plan ON projects (plan_id);

CREATE TYPE member_role AS ENUM ('owner', 'admin', 'viewer');

CREATE TABLE project_members (
	project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role member_role NOT NULL DEFAULT 'viewer',
	PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

-- Only a hash of a key is kept; the prefix lets a tenant tell keys apart.
CREATE TABLE api_keys (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	name text NOT NULL DEFAULT '',
	prefix text NOT NULL,
	key_hash bytea NOT NULL UNIQUE,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz,
	revoked_at timestamptz
);
CREATE INDEX api_keys_project ON api_keys (project_id);

CREATE TYPE cache_type AS ENUM ('varnish', 'shopware');

CREATE TABLE websites (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	name text NOT NULL DEFAULT '',
	base_url text NOT NULL CHECK (base_url ~ '^https?://'),
	sitemap_url text CHECK (sitemap_url ~ '^https?://'),
	cache_type cache_type NOT NULL DEFAULT 'varnish',
	-- Warming settings: fetches in flight, requests per second (NULL:
	-- only the adaptive limit), a cron schedule for sitemap jobs.
	concurrency integer NOT NULL DEFAULT 8
	    CHECK (concurrency BETWEEN 1 AND 256),
	rate_limit double precision CHECK (rate_limit > 0),
	schedule text,
	-- The variants to warm for sitemap jobs: an array of objects, each
	-- the declared inputs of one variant ({"currency": "EUR"}).
	variants jsonb NOT NULL DEFAULT '[]'
	    CHECK (jsonb_typeof(variants) = 'array'),
	-- The Varnish nodes to warm through: http://ADDR:PORT each.
	varnish_nodes text[] NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (project_id, base_url)
);
CREATE INDEX websites_project ON websites (project_id);

CREATE TYPE job_status AS ENUM
    ('queued', 'running', 'done', 'failed', 'cancelled');
CREATE TYPE job_trigger AS ENUM
    ('manual', 'schedule', 'purge', 'ban', 'tag', 'expiry');

CREATE TABLE cache_jobs (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	status job_status NOT NULL DEFAULT 'queued',
	trigger job_trigger NOT NULL,
	-- What started it: a sitemap URL, a ban expression, a tag list.
	source text,
	created_at timestamptz NOT NULL DEFAULT now(),
	started_at timestamptz,
	finished_at timestamptz,
	urls_total integer NOT NULL DEFAULT 0 CHECK (urls_total >= 0),
	urls_completed integer NOT NULL DEFAULT 0
	    CHECK (urls_completed >= 0),
	urls_failed integer NOT NULL DEFAULT 0 CHECK (urls_failed >= 0),
	error text,
	CHECK (urls_completed + urls_failed <= urls_total)
);
CREATE INDEX cache_jobs_website ON cache_jobs (website_id, created_at DESC);
CREATE INDEX cache_jobs_active ON cache_jobs (status)
    WHERE status IN ('queued', 'running');

-- The durable queue.  A task is claimed by one worker at a time with a
-- lease; a lease that runs out (its worker died) makes the task
-- claimable again.  Only the lease holder can finish a task, so a task
-- is counted once however many workers saw it.
CREATE TYPE task_state AS ENUM ('queued', 'leased', 'done', 'failed');

CREATE TABLE warm_tasks (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job_id bigint NOT NULL REFERENCES cache_jobs (id) ON DELETE CASCADE,
	url text NOT NULL,
	-- The variant's inputs, as the index writes them; '' is the plain one.
	variant text NOT NULL DEFAULT '',
	priority double precision NOT NULL DEFAULT 0,
	state task_state NOT NULL DEFAULT 'queued',
	attempts integer NOT NULL DEFAULT 0,
	lease_owner text,
	lease_until timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	UNIQUE (job_id, url, variant),
	CHECK ((state = 'leased') = (lease_until IS NOT NULL))
);
CREATE INDEX warm_tasks_ready ON warm_tasks (priority DESC, id)
    WHERE state = 'queued';
CREATE INDEX warm_tasks_leased ON warm_tasks (lease_until)
    WHERE state = 'leased';

-- What one warm request found.  Rows are many and short-lived: retention
-- deletes them in batches by recorded_at (see the plan's
-- result_retention).  No foreign key to warm_tasks, whose rows may go
-- first.
CREATE TYPE warm_outcome AS ENUM
    ('cached', 'fresh', 'uncacheable', 'origin_error', 'timeout', 'failed');

CREATE TABLE page_results (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job_id bigint NOT NULL REFERENCES cache_jobs (id) ON DELETE CASCADE,
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	task_id bigint,
	url text NOT NULL,
	variant text NOT NULL DEFAULT '',
	node text,
	status integer,
	load_ms real,
	ttfb_ms real,
	-- Varnish's view: hit, miss, pass, synth...
	cache_status text,
	outcome warm_outcome NOT NULL,
	reason text,
	ttl real,
	-- Cache-Control, Age, Set-Cookie present, X-Varnish...
	headers jsonb,
	recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX page_results_job ON page_results (job_id, id);
CREATE INDEX page_results_website ON page_results (website_id,
    recorded_at DESC);
CREATE INDEX page_results_recorded ON page_results (recorded_at);

CREATE TYPE invalidation_kind AS ENUM ('purge', 'ban', 'tag');

CREATE TABLE invalidation_events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	kind invalidation_kind NOT NULL,
	soft boolean NOT NULL DEFAULT false,
	node text,
	-- The URL purged, the ban expression, the tag list.
	subject text NOT NULL,
	objects_dropped integer NOT NULL DEFAULT 0,
	objects_queued integer NOT NULL DEFAULT 0,
	job_id bigint REFERENCES cache_jobs (id) ON DELETE SET NULL,
	occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invalidation_events_website ON invalidation_events
    (website_id, occurred_at DESC);
CREATE INDEX invalidation_events_job ON invalidation_events (job_id);

-- Warm requests a project made per day, for its plan's quota.
CREATE TABLE usage_daily (
	project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	day date NOT NULL,
	warms bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (project_id, day)
);
