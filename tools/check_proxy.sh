#!/bin/sh
# Tries docs/nginx-vipmg.conf for real: two replicas of the app on the current VIPMG_DATA_DIR / VIPMG_CATALOGUE_URL,
# Debian's nginx in front of them on high ports with a throw-away self-signed certificate, then checks through the
# proxy: `nginx -t`, the HTTP->HTTPS redirect, health, a websocket upgrade on /_stcore/stream, the data by URL, and
# stickiness: each new browser (a cookie jar) is given a route cookie, and with it always reaches the same replica
# whatever its address, while browsers from one address may reach either.
# Everything runs from a temporary folder and is stopped at the end. Needs nginx, openssl and curl.
#   VIPMG_DATA_DIR=... VIPMG_CATALOGUE_URL=... sh tools/check_proxy.sh
# KEEP=1 leaves it running (prints the address) until Ctrl+C.
set -eu
HERE="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PY:-$HERE/.venv/bin/python}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
WORK="$(mktemp -d /tmp/vipmg-proxy.XXXXXX)"
HTTP_PORT="${HTTP_PORT:-18080}" HTTPS_PORT="${HTTPS_PORT:-18443}" R1="${R1:-18501}" R2="${R2:-18502}"
PIDS=""
cleanup() {
    [ -f "$WORK/nginx.pid" ] && "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -s stop 2>/dev/null || true
    for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -keyout "$WORK/privkey.pem" -out "$WORK/fullchain.pem" 2>/dev/null
# The shipped site, with only the ports, the name and the certificate's place changed.
sed -e "s#/etc/ssl/vipmg/#$WORK/#" -e "s/lab.example.org/localhost/" \
    -e "s/listen 80;/listen $HTTP_PORT;/" -e "s/listen \[::\]:80;/listen [::]:$HTTP_PORT;/" \
    -e "s/listen 443 /listen $HTTPS_PORT /" -e "s/listen \[::\]:443 /listen [::]:$HTTPS_PORT /" \
    -e "s/127.0.0.1:8501/127.0.0.1:$R1/" -e "s/127.0.0.1:8502/127.0.0.1:$R2/" \
    "$HERE/docs/nginx-vipmg.conf" > "$WORK/vipmg.conf"
cat > "$WORK/nginx.conf" <<EOF
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events {}
http {
    log_format upstream '\$remote_addr "\$request" host="\$http_host" \$status upstream=\$upstream_addr';
    access_log $WORK/access.log upstream;
    client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy; fastcgi_temp_path $WORK/fastcgi;
    uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
    include $WORK/vipmg.conf;
}
EOF
echo "== nginx -t"
"$NGINX" -t -p "$WORK" -c "$WORK/nginx.conf"

cd "$HERE"
for port in "$R1" "$R2"; do
    VIPMG_BEHIND_PROXY=1 "$PY" -m streamlit run app.py --server.port "$port" --server.address 127.0.0.1 \
        --server.headless true --browser.gatherUsageStats false --server.fileWatcherType none \
        >/dev/null 2>"$WORK/replica-$port.log" &
    PIDS="$PIDS $!"
done
export no_proxy='*' NO_PROXY='*'
for port in "$R1" "$R2"; do
    i=0
    until [ "$(curl -s "http://127.0.0.1:$port/_stcore/health")" = "ok" ]; do
        i=$((i + 1)); [ "$i" -gt 240 ] && { echo "replica $port did not start:"; tail "$WORK/replica-$port.log"; exit 1; }
        sleep 0.25
    done
done
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf"
BASE="https://localhost:$HTTPS_PORT"
C="curl -s -k"
fail() { echo "FAILED: $*"; exit 1; }

echo "== http -> https"
$C -o /dev/null -w '%{http_code} %{redirect_url}\n' "http://localhost:$HTTP_PORT/crosstab?xds=returns" | tee "$WORK/out"
grep -q "^301 https://localhost/crosstab?xds=returns" "$WORK/out" || fail redirect
echo "== health through the proxy"
[ "$($C "$BASE/_stcore/health")" = "ok" ] || fail health
echo "ok"
echo "== websocket upgrade on /_stcore/stream"
$C -o /dev/null -w '%{http_code}\n' --max-time 3 --http1.1 -H "Connection: Upgrade" -H "Upgrade: websocket" \
    -H "Sec-WebSocket-Version: 13" -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
    -H "Origin: $BASE" -H "Sec-WebSocket-Protocol: streamlit" "$BASE/_stcore/stream" > "$WORK/out" || true
cat "$WORK/out"; grep -q "^101" "$WORK/out" || fail "websocket upgrade"
echo "== the browser's Host reaches the replica: a sign-out POST from this site passes, one from another is refused"
same="$($C -o /dev/null -w '%{http_code}' -X POST -H "Origin: $BASE" "$BASE/vipmg/sign-out")"
other="$($C -o /dev/null -w '%{http_code}' -X POST -H "Origin: https://elsewhere.example" "$BASE/vipmg/sign-out")"
echo "same site $same, other site $other"; [ "$same" = 204 ] && [ "$other" = 403 ] || fail "Host forwarding"
echo "== the data by URL through the proxy"
$C -o /dev/null -w '%{http_code} %{content_type}\n' "$BASE/api/v1/catalogue.json" | tee "$WORK/out"
grep -q "^200 application/json" "$WORK/out" || fail api
echo "== stickiness: 9 browsers (a cookie jar each) from one address, each then moving between addresses"
# The proxy routes by the cookie it gives each browser, not by the address: a room behind one NAT shares one.
for n in 1 2 3 4 5 6 7 8 9; do
    jar="$WORK/jar$n"
    $C -c "$jar" -D "$WORK/head" -o /dev/null "$BASE/_stcore/health?browser=$n"
    grep -qi '^set-cookie: vipmg_route=[0-9a-f]\{32\}; Path=/; Secure; HttpOnly; SameSite=Lax' "$WORK/head" \
        || fail "a new browser was given no sticky cookie: $(cat "$WORK/head")"
    for src in 1 1 2 3 4; do
        $C --interface "127.0.0.$src" -b "$jar" -c "$jar" -D "$WORK/head" -o /dev/null "$BASE/_stcore/health?browser=$n"
        if grep -qi '^set-cookie: vipmg_route' "$WORK/head"; then fail "a browser with its cookie was given another"; fi
    done
done
sed -n 's/.*health?browser=\([0-9]*\) .*upstream=\(.*\)$/\1 \2/p' "$WORK/access.log" | sort | uniq -c | tee "$WORK/sticky"
[ "$(wc -l < "$WORK/sticky")" -eq 9 ] && [ "$(awk '{print $2}' "$WORK/sticky" | sort -u | wc -l)" -eq 9 ] \
    && [ "$(awk '{s += $1} END {print s}' "$WORK/sticky")" -eq 54 ] || fail "a browser reached two replicas"
echo "every browser (6 requests, from 4 addresses) reached one replica; replicas used:" \
    "$(awk '{print $3}' "$WORK/sticky" | sort -u | tr '\n' ' ')"
if [ "${KEEP:-0}" = "1" ]; then
    echo "running at $BASE (Ctrl+C stops)"; while :; do sleep 3600; done
fi
echo "all checks passed"
