-- Rows stoked run writes carry a key it made itself (row_key), so that a
-- write whose outcome is unknown (the connection dropped while the
-- statement ran) is simply sent again: rows already there are skipped
-- (ON CONFLICT (row_key) DO NOTHING), whatever batch they travel in.
-- The keys of one stoked run share their first half and count up in the
-- second, so each index grows at one place, and they go with their rows
-- when retention deletes them.  Rows written otherwise (the queue's
-- workers) have none: the partial indexes leave them out.

ALTER TABLE page_results ADD COLUMN row_key uuid;
CREATE UNIQUE INDEX page_results_row_key ON page_results (row_key)
    WHERE row_key IS NOT NULL;

ALTER TABLE cache_jobs ADD COLUMN row_key uuid;
CREATE UNIQUE INDEX cache_jobs_row_key ON cache_jobs (row_key)
    WHERE row_key IS NOT NULL;

ALTER TABLE invalidation_events ADD COLUMN row_key uuid;
CREATE UNIQUE INDEX invalidation_events_row_key ON invalidation_events
    (row_key) WHERE row_key IS NOT NULL;
