-- What the tenants' API asks of jobs and their results (tjob_store.c).
--
-- A website's jobs are paged newest first by id.  A job's results are
-- paged by a sort key and the id, the key an unknown time sorts as
-- 'Infinity' so that it is never NULL: one index per sort, each the
-- expression the statement orders by, so that a page is a range scan
-- of the job's rows wherever it starts.  Sorting by id is served by
-- page_results_job (0001).

CREATE INDEX cache_jobs_website_id ON cache_jobs (website_id, id);

CREATE INDEX page_results_job_ttfb ON page_results
    (job_id, (coalesce(ttfb_ms, 'Infinity'::real)), id);
CREATE INDEX page_results_job_load ON page_results
    (job_id, (coalesce(load_ms, 'Infinity'::real)), id);
CREATE INDEX page_results_job_url ON page_results (job_id, url, id);
