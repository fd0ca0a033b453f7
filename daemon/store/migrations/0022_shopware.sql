-- Shopware awareness: a sitemap job of a website of cache_type shopware
-- first reads the shop's start page (sitemap/shopware.c) to learn what
-- it is, then warms its categories, its products and its search pages.
--
-- search_terms: what visitors search for, as the tenant lists them;
-- each warmed as the shop's search page (/search?search=TERM) after
-- the categories and products.
ALTER TABLE websites ADD COLUMN search_terms text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(search_terms) <= 50);
-- auto_variants: the currencies the shop offers (its currency switcher)
-- are warmed as variants of the job, each through the website's
-- variant_inputs' "currency" (cookie:sw-currency); false: they are only
-- reported, for the tenant to add to variants, the default.  A tenant's
-- settings are never changed behind their back either way.
ALTER TABLE websites ADD COLUMN auto_variants boolean NOT NULL
    DEFAULT false;

-- What a job learnt of the site it warmed: for a Shopware website's
-- sitemap job, {"shopware": true, "version": "6.5.8.2", "currencies":
-- [...], ...} (sitemap/shopware.h says what each field is); NULL for
-- any other job.
ALTER TABLE cache_jobs ADD COLUMN detected jsonb;
