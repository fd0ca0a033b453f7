-- An agent's jobs (its re-warms, its sitemap warms) live in its memory
-- as stoked run's do, and a killed agent never writes their end either.
-- Their runner is 'agent:' and the agent's id (agent_store.c): the
-- hello of the agent's next run says the jobs an earlier run left open
-- failed.  Only the jobs of the durable queue (stoked serve's, warmed
-- by workers or by agents' claims) have none: they outlive any process.
COMMENT ON COLUMN cache_jobs.runner IS
    'stoked run''s name for itself, or agent:ID; NULL for the durable queue''s jobs';
