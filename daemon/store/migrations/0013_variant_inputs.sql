-- Where each variant dimension of a website comes from: a cookie or a
-- request header, {"currency": "cookie:sw-currency", "device":
-- "header:X-Device"}, as the VCL's dims record declares it.  Stored
-- with the website so that any worker can send a variant of any
-- tenant's as its visitors would; a worker's --dims stays for the
-- operator's own jobs.
ALTER TABLE websites ADD COLUMN variant_inputs jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(variant_inputs) = 'object');
