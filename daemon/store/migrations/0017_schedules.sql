-- Websites' schedules, run by the control plane (api/api_scheduler.c).
--
-- A website's schedule is a cron expression in its own time zone
-- (schedule_tz, an IANA name; the API checks both).  next_run_at is the
-- next slot as the scheduler computed it: NULL until a scheduler arms
-- it, and again whenever the schedule or its zone changes, so that no
-- statement but the scheduler's computes it.  A replica claims a due
-- website by locking its row (FOR UPDATE SKIP LOCKED) and moves
-- next_run_at past now in the same statement that starts its job: a
-- slot is claimed once however many replicas look, and a website that
-- was due for hours runs once, not once a missed slot.
--
-- What came of the last slots, for the tenant: the last run and its
-- job, and the last slot skipped because a job of the website was still
-- queued or running (and which).  Job ids without foreign keys: a job
-- may go (retention, deletion) and its id still tells what it was.
ALTER TABLE websites
    ADD COLUMN schedule_tz text NOT NULL DEFAULT 'UTC',
    ADD COLUMN next_run_at timestamptz,
    ADD COLUMN last_run_at timestamptz,
    ADD COLUMN last_job_id bigint,
    ADD COLUMN last_skipped_at timestamptz,
    ADD COLUMN last_skipped_job_id bigint;

-- The due ones, and those to arm, found without a scan.
CREATE INDEX websites_schedule_due ON websites (next_run_at NULLS FIRST)
    WHERE schedule IS NOT NULL;

CREATE FUNCTION websites_schedule_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.next_run_at := NULL;
	RETURN NEW;
END
$$;

CREATE TRIGGER websites_schedule_rearm BEFORE UPDATE ON websites
    FOR EACH ROW WHEN ((OLD.schedule, OLD.schedule_tz)
        IS DISTINCT FROM (NEW.schedule, NEW.schedule_tz))
    EXECUTE FUNCTION websites_schedule_changed();
