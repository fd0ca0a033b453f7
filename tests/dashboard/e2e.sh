#!/bin/sh
# The dashboard in a real browser (Debian's Chromium, headless, driven by
# playwright-core) against a real stack: stoked serve serving the built
# dashboard and the API on one port, PostgreSQL, a stoked worker, the
# test origin behind a real varnishd.  A tenant signs up, adds a website,
# sets a schedule and sees its next runs (a bad one refused on its
# field), runs a job and watches it end live, reads, filters and exports
# its results and a result's details, reads the project's usage (each
# meter as the API says it) and is refused by its plan (a second
# website, 402; a day's warms spent, 429 with when to come back), adds
# a Shopware shop, sees what its job found and takes the currencies it
# proposes as the website's variants, sees the analytics' charts,
# purges a URL and sees it warmed again and on the invalidations'
# timeline, crawls the site and reads what the crawl did (its ESI fragment, then its pages, filtered apart and exported),
# makes an agent (its token shown once; the test speaks the agent
# protocol with it) and sees it on the overview with a job waiting for
# it and a failed one as an alert, revokes it, adds a webhook whose test
# reaches a receiver of e2e.mjs's own, signed, and shows delivered,
# checks the PWA's icons and offline shell, logs out; a second tenant
# sees none of it; every page again at a phone's width in dark mode and
# on a desktop in light mode, each with axe-core finding no serious or
# critical violation.  The steps are in e2e.mjs; this sets up what it
# drives.
#
# Screenshots of each page are kept in tests/dashboard/e2e.artifacts/ of
# the build tree (the suite's work directory goes at its end).
#
# Skipped (77) only when Node.js or Chromium is not installed at all;
# scripts/install-deps.sh installs both.
set -eu

chromium=${CHROMIUM:-/usr/bin/chromium}
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
	echo "SKIP: no Node.js (node, npm): scripts/install-deps.sh installs it"
	exit 77
fi
if [ ! -x "$chromium" ]; then
	echo "SKIP: no $chromium: scripts/install-deps.sh installs it"
	exit 77
fi

. "$TESTS_DIR/lib/db_suite.sh"

# The dashboard: the source tree's build if it has one (scripts/test.sh
# makes it), else one made here from a copy (a read-only tree, a
# tarball's), with its dependencies from package-lock.json.
dash=$TOP_SRCDIR/dashboard
if [ ! -f "$dash/dist/index.html" ] ||
    [ ! -d "$dash/node_modules/playwright-core" ] ||
    [ ! -d "$dash/node_modules/axe-core" ]; then
	copy=$TESTS_BUILDDIR/dashboard/app
	if [ ! -f "$copy/dist/index.html" ]; then
		rm -rf "$copy"
		mkdir -p "$copy"
		(cd "$dash" && tar cf - --exclude=./node_modules --exclude=./dist .) |
		    (cd "$copy" && tar xf -)
		chmod -R u+w "$copy"
		(cd "$copy" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
		    npm ci --no-audit --no-fund --prefer-offline &&
		    npm run build) || {
			echo "FAIL: the dashboard does not build" >&2
			exit 1
		}
	fi
	dash=$copy
fi

artifacts=$TESTS_BUILDDIR/dashboard/e2e.artifacts
rm -rf "$artifacts"
mkdir -p "$artifacts"

suite_begin e2e
suite_pg
# Slow enough a page (-d) that a job of its sitemap is seen under way.
suite_origin origin -n 60 -d 40
suite_varnish v default.vcl
# A Shopware-like shop, warmed straight (its website has no node).
suite_origin shop -s shopware -n 6

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private --rate-user-burst 100000 \
    --dashboard "$dash/dist" > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")
"$STOKED" worker --database-url "$PGURL" --secret-file "$work/secret" \
    --allow-private --poll 0.2 --timeout 10 --batch 8 \
    --notify-poll 0.2 --notify-retry 0.3 > "$work/worker.log" 2>&1 &
suite_bg $!

NODE_PATH=$dash/node_modules CHROMIUM=$chromium PGURL=$PGURL SHOP_ORIGIN=$shop \
    node "$TESTS_DIR/dashboard/e2e.mjs" "$port" "$origin" "$v" \
    "$artifacts" "$dash/node_modules" || fail "e2e.mjs"
echo "e2e: ok; screenshots in $artifacts"
