-- rollup_bin() as an expression the planner can inline.  0009 made it
-- STRICT around greatest(), which is not: a STRICT function whose body
-- is not strict itself is never inlined, so the trigger called it as a
-- function of SQL, through its own executor, twice a result.  NULL in
-- gives NULL out as before, by the CASE.
CREATE OR REPLACE FUNCTION rollup_bin(ms real) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN ms IS NOT NULL
	    THEN floor(ln(greatest(ms, 0.01)::float8) * 16 / ln(2))::smallint
	    END
$$;
