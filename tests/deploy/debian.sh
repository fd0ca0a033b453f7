#!/bin/sh
# The Debian packages, from build to purge.  dpkg-buildpackage makes
# stoke and varnish-stoke from a copy of the source tree (configured as
# a test build is, without sanitizers); lintian, when installed, finds
# no error in them, and their contents and dependencies are checked.
# They are installed with dpkg; then stoked runs as the packaged user
# with the packaged config file (filled in as an operator would, one
# option overridden on the command line) against a varnishd running the
# packaged VCL and vmod, a throwaway PostgreSQL and the test origin: a
# URL warmed, purged and warmed again at once.  Stopped, removed,
# purged: nothing of them is left.
#
# systemd is not PID 1 where this runs: the units are checked as files
# (systemd-analyze verify and security --offline), and stoked is run as
# they would run it: user stoke, group varnish too, no new privileges,
# no capabilities (setpriv).
#
# It installs packages: root only (skipped otherwise), and never over
# an installed stoke.  Whatever happens, the machine is left as found:
# both packages purged, the stoke user removed if this test made it.
set -eu

. "$TESTS_DIR/lib/db_suite.sh"

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "installing packages needs root"
for t in dpkg-buildpackage dh dh_autoreconf setpriv; do
	command -v $t > /dev/null || skip "no $t (scripts/install-deps.sh)"
done
for p in stoke varnish-stoke; do
	! dpkg-query -W -f='${Status}' $p 2> /dev/null | grep -q installed ||
	    skip "$p is installed on this machine: not touching it"
done

suite_begin debian
made_user=
getent passwd stoke > /dev/null || made_user=yes
suite_atexit 'cleanup_packages'
run=
cleanup_packages() {
	# The user goes only once nothing runs as it.
	[ -z "$run" ] || kill -9 "$run" 2> /dev/null || true
	[ -z "$run" ] || wait "$run" 2> /dev/null || true
	dpkg --purge stoke varnish-stoke > /dev/null 2>&1 || true
	if [ -n "$made_user" ] && getent passwd stoke > /dev/null; then
		userdel stoke 2> /dev/null || true
		groupdel stoke 2> /dev/null || true
	fi
}

echo "== dpkg-buildpackage, from a copy of the source tree"
src=$work/build/stoke
mkdir -p "$src"
# A git work tree's top; not a distribution's tree that make distcheck
# unpacked inside one (under its _build), which git would see as an
# ignored part of the work tree around it.
if [ "$(git -C "$TOP_SRCDIR" rev-parse --show-toplevel 2> /dev/null)" = \
    "$(cd "$TOP_SRCDIR" && pwd -P)" ]; then
	# What is in the tree, committed or not, but no build's leftovers.
	git -C "$TOP_SRCDIR" ls-files -z -co --exclude-standard |
	    (cd "$TOP_SRCDIR" && tar --null -T - -cf -) | tar -xf - -C "$src"
else
	# A distribution's tree (make distcheck) has nothing else.
	(cd "$TOP_SRCDIR" && tar --exclude=./_build -cf - .) |
	    tar -xf - -C "$src"
fi
# The package carries the dashboard built beforehand: one it finds in
# dashboard/dist, here a stand-in when the tree has no build.
if [ -f "$TOP_SRCDIR/dashboard/dist/index.html" ]; then
	cp -R "$TOP_SRCDIR/dashboard/dist" "$src/dashboard/"
else
	mkdir -p "$src/dashboard/dist"
	echo '<!doctype html><title>Stoke</title>' > \
	    "$src/dashboard/dist/index.html"
fi
start=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="noautodbgsym parallel=2" \
    nice dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1 ||
    fail "dpkg-buildpackage failed"
echo "built in $(($(date +%s) - start)) s"
deb=$(ls "$work"/build/stoke_*_*.deb)
vdeb=$(ls "$work"/build/varnish-stoke_*_*.deb)

echo "== what the packages hold and need"
dpkg-deb -c "$deb" | awk '{ print $6 }' > "$work/stoke.files"
dpkg-deb -c "$vdeb" | awk '{ print $6 }' > "$work/varnish-stoke.files"
vmoddir=$(pkg-config --variable=vmoddir varnishapi)
for f in ./usr/bin/stoked ./etc/stoke/stoked.conf \
    ./lib/systemd/system/stoked-run.service \
    ./lib/systemd/system/stoked-serve.service \
    ./lib/systemd/system/stoked-worker@.service \
    ./lib/systemd/system/stoked-agent.service \
    ./usr/share/man/man1/stoked.1.gz \
    ./usr/share/stoke/dashboard/index.html; do
	grep -qx "$f" "$work/stoke.files" || fail "stoke lacks $f"
done
for c in agent db events index job migrate run serve sign version warm \
    worker; do
	grep -qx "./usr/share/man/man1/stoked-$c.1.gz" "$work/stoke.files" ||
	    fail "stoke lacks stoked-$c(1)"
