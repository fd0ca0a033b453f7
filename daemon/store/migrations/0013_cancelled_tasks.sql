-- A cancelled job's queued tasks go, whenever they were queued.  The
-- statement that cancels deletes them in its own snapshot, taken before
-- it could wait for a batch of tasks being queued at the same moment:
-- that batch would be left queued for a job that is over.  The batches
-- insert only while the job is open, with the job's row share-locked
-- (task_queue.c), and this deletes in a snapshot of its own, after
-- any batch that held the lock has committed.
CREATE FUNCTION cache_jobs_cancelled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM warm_tasks WHERE job_id = NEW.id AND state = 'queued';
	RETURN NULL;
END
$$;

CREATE TRIGGER cache_jobs_drop_tasks
    AFTER UPDATE OF status ON cache_jobs
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status <> 'cancelled')
    EXECUTE FUNCTION cache_jobs_cancelled();
