-- The time histograms of 0009_analytics.sql kept as one row an hour
-- (and one a day) per website and metric, each with its own
-- percentiles, in place of one row a bin.
--
-- A week of hourly percentiles for a website read 16,000 rows of
-- rollup_bins and walked them up bin by bin in every request; now its
-- series reads one row an hour and metric, whose p50, p95 and p99 were
-- computed once, as the hour's results arrived, and the range's
-- percentiles sum the bins of a few days' rows and of the hours around
-- them.  Only a bucket of several histograms (a project's websites, the
-- dashboard's) still sums bins as the request is answered.
--
-- The slowest URLs get a day's rollup beside the hour's for the same
-- reason: a week's answer reads 25 rows a day and the hours around the
-- days, not 25 rows an hour.  Of a URL's results with its slowest load
-- time, the hour and the day now keep the earliest (0009 kept any), so
-- that both give the same row.
--
-- The bins are 0009's (rollup_bin(), 16 a doubling); a percentile is
-- the same walk to the first bin where the count reaches ceil(p * n),
-- p and n as float8, the rank percentile_disc takes.

-- A histogram: counts[i] results in bin lo + i - 1, from its lowest
-- bin to its highest, bins between them that hold nothing counted 0;
-- n the sum of counts, p50/p95/p99 those percentiles' bins read back
-- in milliseconds (rollup_bin_ms()), as the answer gives them.
-- metric: 1 TTFB, 2 load time, 3 re-warm latency (0009's).
CREATE TABLE rollup_hists (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	hour timestamptz NOT NULL,
	metric smallint NOT NULL CHECK (metric BETWEEN 1 AND 3),
	lo smallint NOT NULL,
	counts bigint[] NOT NULL CHECK (cardinality(counts) >= 1),
	n bigint NOT NULL CHECK (n >= 1),
	p50 float8 NOT NULL,
	p95 float8 NOT NULL,
	p99 float8 NOT NULL,
	PRIMARY KEY (website_id, hour, metric)
);

-- The same by UTC day: day is the midnight (UTC) that starts it.
CREATE TABLE rollup_day_hists (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	day timestamptz NOT NULL,
	metric smallint NOT NULL CHECK (metric BETWEEN 1 AND 3),
	lo smallint NOT NULL,
	counts bigint[] NOT NULL CHECK (cardinality(counts) >= 1),
	n bigint NOT NULL CHECK (n >= 1),
	p50 float8 NOT NULL,
	p95 float8 NOT NULL,
	p99 float8 NOT NULL,
	PRIMARY KEY (website_id, day, metric)
);

-- Each UTC day's slowest URLs by load time, as rollup_slow_urls has
-- each hour's: at most 25 distinct URLs a day, each with its slowest
-- result of the day.  A URL among a day's 25 slowest has its slowest
-- result of the day among its hour's 25 slowest, so that the hours'
-- rows make the days' exactly.
CREATE TABLE rollup_day_slow_urls (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	day timestamptz NOT NULL,
	url text NOT NULL,
	load_ms real NOT NULL,
	ttfb_ms real,
	recorded_at timestamptz NOT NULL,
	PRIMARY KEY (website_id, day, url)
);

-- A bin read back as 0009's rollup_bin_ms() reads it, 7 times faster:
-- power() of a float8 where it is exact to the 0.001 ms the answer
-- keeps (bins -200 to 400, 0.0002 ms to 9 hours; every bin from -16000
-- to 436 gives the same answer as 0009's numeric power(), checked),
-- numeric above.  The series of a week of hours reads 1,000 of them.
-- Not STRICT, so that it is inlined: NULL gives NULL all the same.
CREATE OR REPLACE FUNCTION rollup_bin_ms(bin smallint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN bin BETWEEN -200 AND 400
	    THEN round(power(2::float8, (bin + 0.5) / 16)::numeric, 3)
	    ELSE round(power(2, (bin + 0.5) / 16)::numeric, 3) END::float8
$$;

-- The histogram functions are PL/pgSQL over the arrays, with no query
-- in them: the trigger calls them for every histogram a statement adds
-- to, and a query (in a function of SQL, or one of the trigger's own,
-- which read the transition table) is planned again at every call.

-- The percentiles of the histogram (lo, counts) of n results, in
-- milliseconds.
CREATE FUNCTION rollup_hist_pct(lo smallint, counts bigint[], n bigint,
    OUT p50 float8, OUT p95 float8, OUT p99 float8)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	r50 float8 := ceil(0.5::float8 * n);
	r95 float8 := ceil(0.95::float8 * n);
	r99 float8 := ceil(0.99::float8 * n);
	cum bigint := 0;
BEGIN
	FOR i IN 1 .. cardinality(counts) LOOP
		cum := cum + counts[i];
		CONTINUE WHEN cum < r50;
		IF p50 IS NULL THEN
			p50 := rollup_bin_ms((lo + i - 1)::smallint);
		END IF;
		CONTINUE WHEN cum < r95;
		IF p95 IS NULL THEN
			p95 := rollup_bin_ms((lo + i - 1)::smallint);
		END IF;
		CONTINUE WHEN cum < r99;
		p99 := rollup_bin_ms((lo + i - 1)::smallint);
		EXIT;
	END LOOP;
END
$$;

-- bins[i] counted ns[i] times as a histogram; a bin may come more than
-- once.
CREATE FUNCTION rollup_hist_of(bins smallint[], ns bigint[],
    OUT lo smallint, OUT counts bigint[], OUT n bigint, OUT p50 float8,
    OUT p95 float8, OUT p99 float8)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	hi smallint;
BEGIN
	lo := bins[1];
	hi := bins[1];
	n := 0;
	FOR i IN 1 .. cardinality(bins) LOOP
		lo := least(lo, bins[i]);
		hi := greatest(hi, bins[i]);
		n := n + ns[i];
	END LOOP;
	counts := array_fill(0::bigint, ARRAY[hi - lo + 1]);
	FOR i IN 1 .. cardinality(bins) LOOP
		counts[bins[i] - lo + 1] := counts[bins[i] - lo + 1] + ns[i];
	END LOOP;
	SELECT * INTO p50, p95, p99 FROM rollup_hist_pct(lo, counts, n);
END
$$;

-- The sum of the histograms (a_lo, a_counts) and (b_lo, b_counts).
CREATE FUNCTION rollup_hist_add(a_lo smallint, a_counts bigint[],
    b_lo smallint, b_counts bigint[], OUT lo smallint,
    OUT counts bigint[], OUT n bigint, OUT p50 float8, OUT p95 float8,
    OUT p99 float8)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	na integer := cardinality(a_counts);
	nb integer := cardinality(b_counts);
	k integer;
BEGIN
	lo := least(a_lo, b_lo);
	IF a_lo = lo AND na >= b_lo - lo + nb THEN
		-- b within a, as an hour's next results mostly are
		counts := a_counts;
	ELSE
		counts := array_fill(0::bigint,
		    ARRAY[greatest(a_lo + na, b_lo + nb) - lo]);
		FOR i IN 1 .. na LOOP
			counts[a_lo - lo + i] := a_counts[i];
		END LOOP;
	END IF;
	n := 0;
	FOR i IN 1 .. na LOOP
		n := n + a_counts[i];
	END LOOP;
	FOR i IN 1 .. nb LOOP
		k := b_lo - lo + i;
		counts[k] := counts[k] + b_counts[i];
		n := n + b_counts[i];
	END LOOP;
	SELECT * INTO p50, p95, p99 FROM rollup_hist_pct(lo, counts, n);
END
$$;

-- The histograms as they were: rollup_bins' rows by hour, and by day.
INSERT INTO rollup_hists (website_id, hour, metric, lo, counts, n, p50,
    p95, p99)
SELECT k.website_id, k.hour, k.metric, x.*
FROM (
    SELECT b.website_id, b.hour, b.metric, array_agg(b.bin) AS bins,
        array_agg(b.n) AS ns
    FROM rollup_bins b GROUP BY 1, 2, 3
) k, rollup_hist_of(k.bins, k.ns) x;

INSERT INTO rollup_day_hists (website_id, day, metric, lo, counts, n, p50,
    p95, p99)
SELECT k.website_id, k.day, k.metric, x.*
FROM (
    SELECT b.website_id, date_trunc('day', b.hour, 'UTC') AS day, b.metric,
        array_agg(b.bin) AS bins, array_agg(b.n) AS ns
    FROM rollup_bins b GROUP BY 1, 2, 3
) k, rollup_hist_of(k.bins, k.ns) x;

INSERT INTO rollup_day_slow_urls (website_id, day, url, load_ms, ttfb_ms,
    recorded_at)
SELECT y.website_id, y.day, y.url, y.load_ms, y.ttfb_ms, y.recorded_at
FROM (
    SELECT x.*, row_number() OVER (PARTITION BY x.website_id, x.day
        ORDER BY x.load_ms DESC, x.url) AS rn
    FROM (
        SELECT DISTINCT ON (1, 2, 3) s.website_id,
            date_trunc('day', s.hour, 'UTC') AS day, s.url, s.load_ms,
            s.ttfb_ms, s.recorded_at
        FROM rollup_slow_urls s
        ORDER BY 1, 2, 3, s.load_ms DESC, s.recorded_at
    ) x
) y
WHERE y.rn <= 25;

DROP TABLE rollup_bins;

-- 0009's function, the histograms written in place of rollup_bins, and
-- the days' slowest URLs beside the hours':
-- the statement's bins of each (website, hour, metric) made one
-- histogram, added to the hour's and to the day's.  The sum is made in
-- ON CONFLICT's UPDATE, from the row as it is then, so that two
-- statements adding to one row each add theirs.
CREATE OR REPLACE FUNCTION rollup_page_results() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	grp record;
	hist record;
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
	                date_trunc('hour', a.recorded_at, 'UTC') AS hour,
	                1::smallint AS metric, a.ttfb_ms AS ms
	            FROM added a WHERE rollup_timed(a.ttfb_ms)
	            UNION ALL
	            SELECT a.website_id,
	                date_trunc('hour', a.recorded_at, 'UTC'), 2::smallint,
	                a.load_ms
	            FROM added a WHERE rollup_timed(a.load_ms)
	            UNION ALL
	            SELECT a.website_id,
	                date_trunc('hour', a.recorded_at, 'UTC'), 3::smallint,
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
		VALUES (grp.website_id, date_trunc('day', grp.hour, 'UTC'),
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
	                date_trunc('hour', a.recorded_at, 'UTC')
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
	        SELECT DISTINCT ON (1, 2, 3) a.website_id,
	            date_trunc('day', a.recorded_at, 'UTC') AS day, a.url,
	            a.load_ms, a.ttfb_ms, a.recorded_at
	        FROM added a WHERE rollup_timed(a.load_ms)
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
	                date_trunc('day', a.recorded_at, 'UTC')
	            FROM added a WHERE rollup_timed(a.load_ms))
	    ) z WHERE z.rn > 25
	) d
	WHERE s.website_id = d.website_id AND s.day = d.day
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
