-- Analytics of warm results, kept as results arrive (analytics_store.c
-- reads them): a website's page_results summed by hour, so that any
-- range of hours is answered from a few rows per hour whatever the
-- number of results behind them.
--
-- Hours are UTC hours (date_trunc(..., 'UTC')), days UTC days.
--
-- Times (TTFB, load time, re-warm latency) are counted in fixed bins
-- spaced evenly on a log scale, 16 a doubling: bin b holds the values v
-- of floor(16 * log2(v)) = b, v in milliseconds, those under 0.01 ms
-- counted as 0.01 ms.  A percentile of any range of hours is then a sum
-- of bins and a walk up them to the first bin where the count reaches
-- ceil(p * n), the very rank percentile_disc takes; the bin is read as
-- its geometric middle, 2 ^ ((b + 0.5) / 16), which is within
-- 2 ^ (1/32) - 1 (2.2 %) of every value in it, so of the exact
-- percentile too.
--
-- What keeps them is one statement-level AFTER INSERT trigger on
-- page_results that reads the statement's new rows as a transition
-- table: it fires for a COPY too, and costs one aggregate per statement
-- and rollup table, not one per row.  Its first write locks the
-- statement's (website, hour) rows of rollup_hours in key order, so two
-- statements adding to the same hour take their turns, and no two can
-- wait on each other.
--
-- Rollups are not pruned with the results they sum (0002): they are
-- small, and the analytics of a range past the plan's retention stay.
-- They go with their website.

-- One row per website and hour: counts by outcome, the cached share's
-- two counts (answers Varnish found in cache, of all the answers it
-- gave: cache_status 'hit' of cache_status known), the sums behind the
-- means.
CREATE TABLE rollup_hours (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	hour timestamptz NOT NULL,
	results bigint NOT NULL DEFAULT 0,
	cached bigint NOT NULL DEFAULT 0,
	fresh bigint NOT NULL DEFAULT 0,
	uncacheable bigint NOT NULL DEFAULT 0,
	origin_error bigint NOT NULL DEFAULT 0,
	timeout bigint NOT NULL DEFAULT 0,
	failed bigint NOT NULL DEFAULT 0,
	hits bigint NOT NULL DEFAULT 0,
	answered bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (website_id, hour)
);

-- Results by Varnish's cache_status ('' when it gave none).
CREATE TABLE rollup_cache_status (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	hour timestamptz NOT NULL,
	cache_status text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (website_id, hour, cache_status)
);

-- The time histograms, only the bins that hold something.
-- metric: 1 TTFB, 2 load time, 3 re-warm latency.
CREATE TABLE rollup_bins (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	hour timestamptz NOT NULL,
	metric smallint NOT NULL CHECK (metric BETWEEN 1 AND 3),
	bin smallint NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (website_id, hour, metric, bin)
);

-- Uncacheable results by reason (uncacheable_reason()), with a few of
-- their URLs.
CREATE TABLE rollup_uncacheable (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	hour timestamptz NOT NULL,
	reason text NOT NULL,
	n bigint NOT NULL,
	examples text[] NOT NULL,
	PRIMARY KEY (website_id, hour, reason)
);

-- The URLs behind each reason, one row a day each: how many distinct
-- URLs a reason touched in the days a range covers.
CREATE TABLE rollup_uncacheable_urls (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	day date NOT NULL,
	reason text NOT NULL,
	url text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (website_id, day, reason, url)
);

-- Each hour's slowest URLs by load time, at most 25 distinct URLs an
-- hour, each with its slowest result of that hour.  The slowest N <= 25
-- URLs of any range are among these: a URL left out of an hour had 25
-- others slower than it there.
CREATE TABLE rollup_slow_urls (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	hour timestamptz NOT NULL,
	url text NOT NULL,
	load_ms real NOT NULL,
	ttfb_ms real,
	recorded_at timestamptz NOT NULL,
	PRIMARY KEY (website_id, hour, url)
);

-- A result's time in its bin: see the top of this file.
CREATE FUNCTION rollup_bin(ms real) RETURNS smallint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT floor(ln(greatest(ms, 0.01)::float8) * 16 / ln(2))::smallint
$$;

-- A bin read back: its geometric middle, in milliseconds.
CREATE FUNCTION rollup_bin_ms(bin smallint) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT round(power(2, (bin + 0.5) / 16)::numeric, 3)::float8
$$;

-- A time that can be binned: known, not negative, finite (NaN sorts
-- above Infinity, so "< Infinity" leaves it out too).
CREATE FUNCTION rollup_timed(ms real) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT ms IS NOT NULL AND ms >= 0 AND ms < 'Infinity'::real
$$;

