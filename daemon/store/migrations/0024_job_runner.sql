-- Who runs a job that lives in a process's memory: stoked run's sitemap
-- jobs and re-warms.  Their rows are written as the job goes; a stoked
-- run killed (SIGKILL, a crash, the machine lost) never writes their
-- end, and its next start warms anew rather than resuming them.  The
-- runner names the stoked run (its host and the varnishd instances it
-- watches, as cmd_run.c makes it), so that at start-up it finds the
-- jobs an earlier run of itself left queued or running and says they
-- failed.  NULL for jobs of the durable queue (stoked serve, workers,
-- agents), which outlive any process.
ALTER TABLE cache_jobs ADD COLUMN runner text;
CREATE INDEX cache_jobs_runner_active ON cache_jobs (runner)
    WHERE runner IS NOT NULL AND status IN ('queued', 'running');
