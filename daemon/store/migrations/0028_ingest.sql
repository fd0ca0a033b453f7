-- Results stored faster (issue 11: one control plane stores its agents'
-- results, 50,000 a second).  Measured per result inserted 1,000 to a
-- statement, in the backend's CPU time: 31 us, of which the two
-- foreign keys' checks took 8 (one query each per row: a job's rows all
-- look up the same job), the rollups 8.5, the indexes 7.  Nothing a
-- user reads changes.
--
-- 1. page_results' foreign keys become one check per statement: the
--    statement's jobs locked FOR KEY SHARE, as the keys locked them
--    row by row, and every row's job found among its website's jobs
--    (stricter than before: a result of a job of another website is
--    refused).  Deleting a job deletes its results, as ON DELETE
--    CASCADE did; deleting a website deletes its jobs, so their
--    results.  A job's id or website never change while it has
--    results.  (TRUNCATE cache_jobs no longer takes page_results with
--    it: truncate both.)  Under READ COMMITTED, as every statement of Stoke runs:
--    a job deleted before the lock is not found, one deleted after it
--    waits for the insert's commit, then its cascade sees the rows.
--
-- 2. page_results_website goes: no statement reads results by website
--    and time (analytics read the rollups); it served the website's
--    cascade, which now goes through the jobs (page_results_job).
--
-- 3. The rollups (0016_analytics_hists.sql's function, redone here):
--    UTC hours and days by date_bin(), plain arithmetic, where
--    date_trunc(..., 'UTC') looked the zone up for each of a row's 13
--    calls (the same values: UTC has no offset, and its hours and days
--    start on the epoch's); the slowest URLs sorted only among the rows
--    that can still enter their hour's and day's 25 (those at least as
--    slow as the 25th there: the 25th's time only grows, so one read
--    from an older snapshot keeps a row it could drop, never the
--    reverse); a project's warms counted by website before the join.

ALTER TABLE page_results DROP CONSTRAINT page_results_job_id_fkey,
    DROP CONSTRAINT page_results_website_id_fkey;
DROP INDEX page_results_website;

CREATE FUNCTION page_results_of_jobs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	bad record;
BEGIN
	PERFORM 1 FROM cache_jobs j
	WHERE j.id IN (SELECT DISTINCT a.job_id FROM added a)
	ORDER BY j.id FOR KEY SHARE;
	SELECT a.job_id, a.website_id INTO bad
	FROM (SELECT DISTINCT b.job_id, b.website_id FROM added b) a
	WHERE NOT EXISTS (SELECT 1 FROM cache_jobs j
	    WHERE j.id = a.job_id AND j.website_id = a.website_id)
	LIMIT 1;
	IF FOUND THEN
		RAISE foreign_key_violation USING
		    MESSAGE = format('page_results: website %s has no job %s',
		        bad.website_id, bad.job_id),
		    TABLE = 'page_results', CONSTRAINT = 'page_results_job';
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER page_results_of_jobs AFTER INSERT ON page_results
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION page_results_of_jobs();
CREATE TRIGGER page_results_of_jobs_update AFTER UPDATE ON page_results
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION page_results_of_jobs();

CREATE FUNCTION cache_jobs_delete_results() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM page_results r USING gone g WHERE r.job_id = g.id;
	RETURN NULL;
END
$$;

CREATE TRIGGER cache_jobs_delete_results AFTER DELETE ON cache_jobs
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION cache_jobs_delete_results();

CREATE FUNCTION cache_jobs_keep_results() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM page_results r WHERE r.job_id = OLD.id) THEN
		RAISE foreign_key_violation USING
		    MESSAGE = format('cache_jobs: job %s has results', OLD.id),
		    TABLE = 'cache_jobs', CONSTRAINT = 'page_results_job';
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER cache_jobs_keep_results AFTER UPDATE OF id, website_id
    ON cache_jobs FOR EACH ROW
    WHEN (OLD.id <> NEW.id OR OLD.website_id <> NEW.website_id)
    EXECUTE FUNCTION cache_jobs_keep_results();

-- A time's UTC hour and day, as date_trunc(..., 'UTC') gives them.
CREATE FUNCTION rollup_hour(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT date_bin('1 hour', t, timestamptz '1970-01-01 00:00:00+00')
$$;

CREATE FUNCTION rollup_day(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT date_bin('1 day', t, timestamptz '1970-01-01 00:00:00+00')
$$;

CREATE OR REPLACE FUNCTION rollup_page_results() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	grp record;
	hist record;
BEGIN
	INSERT INTO rollup_hours AS h (website_id, hour, results, cached,
	    fresh, uncacheable, origin_error, timeout, failed, hits,
	    answered)
	SELECT a.website_id, rollup_hour(a.recorded_at),
	    count(*),
	    count(*) FILTER (WHERE a.outcome = 'cached'),
	    count(*) FILTER (WHERE a.outcome = 'fresh'),
	    count(*) FILTER (WHERE a.outcome = 'uncacheable'),
	    count(*) FILTER (WHERE a.outcome = 'origin_error'),
	    count(*) FILTER (WHERE a.outcome = 'timeout'),
	    count(*) FILTER (WHERE a.outcome = 'failed'),
	    count(*) FILTER (WHERE a.cache_status = 'hit'),
	    count(a.cache_status)
	FROM added a
	GROUP BY 1, 2
	ORDER BY 1, 2
	ON CONFLICT (website_id, hour) DO UPDATE SET
	    results = h.results + EXCLUDED.results,
	    cached = h.cached + EXCLUDED.cached,
	    fresh = h.fresh + EXCLUDED.fresh,
	    uncacheable = h.uncacheable + EXCLUDED.uncacheable,
	    origin_error = h.origin_error + EXCLUDED.origin_error,
	    timeout = h.timeout + EXCLUDED.timeout,
	    failed = h.failed + EXCLUDED.failed,
	    hits = h.hits + EXCLUDED.hits,
	    answered = h.answered + EXCLUDED.answered;

	INSERT INTO rollup_cache_status AS c (website_id, hour, cache_status,
	    n)
	SELECT a.website_id, rollup_hour(a.recorded_at),
	    coalesce(a.cache_status, ''), count(*)
	FROM added a
	GROUP BY 1, 2, 3
	ORDER BY 1, 2, 3
	ON CONFLICT (website_id, hour, cache_status) DO UPDATE SET
	    n = c.n + EXCLUDED.n;

	-- One histogram at a time, in key order: the upserts are planned
	-- once a session, where a statement that reads the transition table
	-- is planned at every call.
	FOR grp IN
	    SELECT x.website_id, x.hour, x.metric, array_agg(x.bin) AS bins,
	        array_agg(x.n) AS ns
	    FROM (
	        SELECT y.website_id, y.hour, y.metric, rollup_bin(y.ms) AS bin,
	            count(*) AS n
	        FROM (
	            SELECT a.website_id,
	                rollup_hour(a.recorded_at) AS hour,
	                1::smallint AS metric, a.ttfb_ms AS ms
	            FROM added a WHERE rollup_timed(a.ttfb_ms)
	            UNION ALL
	            SELECT a.website_id,
	                rollup_hour(a.recorded_at), 2::smallint,
	                a.load_ms
	            FROM added a WHERE rollup_timed(a.load_ms)
	            UNION ALL
	            SELECT a.website_id,
	                rollup_hour(a.recorded_at), 3::smallint,
	                (extract(epoch FROM a.recorded_at - j.created_at)
	                * 1000)::real
	            FROM added a JOIN cache_jobs j ON j.id = a.job_id
	            WHERE j.trigger IN ('purge', 'ban', 'tag')
	              AND a.outcome IN ('cached', 'fresh')
	              AND a.recorded_at >= j.created_at
	        ) y
	        GROUP BY 1, 2, 3, 4
	    ) x
	    GROUP BY 1, 2, 3
	    ORDER BY 1, 2, 3
	LOOP
		SELECT * INTO hist FROM rollup_hist_of(grp.bins, grp.ns);
		INSERT INTO rollup_hists AS r (website_id, hour, metric, lo,
		    counts, n, p50, p95, p99)
		VALUES (grp.website_id, grp.hour, grp.metric, hist.lo,
		    hist.counts, hist.n, hist.p50, hist.p95, hist.p99)
		ON CONFLICT (website_id, hour, metric) DO UPDATE SET
		    (lo, counts, n, p50, p95, p99) = (SELECT * FROM
		    rollup_hist_add(r.lo, r.counts, EXCLUDED.lo,
		    EXCLUDED.counts));
		INSERT INTO rollup_day_hists AS r (website_id, day, metric, lo,
		    counts, n, p50, p95, p99)
		VALUES (grp.website_id, rollup_day(grp.hour),
		    grp.metric, hist.lo, hist.counts, hist.n, hist.p50, hist.p95,
		    hist.p99)
		ON CONFLICT (website_id, day, metric) DO UPDATE SET
		    (lo, counts, n, p50, p95, p99) = (SELECT * FROM
		    rollup_hist_add(r.lo, r.counts, EXCLUDED.lo,
		    EXCLUDED.counts));
	END LOOP;

	INSERT INTO rollup_uncacheable AS u (website_id, hour, reason, n,
	    examples)
	SELECT x.website_id, x.hour, x.reason, count(*),
	    (array_agg(DISTINCT x.url))[1:5]
	FROM (
	    SELECT a.website_id, rollup_hour(a.recorded_at)
	        AS hour, uncacheable_reason(a.reason) AS reason, a.url
	    FROM added a WHERE a.outcome = 'uncacheable'
	) x
	GROUP BY 1, 2, 3
	ORDER BY 1, 2, 3
	ON CONFLICT (website_id, hour, reason) DO UPDATE SET
	    n = u.n + EXCLUDED.n,
	    examples = CASE WHEN cardinality(u.examples) >= 5 THEN u.examples
	        ELSE (SELECT (array_agg(DISTINCT e))[1:5] FROM unnest(
	            u.examples || EXCLUDED.examples) e) END;

	INSERT INTO rollup_uncacheable_urls AS u (website_id, day, reason,
	    url, n)
	SELECT a.website_id, rollup_day(a.recorded_at)::date,
	    uncacheable_reason(a.reason), a.url, count(*)
	FROM added a WHERE a.outcome = 'uncacheable'
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (website_id, day, reason, url) DO UPDATE SET
	    n = u.n + EXCLUDED.n;

	-- Only this statement's 25 slowest URLs of each hour can be among
	-- the hour's 25 slowest; then the hour is cut back to 25.
	INSERT INTO rollup_slow_urls AS s (website_id, hour, url, load_ms,
	    ttfb_ms, recorded_at)
	SELECT y.website_id, y.hour, y.url, y.load_ms, y.ttfb_ms,
	    y.recorded_at
	FROM (
	    SELECT x.*, row_number() OVER (PARTITION BY x.website_id, x.hour
	        ORDER BY x.load_ms DESC, x.url) AS rn
	    FROM (
	        SELECT DISTINCT ON (1, 2, 3) a.website_id, a.hour, a.url,
	            a.load_ms, a.ttfb_ms, a.recorded_at
	        FROM (
	            SELECT b.website_id, rollup_hour(b.recorded_at) AS hour,
	                b.url, b.load_ms, b.ttfb_ms, b.recorded_at
	            FROM added b WHERE rollup_timed(b.load_ms)
	        ) a JOIN (
	            SELECT g.website_id, g.hour, (SELECT s.load_ms
	                FROM rollup_slow_urls s WHERE s.website_id = g.website_id
	                  AND s.hour = g.hour
	                ORDER BY s.load_ms DESC OFFSET 24 LIMIT 1) AS lo
	            FROM (SELECT DISTINCT b.website_id,
	                rollup_hour(b.recorded_at) AS hour
	                FROM added b) g
	            OFFSET 0 -- read once a hour, not once a row
	        ) t ON t.website_id = a.website_id AND t.hour = a.hour
	        WHERE t.lo IS NULL OR a.load_ms >= t.lo
	        ORDER BY 1, 2, 3, a.load_ms DESC, a.recorded_at
	    ) x
	) y
	WHERE y.rn <= 25
	ORDER BY 1, 2, 3
	ON CONFLICT (website_id, hour, url) DO UPDATE SET
	    load_ms = EXCLUDED.load_ms, ttfb_ms = EXCLUDED.ttfb_ms,
	    recorded_at = EXCLUDED.recorded_at
	WHERE EXCLUDED.load_ms > s.load_ms OR (EXCLUDED.load_ms = s.load_ms
	    AND EXCLUDED.recorded_at < s.recorded_at);

	DELETE FROM rollup_slow_urls s
	USING (
	    SELECT z.website_id, z.hour, z.url FROM (
	        SELECT r.website_id, r.hour, r.url, row_number() OVER (
	            PARTITION BY r.website_id, r.hour
	            ORDER BY r.load_ms DESC, r.url) AS rn
	        FROM rollup_slow_urls r
	        WHERE (r.website_id, r.hour) IN (
	            SELECT DISTINCT a.website_id,
	                rollup_hour(a.recorded_at)
	            FROM added a WHERE rollup_timed(a.load_ms))
	    ) z WHERE z.rn > 25
	) d
	WHERE s.website_id = d.website_id AND s.hour = d.hour
	  AND s.url = d.url;

	-- The same by day.
	INSERT INTO rollup_day_slow_urls AS s (website_id, day, url, load_ms,
	    ttfb_ms, recorded_at)
	SELECT y.website_id, y.day, y.url, y.load_ms, y.ttfb_ms,
	    y.recorded_at
	FROM (
	    SELECT x.*, row_number() OVER (PARTITION BY x.website_id, x.day
	        ORDER BY x.load_ms DESC, x.url) AS rn
	    FROM (
	        SELECT DISTINCT ON (1, 2, 3) a.website_id, a.day, a.url,
	            a.load_ms, a.ttfb_ms, a.recorded_at
	        FROM (
	            SELECT b.website_id, rollup_day(b.recorded_at) AS day,
	                b.url, b.load_ms, b.ttfb_ms, b.recorded_at
	            FROM added b WHERE rollup_timed(b.load_ms)
	        ) a JOIN (
	            SELECT g.website_id, g.day, (SELECT s.load_ms
	                FROM rollup_day_slow_urls s WHERE s.website_id = g.website_id
	                  AND s.day = g.day
	                ORDER BY s.load_ms DESC OFFSET 24 LIMIT 1) AS lo
	            FROM (SELECT DISTINCT b.website_id,
	                rollup_day(b.recorded_at) AS day
	                FROM added b) g
	            OFFSET 0 -- read once a day, not once a row
	        ) t ON t.website_id = a.website_id AND t.day = a.day
	        WHERE t.lo IS NULL OR a.load_ms >= t.lo
	        ORDER BY 1, 2, 3, a.load_ms DESC, a.recorded_at
	    ) x
	) y
	WHERE y.rn <= 25
	ORDER BY 1, 2, 3
	ON CONFLICT (website_id, day, url) DO UPDATE SET
	    load_ms = EXCLUDED.load_ms, ttfb_ms = EXCLUDED.ttfb_ms,
	    recorded_at = EXCLUDED.recorded_at
	WHERE EXCLUDED.load_ms > s.load_ms OR (EXCLUDED.load_ms = s.load_ms
	    AND EXCLUDED.recorded_at < s.recorded_at);

	DELETE FROM rollup_day_slow_urls s
	USING (
	    SELECT z.website_id, z.day, z.url FROM (
	        SELECT r.website_id, r.day, r.url, row_number() OVER (
	            PARTITION BY r.website_id, r.day
	            ORDER BY r.load_ms DESC, r.url) AS rn
	        FROM rollup_day_slow_urls r
	        WHERE (r.website_id, r.day) IN (
	            SELECT DISTINCT a.website_id,
	                rollup_day(a.recorded_at)
	            FROM added a WHERE rollup_timed(a.load_ms))
	    ) z WHERE z.rn > 25
	) d
	WHERE s.website_id = d.website_id AND s.day = d.day
	  AND s.url = d.url;

	INSERT INTO usage_daily AS d (project_id, day, warms)
	SELECT w.project_id, x.day, sum(x.n)
	FROM (
	    SELECT a.website_id, rollup_day(a.recorded_at)::date AS day,
	        count(*) AS n
	    FROM added a GROUP BY 1, 2
	) x JOIN websites w ON w.id = x.website_id
	GROUP BY 1, 2
	ORDER BY 1, 2
	ON CONFLICT (project_id, day) DO UPDATE SET
	    warms = d.warms + EXCLUDED.warms;
	RETURN NULL;
END
$$;