-- An uncacheable result's reason as a stable code, from the words
-- warm/warm_verdict.c and warm/warm_batch.c record.  A Cache-Control
-- with several of the builtin VCL's words is named by the first here.
CREATE FUNCTION uncacheable_reason(reason text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE
	    WHEN reason IS NULL THEN 'other'
	    WHEN reason LIKE 'Set-Cookie%' THEN 'set_cookie'
	    WHEN reason ~* '^Cache-Control:.*(^|[ ,:])private([ ,=]|$)'
	        THEN 'private'
	    WHEN reason ~* '^Cache-Control:.*(^|[ ,:])no-store([ ,=]|$)'
	        THEN 'no_store'
	    WHEN reason ~* '^Cache-Control:.*(^|[ ,:])no-cache([ ,=]|$)'
	        THEN 'no_cache'
	    WHEN reason LIKE 'zero TTL%' THEN 'zero_ttl'
	    WHEN reason LIKE 'passed by the VCL%' THEN 'pass'
	    WHEN reason LIKE '%hit-for-miss%' THEN 'hit_for_miss'
	    ELSE 'other' END
$$;

-- The new rows of one statement (the transition table "added"), summed
-- into the rollups.  Re-warm latency is a result's recorded_at less its
-- job's created_at, for the jobs an invalidation started (trigger
-- purge, ban or tag): stoked run makes one such job per invalidation,
-- created when the invalidation happened (its invalidation_events
-- row's occurred_at), and only results that left the page in cache
-- (cached, fresh) count.  A result's project counts it as a warm of its
-- day in usage_daily, which nothing else writes.
CREATE FUNCTION rollup_page_results() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO rollup_hours AS h (website_id, hour, results, cached,
	    fresh, uncacheable, origin_error, timeout, failed, hits,
	    answered)
	SELECT a.website_id, date_trunc('hour', a.recorded_at, 'UTC'),
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
	SELECT a.website_id, date_trunc('hour', a.recorded_at, 'UTC'),
	    coalesce(a.cache_status, ''), count(*)
	FROM added a
	GROUP BY 1, 2, 3
	ORDER BY 1, 2, 3
	ON CONFLICT (website_id, hour, cache_status) DO UPDATE SET
	    n = c.n + EXCLUDED.n;

	INSERT INTO rollup_bins AS b (website_id, hour, metric, bin, n)
	SELECT x.website_id, x.hour, x.metric, rollup_bin(x.ms), count(*)
	FROM (
	    SELECT a.website_id, date_trunc('hour', a.recorded_at, 'UTC')
	        AS hour, 1::smallint AS metric, a.ttfb_ms AS ms
	    FROM added a WHERE rollup_timed(a.ttfb_ms)
	    UNION ALL
	    SELECT a.website_id, date_trunc('hour', a.recorded_at, 'UTC'),
	        2::smallint, a.load_ms
	    FROM added a WHERE rollup_timed(a.load_ms)
	    UNION ALL
	    SELECT a.website_id, date_trunc('hour', a.recorded_at, 'UTC'),
	        3::smallint, (extract(epoch FROM a.recorded_at - j.created_at)
	        * 1000)::real
	    FROM added a JOIN cache_jobs j ON j.id = a.job_id
	    WHERE j.trigger IN ('purge', 'ban', 'tag')
	      AND a.outcome IN ('cached', 'fresh')
	      AND a.recorded_at >= j.created_at
	) x
	GROUP BY 1, 2, 3, 4
	ORDER BY 1, 2, 3, 4
	ON CONFLICT (website_id, hour, metric, bin) DO UPDATE SET
	    n = b.n + EXCLUDED.n;

	INSERT INTO rollup_uncacheable AS u (website_id, hour, reason, n,
	    examples)
	SELECT x.website_id, x.hour, x.reason, count(*),
	    (array_agg(DISTINCT x.url))[1:5]
	FROM (
	    SELECT a.website_id, date_trunc('hour', a.recorded_at, 'UTC')
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
	SELECT a.website_id, date_trunc('day', a.recorded_at, 'UTC')::date,
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
	        SELECT DISTINCT ON (1, 2, 3) a.website_id,
	            date_trunc('hour', a.recorded_at, 'UTC') AS hour, a.url,
	            a.load_ms, a.ttfb_ms, a.recorded_at
	        FROM added a WHERE rollup_timed(a.load_ms)
	        ORDER BY 1, 2, 3, a.load_ms DESC
	    ) x
	) y
	WHERE y.rn <= 25
	ORDER BY 1, 2, 3
	ON CONFLICT (website_id, hour, url) DO UPDATE SET
	    load_ms = EXCLUDED.load_ms, ttfb_ms = EXCLUDED.ttfb_ms,
	    recorded_at = EXCLUDED.recorded_at
	WHERE EXCLUDED.load_ms > s.load_ms;

	DELETE FROM rollup_slow_urls s
	USING (
	    SELECT z.website_id, z.hour, z.url FROM (
	        SELECT r.website_id, r.hour, r.url, row_number() OVER (
	            PARTITION BY r.website_id, r.hour
	            ORDER BY r.load_ms DESC, r.url) AS rn
	        FROM rollup_slow_urls r
	        WHERE (r.website_id, r.hour) IN (
	            SELECT DISTINCT a.website_id,
	                date_trunc('hour', a.recorded_at, 'UTC')
	            FROM added a WHERE rollup_timed(a.load_ms))
	    ) z WHERE z.rn > 25
	) d
	WHERE s.website_id = d.website_id AND s.hour = d.hour
	  AND s.url = d.url;

	INSERT INTO usage_daily AS d (project_id, day, warms)
	SELECT w.project_id, date_trunc('day', a.recorded_at, 'UTC')::date,
	    count(*)
	FROM added a JOIN websites w ON w.id = a.website_id
	GROUP BY 1, 2
	ORDER BY 1, 2
	ON CONFLICT (project_id, day) DO UPDATE SET
	    warms = d.warms + EXCLUDED.warms;
	RETURN NULL;
END
$$;

CREATE TRIGGER page_results_rollup
    AFTER INSERT ON page_results
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_page_results();

-- What was there before: the same function over every row, through a
-- table of page_results' shape that lives for this transaction only.
CREATE TEMP TABLE rollup_backfill (LIKE page_results) ON COMMIT DROP;
CREATE TRIGGER rollup_backfill_rollup
    AFTER INSERT ON rollup_backfill
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_page_results();
INSERT INTO rollup_backfill SELECT * FROM page_results;

-- Invalidations by website and time are served by
-- invalidation_events_website (0001); a website's list is paged by id.
CREATE INDEX invalidation_events_website_id ON invalidation_events
    (website_id, id);
