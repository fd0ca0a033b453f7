-- Sites warmed without a sitemap, and jobs that warm the best first.
--
-- A sitemap task (0008_sitemap_tasks.sql) may crawl the site instead
-- of reading a sitemap (queue/sitemap_task.c, sitemap/site_crawl.c):
-- always when its job was asked to crawl, else when the site has no
-- sitemap.  crawl holds the job's crawl settings as the API took them
-- ({"force": true, "max_depth": 3, "max_pages": 200, "drop_params":
-- ["ref", "utm_*"]}); NULL: a sitemap job that crawls, if it must, with
-- the defaults.
ALTER TABLE warm_tasks ADD COLUMN crawl jsonb;
ALTER TABLE warm_tasks ADD CONSTRAINT warm_tasks_crawl_sitemap
    CHECK (crawl IS NULL OR kind = 'sitemap');

-- A page's ESI fragment (<esi:include src>), warmed with it as a task
-- of its job, and its result marked so: the page is what was asked
-- for, the fragment what made it up.
ALTER TABLE warm_tasks ADD COLUMN fragment boolean NOT NULL DEFAULT false;
ALTER TABLE page_results ADD COLUMN fragment boolean NOT NULL
    DEFAULT false;

-- A sitemap task's URLs are queued with their priority (the sitemap's
-- <priority> and <lastmod>, a crawl's depth), and claimed most valuable
-- first by warm_tasks_ready (priority DESC, id): a job cut short leaves
-- the best of its URLs warm.
