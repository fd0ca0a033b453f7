-- A plan's number of websites, held when creations race.  The statement
-- that creates a website counts the project's others in its snapshot,
-- taken before it could wait for anyone: two creations past the last
-- free place would both see it free.  Here each creation first locks
-- its project's row, then counts again in a snapshot of its own (a
-- PL/pgSQL query in READ COMMITTED sees what the other committed), and
-- refuses with SQLSTATE SK001, which the store reads as the plan's
-- limit.
CREATE FUNCTION websites_within_plan() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	most integer;
BEGIN
	SELECT pl.max_websites INTO most
	    FROM projects p JOIN plans pl ON pl.id = p.plan_id
	    WHERE p.id = NEW.project_id
	    FOR NO KEY UPDATE OF p;
	IF (SELECT count(*) FROM websites
	    WHERE project_id = NEW.project_id) >= most THEN
		RAISE EXCEPTION 'project % has % website(s), its plan''s most',
		    NEW.project_id, most
		    USING ERRCODE = 'SK001';
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER websites_plan_limit
    BEFORE INSERT ON websites
    FOR EACH ROW EXECUTE FUNCTION websites_within_plan();
