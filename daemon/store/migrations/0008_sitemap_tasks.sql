-- A website's sitemap job through the tenants' API: the sitemap is read
-- by a worker, never in the API's request, so the job is queued as one
-- task of a kind of its own in warm_tasks, whose url is where to start
-- reading (a sitemap, or the site's root: its robots.txt, else
-- /sitemap.xml).  Being a row of the queue, it is claimed, leased,
-- renewed, given back and taken over as any task is, by the same
-- statements and indexes: a worker that dies while it reads leaves it
-- for another once the lease runs out.  Its worker ends it with one
-- statement (task_queue.c) that turns its URLs into warm tasks, one per
-- URL and variant, sets the job's urls_total and ends the sitemap task
-- together.  Its variant is a name no variant of the index can have
-- (variants are "name=value ..."), so that it never stands in the way
-- of the job's own task for the same URL, which UNIQUE (job_id, url,
-- variant) would refuse.

CREATE TYPE task_kind AS ENUM ('warm', 'sitemap');
ALTER TABLE warm_tasks ADD COLUMN kind task_kind NOT NULL DEFAULT 'warm';
-- A sitemap task's: the variants each of its URLs is warmed in, as the
-- index writes them ('' the plain one).
ALTER TABLE warm_tasks ADD COLUMN variants text[];
ALTER TABLE warm_tasks ADD CONSTRAINT warm_tasks_kind_variants
    CHECK ((kind = 'sitemap') = (variants IS NOT NULL));

-- What a job wants its owner to know besides an error: what a sitemap
-- held that was left out (other hosts, the plan's cap).
ALTER TABLE cache_jobs ADD COLUMN notes text;

-- A cancelled job's queued tasks go.  The cancelling statement deletes
-- those it sees; but a sitemap task ending at the same moment may
-- commit its warm tasks after that statement took its snapshot and
-- before it locked the job's row, and those it would not see.  This
-- runs once the row is locked, and each statement of a function takes a
-- snapshot of its own: it sees them.
CREATE FUNCTION cache_job_cancelled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM warm_tasks WHERE job_id = NEW.id AND state = 'queued';
	RETURN NULL;
END
$$;

CREATE TRIGGER cache_jobs_cancelled
    AFTER UPDATE OF status ON cache_jobs
    FOR EACH ROW WHEN (NEW.status = 'cancelled'
        AND OLD.status IS DISTINCT FROM 'cancelled')
    EXECUTE FUNCTION cache_job_cancelled();
