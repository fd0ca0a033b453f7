-- A rendered page's own timings (0023_render.sql's page_results.timings)
-- in the analytics, beside the fetch's: DOMContentLoaded, Largest
-- Contentful Paint and the Time-to-Interactive estimate, rolled up as
-- results arrive into the histograms of 0016_analytics_hists.sql, the
-- same bins and percentiles as TTFB's and load time's, an hour's row
-- and a day's per website and metric.
--
-- metric: 4 DOMContentLoaded, 5 LCP, 6 TTI (1 to 3 are 0009's).  Only
-- the result a page was rendered through has timings; a time the
-- browser did not see (a page with no contentful paint) is null there
-- and counted nowhere.
--
-- A trigger of its own beside 0009's, fired after it (triggers of an
-- event fire in the order of their names): a statement of results that
-- rendered nothing, the most of them, then costs one scan of its
-- transition table, and 0016's function stays as it is.  Every
-- statement locks its histograms' rows as 0016's does, in key order,
-- metrics 1 to 3 first, then these: no two can wait on each other.

ALTER TABLE rollup_hists DROP CONSTRAINT rollup_hists_metric_check,
    ADD CONSTRAINT rollup_hists_metric_check CHECK (metric BETWEEN 1 AND 6);
ALTER TABLE rollup_day_hists DROP CONSTRAINT rollup_day_hists_metric_check,
    ADD CONSTRAINT rollup_day_hists_metric_check
    CHECK (metric BETWEEN 1 AND 6);

-- A time of a result's timings, in milliseconds: a JSON number from 0
-- to a day, else NULL.  The timings come from workers and agents
-- alike; what is not a time there is not counted, and never stops the
-- results' insert (numeric first: a cast of 1e400 to real would
-- raise).
CREATE FUNCTION rollup_timing(timings jsonb, k text) RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN jsonb_typeof(timings -> k) = 'number'
	    AND (timings -> k)::numeric BETWEEN 0 AND 86400000
	    THEN (timings -> k)::numeric::real END
$$;

-- The statement's bins (bins[i] counted ns[i] times) of one website,
-- hour and metric added to the hour's histogram and to its day's, as
-- 0016's trigger adds them.
CREATE FUNCTION rollup_hist_put(website bigint, hr timestamptz,
    m smallint, bins smallint[], ns bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	hist record;
BEGIN
	SELECT * INTO hist FROM rollup_hist_of(bins, ns);
	INSERT INTO rollup_hists AS r (website_id, hour, metric, lo, counts,
	    n, p50, p95, p99)
	VALUES (website, hr, m, hist.lo, hist.counts, hist.n, hist.p50,
	    hist.p95, hist.p99)
	ON CONFLICT (website_id, hour, metric) DO UPDATE SET
	    (lo, counts, n, p50, p95, p99) = (SELECT * FROM
	    rollup_hist_add(r.lo, r.counts, EXCLUDED.lo, EXCLUDED.counts));
	INSERT INTO rollup_day_hists AS r (website_id, day, metric, lo,
	    counts, n, p50, p95, p99)
	VALUES (website, date_trunc('day', hr, 'UTC'), m, hist.lo,
	    hist.counts, hist.n, hist.p50, hist.p95, hist.p99)
	ON CONFLICT (website_id, day, metric) DO UPDATE SET
	    (lo, counts, n, p50, p95, p99) = (SELECT * FROM
	    rollup_hist_add(r.lo, r.counts, EXCLUDED.lo, EXCLUDED.counts));
END
$$;

CREATE FUNCTION rollup_render_timings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	grp record;
BEGIN
	FOR grp IN
	    SELECT x.website_id, x.hour, x.metric, array_agg(x.bin) AS bins,
	        array_agg(x.n) AS ns
	    FROM (
	        SELECT y.website_id, y.hour, y.metric, rollup_bin(y.ms) AS bin,
	            count(*) AS n
	        FROM (
	            SELECT a.website_id,
	                date_trunc('hour', a.recorded_at, 'UTC') AS hour,
	                k.metric, rollup_timing(a.timings, k.name) AS ms
	            FROM added a CROSS JOIN (VALUES (4::smallint, 'dcl_ms'),
	                (5::smallint, 'lcp_ms'), (6::smallint, 'tti_ms'))
	                AS k(metric, name)
	            WHERE a.timings IS NOT NULL
	        ) y
	        WHERE y.ms IS NOT NULL
	        GROUP BY 1, 2, 3, 4
	    ) x
	    GROUP BY 1, 2, 3
	    ORDER BY 1, 2, 3
	LOOP
		PERFORM rollup_hist_put(grp.website_id, grp.hour, grp.metric,
		    grp.bins, grp.ns);
	END LOOP;
	RETURN NULL;
END
$$;

CREATE TRIGGER page_results_rollup_render
    AFTER INSERT ON page_results
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_render_timings();

-- The pages rendered before, as 0009 rolled up its results.
CREATE TEMP TABLE rollup_render_backfill (LIKE page_results)
    ON COMMIT DROP;
CREATE TRIGGER rollup_render_backfill_rollup
    AFTER INSERT ON rollup_render_backfill
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_render_timings();
INSERT INTO rollup_render_backfill
    SELECT * FROM page_results WHERE timings IS NOT NULL;

-- What a rendered page's result says of the assets (of n new to its
-- job) the plan's warm requests of today left out, kept being queued:
-- as job_cut_note() of 0021_plan_quotas.sql says of a job's URLs.
CREATE FUNCTION asset_cut_note(website bigint, kept integer, n integer)
RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT format('%s of %s assets not warmed: the %s plan allows %s '
	    'warm requests a day, and %s of today''s are made or queued',
	    n - kept, n, q.plan, q.lim, q.used + q.pending)
	FROM websites w CROSS JOIN LATERAL project_warms(w.project_id) q
	WHERE w.id = website
$$;
