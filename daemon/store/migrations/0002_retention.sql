-- Retention of page results: each project's plan says how long its
-- results are kept (plans.result_retention).  The daemon calls
-- prune_page_results(batch) again and again until it returns 0, so that
-- no single call holds its row locks for long or bloats one transaction.

CREATE FUNCTION prune_page_results(batch integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	-- Nothing recorded since now() - the shortest retention can be due:
	-- a bound the page_results_recorded index can scan up to.
	horizon timestamptz;
	deleted bigint;
BEGIN
	IF batch IS NULL OR batch < 1 THEN
		RAISE EXCEPTION 'prune_page_results: batch must be at least 1';
	END IF;
	SELECT now() - min(result_retention) INTO horizon FROM plans;
	IF horizon IS NULL THEN
		RETURN 0;
	END IF;
	-- Oldest first along the index; rows another pruner holds are
	-- skipped rather than waited for.
	WITH due AS (
		SELECT r.id
		FROM page_results r
		JOIN websites w ON w.id = r.website_id
		JOIN projects p ON p.id = w.project_id
		JOIN plans pl ON pl.id = p.plan_id
		WHERE r.recorded_at < horizon
		  AND r.recorded_at < now() - pl.result_retention
		ORDER BY r.recorded_at
		LIMIT batch
		FOR UPDATE OF r SKIP LOCKED
	)
	DELETE FROM page_results r USING due WHERE r.id = due.id;
	GET DIAGNOSTICS deleted = ROW_COUNT;
	RETURN deleted;
END
$$;
