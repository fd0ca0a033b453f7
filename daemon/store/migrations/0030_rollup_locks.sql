-- The rollups of a statement of results reckoned first, written last
-- (issue 11: one control plane stores its agents' results, 50,000 a
-- second).
--
-- Every statement of a website's results upserts the same few rows:
-- its hour in rollup_hours, its histograms, its day's usage.  The first
-- upsert locks a row that every other writer of the website's results
-- wants, and the lock is held to the commit; 0028's function locked
-- rollup_hours first and then went on to group, bin and sort the rows
-- for the histograms and the slowest URLs, so the batches of a
-- website's agents waited for each other through most of the trigger
-- (seen in auto_explain: an upsert of one row 8 ms, its input 0.3 ms).
-- Here all of it is reckoned into arrays of the rollups' own row types
-- with no lock taken, and the upserts come last, in 0028's order, each
-- in key order: the wait is now the upserts and the commit.
--
-- The slowest URLs' candidates read the 25th of their hour (and day)
-- in a CTE of their own, read once: 0028's "OFFSET 0" subquery was at
-- times planned as the inner side of a nested loop and read again for
-- each of the statement's rows.
--
-- The histograms by day are summed by day before their upsert, one row
-- a key: a statement spanning midnight touched a day's row once for
-- each of its hours.  Nothing a user reads changes.
--
-- Locks: before its first upsert a statement locks its websites' rows
-- (FOR NO KEY UPDATE, in id order: what a result's insert takes of
-- them, KEY SHARE, does not wait on it), so that a website's rollups
-- have one writer at a time to its commit.  The rows every writer of
-- a website wants are held from their upsert to the commit anyway;
-- taken first, that one lock makes the order of the rest, and of
-- 0027's render trigger after this one, and of an agent's batch that
-- inserts results twice (its own, its tasks'), not matter: no two
-- statements can wait on each other.  The arrays are of the tables'
-- own row types: a column added to one of these tables means this
-- function anew.

CREATE OR REPLACE FUNCTION rollup_page_results() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	hrs rollup_hours[];
	sts rollup_cache_status[];
	hhs rollup_hists[];
	dhs rollup_day_hists[];
	unc rollup_uncacheable[];
	ucu rollup_uncacheable_urls[];
	slow rollup_slow_urls[];
	dslow rollup_day_slow_urls[];
	daily usage_daily[];
BEGIN
	SELECT array_agg(ROW(x.*)::rollup_hours) INTO hrs
	FROM (
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
	) x;

	SELECT array_agg(ROW(x.*)::rollup_cache_status)
	INTO sts
	FROM (
	    SELECT a.website_id, rollup_hour(a.recorded_at),
	        coalesce(a.cache_status, ''), count(*)
	    FROM added a
	    GROUP BY 1, 2, 3
	) x;

	-- Each time in its bin once; the bins summed by hour, then by day.
	WITH b AS MATERIALIZED (
	    SELECT y.website_id, y.hour, y.metric, rollup_bin(y.ms) AS bin,
	        count(*) AS n
	    FROM (
	        SELECT a.website_id, rollup_hour(a.recorded_at) AS hour,
	            1::smallint AS metric, a.ttfb_ms AS ms
	        FROM added a WHERE rollup_timed(a.ttfb_ms)
	        UNION ALL
	        SELECT a.website_id, rollup_hour(a.recorded_at), 2::smallint,
	            a.load_ms
	        FROM added a WHERE rollup_timed(a.load_ms)
	        UNION ALL
	        SELECT a.website_id, rollup_hour(a.recorded_at), 3::smallint,
	            (extract(epoch FROM a.recorded_at - j.created_at)
	            * 1000)::real
	        FROM added a JOIN cache_jobs j ON j.id = a.job_id
	        WHERE j.trigger IN ('purge', 'ban', 'tag')
	          AND a.outcome IN ('cached', 'fresh')
	          AND a.recorded_at >= j.created_at
	    ) y
	    GROUP BY 1, 2, 3, 4
	)
	SELECT
	    (SELECT array_agg(ROW(k.website_id, k.hour, k.metric, h.lo,
	        h.counts, h.n, h.p50, h.p95, h.p99)::rollup_hists)
	    FROM (
	        SELECT b.website_id, b.hour, b.metric, array_agg(b.bin) AS bins,
	            array_agg(b.n) AS ns
	        FROM b GROUP BY 1, 2, 3
	    ) k, rollup_hist_of(k.bins, k.ns) h),
	    (SELECT array_agg(ROW(k.website_id, k.day, k.metric, h.lo,
	        h.counts, h.n, h.p50, h.p95, h.p99)::rollup_day_hists)
	    FROM (
	        SELECT d.website_id, d.day, d.metric, array_agg(d.bin) AS bins,
	            array_agg(d.n) AS ns
	        FROM (
	            SELECT b.website_id, rollup_day(b.hour) AS day, b.metric,
	                b.bin, sum(b.n)::bigint AS n
	            FROM b GROUP BY 1, 2, 3, 4
	        ) d
	        GROUP BY 1, 2, 3
	    ) k, rollup_hist_of(k.bins, k.ns) h)
	INTO hhs, dhs;

	SELECT array_agg(ROW(x.*)::rollup_uncacheable)
	INTO unc
	FROM (
	    SELECT u.website_id, u.hour, u.reason, count(*),
	        (array_agg(DISTINCT u.url))[1:5]
	    FROM (
	        SELECT a.website_id, rollup_hour(a.recorded_at) AS hour,
	            uncacheable_reason(a.reason) AS reason, a.url
	        FROM added a WHERE a.outcome = 'uncacheable'
	    ) u
	    GROUP BY 1, 2, 3
	) x;

	SELECT array_agg(ROW(x.*)::rollup_uncacheable_urls)
	INTO ucu
	FROM (
	    SELECT a.website_id, rollup_day(a.recorded_at)::date,
	        uncacheable_reason(a.reason), a.url, count(*)
	    FROM added a WHERE a.outcome = 'uncacheable'
	    GROUP BY 1, 2, 3, 4
	) x;

	-- Only this statement's 25 slowest URLs of each hour can be among
	-- the hour's 25 slowest: those at least as slow as the hour's 25th
	-- now.
	WITH t AS MATERIALIZED (
	    SELECT g.website_id, g.hour, (SELECT s.load_ms
	        FROM rollup_slow_urls s WHERE s.website_id = g.website_id
	          AND s.hour = g.hour
	        ORDER BY s.load_ms DESC OFFSET 24 LIMIT 1) AS lo
	    FROM (SELECT DISTINCT b.website_id,
	        rollup_hour(b.recorded_at) AS hour
	        FROM added b WHERE rollup_timed(b.load_ms)) g
	)
	SELECT array_agg(ROW(y.website_id, y.hour, y.url, y.load_ms,
	    y.ttfb_ms, y.recorded_at)::rollup_slow_urls)
	INTO slow
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
	        ) a JOIN t ON t.website_id = a.website_id AND t.hour = a.hour
	        WHERE t.lo IS NULL OR a.load_ms >= t.lo
	        ORDER BY 1, 2, 3, a.load_ms DESC, a.recorded_at
	    ) x
	) y
	WHERE y.rn <= 25;

	-- The same by day.
	WITH t AS MATERIALIZED (
	    SELECT g.website_id, g.day, (SELECT s.load_ms
	        FROM rollup_day_slow_urls s WHERE s.website_id = g.website_id
	          AND s.day = g.day
	        ORDER BY s.load_ms DESC OFFSET 24 LIMIT 1) AS lo
	    FROM (SELECT DISTINCT b.website_id,
	        rollup_day(b.recorded_at) AS day
	        FROM added b WHERE rollup_timed(b.load_ms)) g
	)
	SELECT array_agg(ROW(y.website_id, y.day, y.url, y.load_ms,
	    y.ttfb_ms, y.recorded_at)::rollup_day_slow_urls)
	INTO dslow
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
	        ) a JOIN t ON t.website_id = a.website_id AND t.day = a.day
	        WHERE t.lo IS NULL OR a.load_ms >= t.lo
	        ORDER BY 1, 2, 3, a.load_ms DESC, a.recorded_at
	    ) x
	) y
	WHERE y.rn <= 25;

	SELECT array_agg(ROW(x.*)::usage_daily) INTO daily
	FROM (
	    SELECT w.project_id, d.day, sum(d.n)::bigint
	    FROM (
	        SELECT a.website_id, rollup_day(a.recorded_at)::date AS day,
	            count(*) AS n
	        FROM added a GROUP BY 1, 2
	    ) d JOIN websites w ON w.id = d.website_id
	    GROUP BY 1, 2
	) x;

	-- From here on the rows every writer of these websites wants; the
	-- websites' own rows first, in order: a website's rollups are then
	-- written by one transaction at a time, whatever their order
	-- below, however many statements of results a transaction makes
	-- (an agent's batch makes two), and whichever trigger writes them.
	PERFORM 1 FROM websites w
	WHERE w.id IN (SELECT DISTINCT a.website_id FROM added a)
	ORDER BY w.id FOR NO KEY UPDATE;

	INSERT INTO rollup_hours AS h
	SELECT * FROM unnest(hrs) ORDER BY 1, 2
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

	INSERT INTO rollup_cache_status AS c
	SELECT * FROM unnest(sts) ORDER BY 1, 2, 3
	ON CONFLICT (website_id, hour, cache_status) DO UPDATE SET
	    n = c.n + EXCLUDED.n;

	IF hhs IS NOT NULL THEN
		INSERT INTO rollup_hists AS r
		SELECT * FROM unnest(hhs) ORDER BY 1, 2, 3
		ON CONFLICT (website_id, hour, metric) DO UPDATE SET
		    (lo, counts, n, p50, p95, p99) = (SELECT * FROM
		    rollup_hist_add(r.lo, r.counts, EXCLUDED.lo,
		    EXCLUDED.counts));
		INSERT INTO rollup_day_hists AS r
		SELECT * FROM unnest(dhs) ORDER BY 1, 2, 3
		ON CONFLICT (website_id, day, metric) DO UPDATE SET
		    (lo, counts, n, p50, p95, p99) = (SELECT * FROM
		    rollup_hist_add(r.lo, r.counts, EXCLUDED.lo,
		    EXCLUDED.counts));
	END IF;

	IF unc IS NOT NULL THEN
		INSERT INTO rollup_uncacheable AS u
		SELECT * FROM unnest(unc) ORDER BY 1, 2, 3
		ON CONFLICT (website_id, hour, reason) DO UPDATE SET
		    n = u.n + EXCLUDED.n,
		    examples = CASE WHEN cardinality(u.examples) >= 5
		        THEN u.examples
		        ELSE (SELECT (array_agg(DISTINCT e))[1:5] FROM unnest(
		            u.examples || EXCLUDED.examples) e) END;
		INSERT INTO rollup_uncacheable_urls AS u
		SELECT * FROM unnest(ucu) ORDER BY 1, 2, 3, 4
		ON CONFLICT (website_id, day, reason, url) DO UPDATE SET
		    n = u.n + EXCLUDED.n;
	END IF;

	IF slow IS NOT NULL THEN
		INSERT INTO rollup_slow_urls AS s
		SELECT * FROM unnest(slow) ORDER BY 1, 2, 3
		ON CONFLICT (website_id, hour, url) DO UPDATE SET
		    load_ms = EXCLUDED.load_ms, ttfb_ms = EXCLUDED.ttfb_ms,
		    recorded_at = EXCLUDED.recorded_at
		WHERE EXCLUDED.load_ms > s.load_ms OR
		    (EXCLUDED.load_ms = s.load_ms AND
		    EXCLUDED.recorded_at < s.recorded_at);

		-- The hours cut back to their 25.
		DELETE FROM rollup_slow_urls s
		USING (
		    SELECT z.website_id, z.hour, z.url FROM (
		        SELECT r.website_id, r.hour, r.url, row_number() OVER (
		            PARTITION BY r.website_id, r.hour
		            ORDER BY r.load_ms DESC, r.url) AS rn
		        FROM rollup_slow_urls r
		        WHERE (r.website_id, r.hour) IN (
		            SELECT DISTINCT u.website_id, u.hour
		            FROM unnest(slow) u)
		    ) z WHERE z.rn > 25
		) d
		WHERE s.website_id = d.website_id AND s.hour = d.hour
		  AND s.url = d.url;
	END IF;

	IF dslow IS NOT NULL THEN
		INSERT INTO rollup_day_slow_urls AS s
		SELECT * FROM unnest(dslow) ORDER BY 1, 2, 3
		ON CONFLICT (website_id, day, url) DO UPDATE SET
		    load_ms = EXCLUDED.load_ms, ttfb_ms = EXCLUDED.ttfb_ms,
		    recorded_at = EXCLUDED.recorded_at
		WHERE EXCLUDED.load_ms > s.load_ms OR
		    (EXCLUDED.load_ms = s.load_ms AND
		    EXCLUDED.recorded_at < s.recorded_at);

		DELETE FROM rollup_day_slow_urls s
		USING (
		    SELECT z.website_id, z.day, z.url FROM (
		        SELECT r.website_id, r.day, r.url, row_number() OVER (
		            PARTITION BY r.website_id, r.day
		            ORDER BY r.load_ms DESC, r.url) AS rn
		        FROM rollup_day_slow_urls r
		        WHERE (r.website_id, r.day) IN (
		            SELECT DISTINCT u.website_id, u.day
		            FROM unnest(dslow) u)
		    ) z WHERE z.rn > 25
		) d
		WHERE s.website_id = d.website_id AND s.day = d.day
		  AND s.url = d.url;
	END IF;

	INSERT INTO usage_daily AS d
	SELECT * FROM unnest(daily) ORDER BY 1, 2
	ON CONFLICT (project_id, day) DO UPDATE SET
	    warms = d.warms + EXCLUDED.warms;
	RETURN NULL;
END
$$;
