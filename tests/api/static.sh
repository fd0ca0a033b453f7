#!/bin/sh
# The dashboard's files as stoked serve serves them at /, beside the API
# on its port: types, caching (hashed assets immutable, the shell
# no-cache), the single-page fallback, HEAD, gzip'd files when the client
# takes them, the API's unknown paths still its JSON 404, and no way out
# of the directory: "..", encoded or not, NUL, hidden files, links that
# lead out.  Then a stoked with no build: a page saying how to make one.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin static
suite_pg

# A built dashboard, as vite writes one, and what must not be reached.
d=$work/site/dist
mkdir -p "$d/assets" "$d/deep/dir"
echo '<!doctype html><title>shell</title><div id=app></div>' > "$d/index.html"
i=0
while [ $i -lt 200 ]; do
	echo "console.log('stoke dashboard line $i')"
	i=$((i + 1))
done > "$d/assets/index-4f2a9c.js"
gzip -9 -k "$d/assets/index-4f2a9c.js"
echo 'body{color:red}' > "$d/assets/index-77aa.css"
echo '{"name":"Stoke"}' > "$d/manifest.webmanifest"
echo 'inside' > "$d/deep/dir/file.txt"
echo 'SECRET-OUTSIDE' > "$work/site/secret.txt"
echo 'SECRET-HIDDEN' > "$d/.env"
ln -s ../secret.txt "$d/out.txt"
ln -s / "$d/root"
ln -s deep/dir/file.txt "$d/in.txt"
mkdir "$work/empty"

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --dashboard "$d" > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --dashboard "$work/empty" \
    > "$work/serve2.log" 2>&1 &
suite_bg $!
port2=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve2.log")

n=0
# get NAME PATH [CURL ARGS...]: $status, $headers (lower-case names), $body
get() {
	what=$1
	path=$2
	shift 2
	status=$(curl -s --path-as-is -o "$work/body" -D "$work/headers" \
	    -w '%{http_code}' "$@" "http://127.0.0.1:${P:-$port}$path") ||
	    fail "$what: curl"
	headers=$(tr -d '\r' < "$work/headers" | tr 'A-Z' 'a-z')
	body=$(tr -d '\000' < "$work/body")
	n=$((n + 1))
}
want_status() {
	[ "$status" = "$1" ] || fail "$what: status $status, want $1: $body"
}
want_header() {
	printf '%s\n' "$headers" | grep -qx "$1" ||
	    fail "$what: no header '$1' in: $headers"
}
no_header() {
	! printf '%s\n' "$headers" | grep -q "^$1:" ||
	    fail "$what: header $1 in: $headers"
}
want_body() {
	case $body in
	*"$1"*) ;;
	*) fail "$what: body lacks '$1': $body" ;;
	esac
}
json_error() {
	want_status "$1"
	want_header 'content-type: application/json'
	printf '%s' "$body" | python3 -c '
import json, sys
e = json.load(sys.stdin)["error"]
assert e["code"] == sys.argv[1] and e["message"], e
' "$2" || fail "$what: not the error $2: $body"
	case $body in
	*SECRET*) fail "$what: a secret leaked" ;;
	esac
}

# The shell, by / and by any path the dashboard's router has.
for p in / /index.html /projects/3/websites /jobs/12 /login?next=/x; do
	get "the shell at $p" "$p"
	want_status 200
	want_header 'content-type: text/html; charset=utf-8'
	want_header 'cache-control: no-cache'
	want_header "content-security-policy: default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	want_body '<title>shell</title>'
done

# A hashed asset: immutable, its type; gzip'd to a client that takes it.
get "an asset" /assets/index-4f2a9c.js
want_status 200
want_header 'content-type: text/javascript; charset=utf-8'
want_header 'cache-control: public, max-age=31536000, immutable'
want_header 'vary: accept-encoding'
want_header 'x-content-type-options: nosniff'
no_header content-encoding
cmp -s "$work/body" "$d/assets/index-4f2a9c.js" || fail "$what: not the file"
get "an asset, gzip'd" /assets/index-4f2a9c.js -H 'Accept-Encoding: gzip'
want_status 200
want_header 'content-encoding: gzip'
want_header 'content-type: text/javascript; charset=utf-8'
cmp -s "$work/body" "$d/assets/index-4f2a9c.js.gz" || fail "$what: not the .gz"
get "gzip refused" /assets/index-4f2a9c.js -H 'Accept-Encoding: gzip;q=0'
no_header content-encoding
get "a stylesheet, no .gz beside" /assets/index-77aa.css \
    -H 'Accept-Encoding: gzip'
want_header 'content-type: text/css; charset=utf-8'
no_header content-encoding
no_header vary
get "the manifest" /manifest.webmanifest
want_header 'content-type: application/manifest+json'
want_header 'cache-control: no-cache'

# HEAD: the headers and the length, and not a byte more on the wire.
get "HEAD" /assets/index-4f2a9c.js -I
want_status 200
want_header "content-length: $(wc -c < "$d/assets/index-4f2a9c.js" | tr -d ' ')"
python3 - "$port" <<'EOP' || fail "HEAD: a body on the wire"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"HEAD /assets/index-4f2a9c.js HTTP/1.1\r\nHost: x\r\n"
          b"Connection: close\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
head, _, rest = data.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 200"), head
assert rest == b"", rest[:100]
EOP
get "HEAD of the shell" /websites/1 -I
want_status 200
want_header 'content-type: text/html; charset=utf-8'

# A missing asset is not the shell (a script that is HTML breaks a page).
get "a missing asset" /assets/index-0000.js
json_error 404 not_found

# The API's paths stay the API's, whatever the dashboard.
get "an unknown API path" /api/nothing
json_error 404 not_found
get "/api itself" /api
json_error 404 not_found
get "an API route" /healthz
want_status 200
want_header 'content-type: application/json'
get "the API's description" /api/openapi.json
want_status 200
want_header 'content-type: application/json'
get "a POST is no file's" /index.html -X POST
json_error 404 not_found
get "a known route, another method" /api/projects -X PATCH
json_error 405 method_not_allowed

# No way out of the directory.
for p in /../secret.txt /assets/../../secret.txt /%2e%2e/secret.txt \
    /%2E%2E/secret.txt /.%2e/secret.txt /assets/..%2f..%2fsecret.txt \
    /assets%2f..%2f..%2fsecret.txt /..%5csecret.txt /index.html%00.js \
    /.env /%2eenv /assets/./index-77aa.css /out.txt /root/etc/passwd \
    /root/etc/hostname /% /%zz; do
	get "out of the directory: $p" "$p"
	json_error 404 not_found
done
# Links inside it are its own files.
get "a link inside" /in.txt
want_status 200
want_body inside
get "a file deeper" /deep//dir/file.txt
want_status 200
want_header 'content-type: text/plain; charset=utf-8'
get "a directory is not a file" /deep/dir
want_status 200
want_body '<title>shell</title>'

# No build: every such path says how to make one, the API works.
P=$port2
for p in / /projects/1 /assets/index-4f2a9c.js; do
	get "unbuilt: $p" "$p"
	want_status 404
	want_header 'content-type: text/html; charset=utf-8'
	want_header 'cache-control: no-cache'
	want_body 'npm ci &amp;&amp; npm run build'
done
get "unbuilt: HEAD" / -I
want_status 404
get "unbuilt: the API" /healthz
want_status 200
P=

# The option is documented.
"$STOKED" serve --help | grep -q -- '--dashboard DIR' || fail "serve --help"
"$STOKED" run --help | grep -q -- '--dashboard DIR' || fail "run --help"
echo "static: $n requests"
