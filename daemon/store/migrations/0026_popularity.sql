-- What the agents' visitors ask for most, by website and UTC day: the
-- paths of the website's hosts (no query string but a search page's
-- term) and the terms searched, each a sum of the agents' hourly top
-- lists (link/popular.c).  Counts only: nothing of a visitor.  A day's
-- rows are kept 35 days (agent_store.c: the batches that bring
-- rows delete the website's older ones).
CREATE TABLE url_popularity (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	day date NOT NULL,
	path text NOT NULL,
	hits bigint NOT NULL CHECK (hits >= 0),
	PRIMARY KEY (website_id, day, path)
);

CREATE TABLE search_terms_seen (
	website_id bigint NOT NULL REFERENCES websites (id) ON DELETE CASCADE,
	day date NOT NULL,
	term text NOT NULL,
	n bigint NOT NULL CHECK (n >= 0),
	PRIMARY KEY (website_id, day, term)
);

-- A website's most visited paths of its last days (today, UTC, and the
-- days - 1 before), at most most of them: {"path": hits, ...}.  What a
-- sitemap task ranks its URLs by, after their <priority>.
CREATE FUNCTION website_popular_paths(website bigint, days integer,
    most integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_object_agg(p.path, p.hits), '{}')
	FROM (
		SELECT u.path, sum(u.hits) AS hits
		FROM url_popularity u
		WHERE u.website_id = website
		  AND u.day > (now() AT TIME ZONE 'UTC')::date - days
		GROUP BY u.path
		ORDER BY 2 DESC, 1
		LIMIT most
	) p
$$;

-- Its visitors' most searched terms of those days, the most searched
-- first: ["term", ...].
CREATE FUNCTION website_search_terms(website bigint, days integer,
    most integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(s.term ORDER BY s.n DESC, s.term), '[]')
	FROM (
		SELECT t.term, sum(t.n) AS n
		FROM search_terms_seen t
		WHERE t.website_id = website
		  AND t.day > (now() AT TIME ZONE 'UTC')::date - days
		GROUP BY t.term
		ORDER BY 2 DESC, 1
		LIMIT most
	) s
$$;