done
for f in ".$vmoddir/libvmod_stoke.so" \
    ./usr/share/varnish/vcl/stoke/stoke.vcl \
    ./usr/share/varnish/vcl/stoke/default.vcl \
    ./usr/share/varnish/vcl/stoke/shopware6.vcl; do
	grep -qx "$f" "$work/varnish-stoke.files" ||
	    fail "varnish-stoke lacks $f"
done
# The vmod's ABI is the varnish it was built with's, strictly.
abi=$(dpkg-query -W -f='${Provides}' varnish | tr ',' '\n' |
    sed -n 's/^ *\(varnishabi-strict-[0-9a-f]*\).*/\1/p')
[ -n "$abi" ] || fail "varnish provides no strict ABI"
dpkg-deb -f "$vdeb" Depends | tr ',' '\n' | grep -qx " *$abi" ||
    fail "varnish-stoke does not depend on $abi: $(dpkg-deb -f "$vdeb" Depends)"
dpkg-deb -f "$deb" Depends | grep -q adduser || fail "stoke: no adduser"

if command -v lintian > /dev/null; then
	echo "== lintian"
	lintian --fail-on error --suppress-tags-from-file /dev/null \
	    "$deb" "$vdeb" > "$work/lintian.log" 2>&1 ||
	    {
		cat "$work/lintian.log" >&2
		fail "lintian finds errors"
	    }
	grep -c '^W:' "$work/lintian.log" | sed 's/$/ lintian warnings/'
fi

echo "== dpkg -i"
dpkg -i "$deb" "$vdeb" > "$work/install.log" 2>&1 || fail "dpkg -i failed"
getent passwd stoke | grep -q ':/var/lib/stoke:/usr/sbin/nologin$' ||
    fail "no stoke system user: $(getent passwd stoke)"
[ "$(stat -c %U "/var/lib/stoke")" = stoke ] || fail "/var/lib/stoke"
dpkg-query -W -f='${Conffiles}\n' stoke | grep -q /etc/stoke/stoked.conf ||
    fail "stoked.conf is not a conffile"
zcat /usr/share/man/man1/stoked-serve.1.gz | grep -q '^\.BR .*\\-\\-listen' ||
    fail "stoked-serve(1) says nothing of --listen"

echo "== the packaged config file: read by default, every key real"
/usr/bin/stoked version > /dev/null 2> "$work/err" ||
    fail "the packaged config is refused: $(cat "$work/err")"
# Every option it mentions, commented out, is one its command takes.
sed 's/^#\([a-z][a-z-]* = \)/\1/' /etc/stoke/stoked.conf > "$work/all.conf"
/usr/bin/stoked --config "$work/all.conf" version > /dev/null \
    2> "$work/err" || fail "its shared keys: $(cat "$work/err")"
section=
sed -n 's/^\([a-z][a-z-]*\) = .*/\1/p; s/^\[\([a-z]*\)\]$/[\1]/p' \
    "$work/all.conf" | while read -r k; do
	case $k in
	\[*\])
		section=${k#[}
		section=${section%]}
		continue
		;;
	esac
	[ -n "$section" ] || continue
	STOKE_CONFIG=/dev/null /usr/bin/stoked "$section" --help |
	    grep -q -- "--$k " || fail "[$section] $k: no such option"
done

if command -v systemd-analyze > /dev/null; then
	echo "== the units, as files"
	for u in stoked-run.service stoked-serve.service \
	    stoked-worker@.service stoked-agent.service; do
		f=/lib/systemd/system/$u
		[ "$u" != stoked-worker@.service ] || {
			cp "$f" "$work/stoked-worker@1.service"
			f=$work/stoked-worker@1.service
		}
		systemd-analyze verify --man=no "$f" > "$work/verify.log" \
		    2>&1 || {
			cat "$work/verify.log" >&2
			fail "$u does not verify"
		}
		systemd-analyze security --offline=true --threshold=25 \
		    --no-pager "$f" > "$work/security.log" 2>&1 || {
			tail -3 "$work/security.log" >&2
			fail "$u is exposed"
		}
		echo "$u: $(grep -o 'Overall exposure level.*' \
		    "$work/security.log")"
	done
fi

echo "== stoked run, as the unit runs it, with the packaged files"
pg_start "$work/pg"
suite_origin origin
d=$work/v
mkdir -p "$d"
cp "$work/origin.log" "$d/origin.out"
sh "$TESTS_DIR/vcl/site.sh" /usr/share/varnish/vcl/stoke/default.vcl "$d" \
    > /dev/null
# No vmod_path: varnishd finds vmod_stoke where the package put it.
varnishd -F -n "$d/n" -a 127.0.0.1:0 -f "$d/site.vcl" \
    -p vcl_path=/usr/share/varnish/vcl/stoke:/usr/share/varnish/vcl \
    > "$work/varnishd.log" 2>&1 &
