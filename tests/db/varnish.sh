#!/bin/sh
# Queue workers warming through a real varnishd running vcl/shopware6.vcl.
# A task's variant goes out as the cookie the VCL reads its dimension
# from, so that the next visitor in that currency gets a hit; a variant
# whose dimension's source is not known fails its task and sends
# nothing; every answer is judged as stoked warm judges it (cached with
# its TTL, fresh, uncacheable and why, origin error, not taken as a warm
# request), and page_results says so.
set -eu

. "$TESTS_DIR/lib/db_suite.sh"

suite_begin varnish
suite_pg
suite_origin origin
suite_varnish v shopware6.vcl
site=http://shop.test
node=http://127.0.0.1:$v

worker() {
	"$STOKED" worker --database-url "$PGURL" --node "$node" \
	    --exit-when-idle --poll 0.2 --timeout 10 "$@" \
	    2> "$work/worker.log" || fail "the worker exited $?"
}

job() {
	"$STOKED" job create --database-url "$PGURL" --website-url "$site/" \
	    "$@" 2> /dev/null
}

# visit PATH [COOKIE]: Varnish's answer to a visitor, headers then body.
visit() {
	curl -sf -D - -H "Host: shop.test" ${2:+-H "Cookie: $2"} "$node$1" |
	    tr -d '\r'
}

# hit PATH [COOKIE]: served from cache (X-Varnish names two requests).
hit() {
	visit "$@" | grep -q '^X-Varnish: [0-9][0-9]* [0-9][0-9]*$'
}

echo "== a currency variant, sent as its cookie: the next visitor's hit"
job=$(job --variant 'currency=USD' --variant '' \
    "$site/product/1" "$site/product/2")
worker --secret-file "$work/secret" --dims 'currency=cookie:sw-currency'
cat "$work/worker.log"
[ "$(q "SELECT status || ' ' || urls_total || ' ' || urls_completed
    FROM cache_jobs WHERE id = $job")" = "done 4 4" ] ||
    fail "job $job: $(q "SELECT row_to_json(j) FROM cache_jobs j
        WHERE id = $job")"
[ "$(q "SELECT count(*) FROM page_results WHERE job_id = $job
    AND outcome = 'cached' AND ttl = 300 AND cache_status = 'miss'
    AND status = 200 AND reason IS NULL")" = 4 ] ||
    fail "not four cached for 300 s: $(q "SELECT url, variant, outcome,
        ttl, reason FROM page_results WHERE job_id = $job")"
[ "$(q "SELECT string_agg(variant, ',' ORDER BY variant, url)
    FROM page_results WHERE job_id = $job")" = \
    ",,currency=USD,currency=USD" ] || fail "the variants are not recorded"
for p in /product/1 /product/2; do
	hit "$p" "sw-currency=USD" || fail "$p in USD is not a hit"
	hit "$p" || fail "plain $p is not a hit"
	visit "$p" "sw-currency=USD" | grep -q USD ||
	    fail "$p in USD is not the USD page"
done
! hit /product/1 "sw-currency=GBP" || fail "GBP was never warmed, yet a hit"

echo "== a dimension whose source is not known: failed, nothing fetched"
before=$(requests "$origin")
job=$(job --variant 'currency=EUR' "$site/product/3")
worker --secret-file "$work/secret"
[ "$(q "SELECT state FROM warm_tasks WHERE job_id = $job")" = failed ] ||
    fail "the task is not failed"
[ "$(q "SELECT outcome || ' ' || (status IS NULL) FROM page_results
    WHERE job_id = $job")" = "failed true" ] || fail "not recorded failed"
q "SELECT reason FROM page_results WHERE job_id = $job" |
    grep "dimension currency is not known (no variant_inputs, no --dims)" ||
    fail "no clear reason"
[ "$(q "SELECT urls_failed FROM cache_jobs WHERE id = $job")" = 1 ] ||
    fail "the failure is not counted"
# Asking counts as a request too.
[ "$(requests "$origin")" = $((before + 1)) ] || fail "something was fetched"
! hit /product/3 "sw-currency=EUR" || fail "/product/3 in EUR was warmed"
rc=0
"$STOKED" worker --database-url "$PGURL" --dims 'currency=sw-currency' \
    2> "$work/err" || rc=$?
[ $rc = 2 ] && grep -q "not name=cookie:NAME or name=header:NAME" \
    "$work/err" || fail "bad --dims: exit $rc, $(cat "$work/err")"

echo "== what Varnish will not keep, and why; an origin error"
job=$(job "$site/private" "$site/product/4?ttl=0" \
    "$site/product/5?status=503" "$site/product/6")
worker --secret-file "$work/secret"
q "SELECT url, outcome, ttl, reason FROM page_results WHERE job_id = $job
    ORDER BY url" > "$work/results"
cat "$work/results"
printf '%s\n' \
    "$site/private|uncacheable||Set-Cookie" \
    "$site/product/4?ttl=0|uncacheable||zero TTL (Cache-Control: public, max-age=0)" \
    "$site/product/5?status=503|origin_error||HTTP 503" \
    "$site/product/6|cached|300|" | diff - "$work/results" ||
    fail "not judged as expected"
[ "$(q "SELECT status || ' ' || urls_completed || ' ' || urls_failed
    FROM cache_jobs WHERE id = $job")" = "done 3 1" ] ||
    fail "only the origin error is a failure"

echo "== without the secret, what is cached already is fresh"
job=$(job "$site/product/6")
worker
[ "$(q "SELECT outcome || ' ' || cache_status || ' ' ||
    (ttl > 200 AND ttl <= 300) FROM page_results WHERE job_id = $job")" = \
    "fresh hit true" ] || fail "not fresh: $(q "SELECT row_to_json(p)
        FROM page_results p WHERE job_id = $job")"

echo "== with another secret, a request Varnish did not take as a warm one"
head -c 32 /dev/urandom | base64 > "$work/other.secret"
job=$(job "$site/product/6")
worker --secret-file "$work/other.secret"
[ "$(q "SELECT outcome || ': ' || reason FROM page_results
    WHERE job_id = $job")" = \
    "failed: not taken as a warm request (check the secret and the VCL)" ] ||
    fail "a refused warm request is not a failure"
echo "PASS"
