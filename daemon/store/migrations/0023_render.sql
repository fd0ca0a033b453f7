-- Render mode (daemon/render/): a page is also loaded in headless
-- Chromium through the website's node, scrolled to its end; what it
-- pulled in from the website's host and its asset hosts is warmed as
-- tasks of its job, and the page's timings are kept with its result.
--
-- render: the website's jobs render their pages; a job may say
-- otherwise (cache_jobs.render, NULL: as its website says when its
-- tasks are claimed).
ALTER TABLE websites ADD COLUMN render boolean NOT NULL DEFAULT false;
-- asset_hosts: hosts besides base_url's whose requests a rendered page
-- may make (a CDN, a media host behind the same Varnish), fetched
-- through the website's nodes and warmed; every other host is refused.
ALTER TABLE websites ADD COLUMN asset_hosts text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(asset_hosts) <= 16);
ALTER TABLE cache_jobs ADD COLUMN render boolean;

-- A page's asset (a stylesheet, an image, a script, an XHR a page
-- made), warmed as a task of the page's job, once per URL and variant
-- in the job however many pages pulled it in: asset_of is the page
-- that pulled it in first.  An asset is never rendered itself.
ALTER TABLE warm_tasks ADD COLUMN asset_of text;
ALTER TABLE page_results ADD COLUMN asset_of text;
-- A rendered page's timings and what it pulled in, as
-- render_report_json() writes them (render/render_page.h):
-- {"ttfb_ms", "dcl_ms", "load_ms", "lcp_ms", "tti_ms", "subrequests",
-- "subrequest_bytes", "subrequest_hits", "blocked", "popups",
-- "render_ms", "error"}; on the result of the node it was rendered
-- through, NULL on every other.
ALTER TABLE page_results ADD COLUMN timings jsonb;