suite_varnishd="$suite_varnishd $!"
end=$(($(date +%s) + 30))
until v=$(varnishadm -n "$d/n" debug.listen_address 2> /dev/null |
    awk '{ print $3; exit }') && [ -n "$v" ]; do
	[ "$(date +%s)" -lt "$end" ] || fail "varnishd did not start"
	sleep 0.2
done
varnishadm -n "$d/n" vcl.list > /dev/null
chmod 644 "$d/secret"

# What an operator writes: the shared keys before the first section,
# the run's in [run] (its listen is overridden on the command line).
awk -v db="$PGURL" -v secret="$d/secret" -v n="$d/n" -v v="$v" '
	/^\[/ && !shared { print "database-url = " db; print "secret-file = " secret; shared = 1 }
	{ print }
	/^\[run\]$/ { print "name = " n; print "node = http://127.0.0.1:" v; print "listen = 127.0.0.1:1" }
    ' /etc/stoke/stoked.conf > "$work/stoked.conf"
cat "$work/stoked.conf" > /etc/stoke/stoked.conf
# User stoke, group varnish besides, no new privileges, no capabilities:
# a command, exec'd (so that $! is stoked's).
as_unit="env HOME=/var/lib/stoke setpriv --reuid=stoke --regid=stoke
    --groups=$(getent group varnish | cut -d: -f3) --no-new-privs
    --bounding-set=-all --inh-caps=-all --"
$as_unit /usr/bin/stoked migrate > "$work/migrate.log" 2>&1 ||
    fail "stoked migrate (the shared database-url)"
$as_unit /usr/bin/stoked run --listen 127.0.0.1:0 > "$work/run.log" 2>&1 &
run=$!
suite_bg $run
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/run.log") ||
    fail "stoked run does not listen"
[ "$(ps -o user= -p $run)" = stoke ] || fail "stoked runs as $(ps -o user= -p $run)"
"$TESTS_DIR/lib/wait_metric.sh" "$port" '^stoke_vsl_attached.* 1$' ||
    fail "stoked run does not read varnishd's log"

url=http://shop.test/product/1
hit() {
	curl -sf -D - -o /dev/null -H "Host: shop.test" \
	    "http://127.0.0.1:$v/product/1" | tr -d '\r' |
	    grep -q '^X-Varnish: [0-9][0-9]* [0-9][0-9]*$'
}
echo "-- warmed"
$as_unit /usr/bin/stoked warm --node "http://127.0.0.1:$v" "$url" \
    > "$work/warm.log" 2>&1 || fail "stoked warm failed"
grep -q cached "$work/warm.log" || fail "not cached: $(cat "$work/warm.log")"
hit || fail "warmed, yet no hit"
"$TESTS_DIR/lib/wait_metric.sh" "$port" '^stoke_index_objects.* [1-9]' ||
    fail "the index does not know it"

echo "-- purged, and warmed again at once"
curl -sf -o /dev/null -X PURGE -H "Host: shop.test" \
    "http://127.0.0.1:$v/product/1" || fail "PURGE refused"
"$TESTS_DIR/lib/wait_metric.sh" "$port" \
    '^stoke_rewarm_refreshed_total.* 1$' || fail "not re-warmed"
hit || fail "re-warmed, yet no hit"
until_true 30 "SELECT count(*) > 0 FROM invalidation_events"

echo "== stopped, removed, purged"
kill -TERM $run
wait_exit $run 30 || fail "stoked run exited $?"
run=
for p in $suite_varnishd; do
	kill "$p"
	wait "$p" 2> /dev/null || true
done
suite_varnishd=
dpkg -r stoke varnish-stoke > "$work/remove.log" 2>&1 || fail "dpkg -r"
[ -f /etc/stoke/stoked.conf ] || fail "removing took the conffile"
[ ! -e /usr/bin/stoked ] || fail "removed, yet /usr/bin/stoked"
dpkg --purge stoke varnish-stoke > "$work/purge.log" 2>&1 ||
    fail "dpkg --purge"
left=
for f in $(sed 's/^\.//' "$work/stoke.files" "$work/varnish-stoke.files"); do
	[ -d "$f" ] || [ ! -e "$f" ] || left="$left $f"
done
for f in /etc/stoke /var/lib/stoke /usr/share/stoke \
    /usr/share/varnish/vcl/stoke; do
	[ ! -e "$f" ] || left="$left $f"
done
[ -z "$left" ] || fail "purged, yet left:$left"
! dpkg-query -W -f='${Status}' stoke 2> /dev/null | grep -q installed ||
    fail "stoke is still known"
# The user stays, as Debian's packages leave theirs (debian/stoke.postrm);
# the cleanup removes it since this test made it.
getent passwd stoke > /dev/null || fail "purge took the stoke user"
echo "PASS"
