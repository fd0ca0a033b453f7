-- A histogram's row holds its counts as they are (issue 11: a control
-- plane stores its agents' results, 50,000 a second).  A range of bins
-- wider than about 250 (a re-warm's lag runs from milliseconds to
-- minutes: some 300 bins) made the row of rollup_hists and of
-- rollup_day_hists longer than the 2 kB at which PostgreSQL tries to
-- compress it, and 0028's trigger upserts both at every statement of
-- results: measured in the backend's instructions (batches of 1,000
-- results, a job's lag spanning 235 bins), 9.4 M of a batch's 189 M,
-- 5%, compressing them again and again.  8160 is the most a row may be
-- before it is compressed (a page, less its header): the counts of a
-- range wider than about 1000 bins still are.  Nothing a user reads
-- changes.

ALTER TABLE rollup_hists SET (toast_tuple_target = 8160);
ALTER TABLE rollup_day_hists SET (toast_tuple_target = 8160);
