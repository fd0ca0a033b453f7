-- What the tenants' event streams follow (event_store.c): a job's
-- progress and results, a website's invalidations, NOTIFYed on one
-- channel whoever writes them (a worker's completions, stoked run's
-- results, an agent's invalidations, psql), so that each replica of
-- stoked serve hears every change on its one LISTEN.  A payload names
-- ids, not rows; PostgreSQL sends identical ones of a transaction once:
--
--	'j WEBSITE JOB'	the job changed, or has new results
--	'i WEBSITE'	the website has new invalidation events
--
-- A stream reads the rows after the last id it sent, so a row must not
-- become visible after one of a higher id: a job's results take their
-- ids under the job's row lock (task_queue.c tq_complete), held to the
-- commit; invalidations, which any writer may insert, take theirs under
-- the lock below, also held to the commit.

CREATE FUNCTION stoke_notify_job() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('stoke_events',
	    'j ' || NEW.website_id || ' ' || NEW.id);
	RETURN NULL;
END
$$;

CREATE TRIGGER cache_jobs_notify_insert AFTER INSERT ON cache_jobs
    FOR EACH ROW EXECUTE FUNCTION stoke_notify_job();
CREATE TRIGGER cache_jobs_notify_update AFTER UPDATE ON cache_jobs
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION stoke_notify_job();

CREATE FUNCTION stoke_notify_results() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('stoke_events', 'j ' || n.website_id || ' ' ||
	    n.job_id)
	FROM (SELECT DISTINCT website_id, job_id FROM new_rows) n;
	RETURN NULL;
END
$$;

CREATE TRIGGER page_results_notify AFTER INSERT ON page_results
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoke_notify_results();

-- Before the statement's rows take their ids: 's' and "invl".
CREATE FUNCTION stoke_invalidations_in_order() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(115, 1768846956);
	RETURN NULL;
END
$$;

CREATE TRIGGER invalidation_events_in_order
    BEFORE INSERT ON invalidation_events
    FOR EACH STATEMENT EXECUTE FUNCTION stoke_invalidations_in_order();

CREATE FUNCTION stoke_notify_invalidations() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('stoke_events', 'i ' || n.website_id)
	FROM (SELECT DISTINCT website_id FROM new_rows) n;
	RETURN NULL;
END
$$;

CREATE TRIGGER invalidation_events_notify AFTER INSERT ON invalidation_events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoke_notify_invalidations();

-- A website's invalidations after an id, in order: served by
-- invalidation_events_website_id (0009_analytics.sql).
