#!/usr/bin/env bash
# N app processes behind nginx on one machine without Docker (Debian: apt-get install nginx).
#
#   bash docs/deploy/run_replicas.sh [N=2] [PROXY_PORT=8080] [FIRST_APP_PORT=8501]
#
# Starts `python -m streamlit run app.py` N times on 127.0.0.1:FIRST_APP_PORT.. and nginx (as
# this user, no root needed for ports >= 1024) on 0.0.0.0:PROXY_PORT with docs/deploy/nginx.conf
# (its upstream list replaced by these processes). Logs and nginx's files go to $RUN_DIR (a new
# temporary folder by default); Ctrl+C or SIGTERM stops everything it started.
# Environment: PYTHON (default python3), LISTEN (default 0.0.0.0), RUN_DIR, and anything the
# app reads (SEQ2SEQ_VIZ_MODELS). The class poll needs one store for all processes: without
# SEQ2SEQ_VIZ_REDIS_URL this starts Debian's redis-server (apt-get install redis-server; REDIS,
# default redis-server) on a unix socket in $RUN_DIR and gives its URL to every app process.
# KEEP_SERVING=1: when one app process ends, nginx sends its browsers to the others (default:
# everything stops).
set -euo pipefail
N=${1:-2}
PROXY_PORT=${2:-8080}
FIRST=${3:-8501}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUN_DIR=${RUN_DIR:-$(mktemp -d -t seq2seq-viz-XXXXXX)}
PYTHON=${PYTHON:-python3}
LISTEN=${LISTEN:-0.0.0.0}
mkdir -p "$RUN_DIR/tmp"
pids=()
stop() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait
}
trap stop EXIT INT TERM

if [ -z "${SEQ2SEQ_VIZ_REDIS_URL:-}" ]; then
    REDIS=${REDIS:-$(command -v redis-server || echo /usr/bin/redis-server)}
    if [ ! -x "$REDIS" ]; then
        echo "redis-server is missing: apt-get install redis-server, or set SEQ2SEQ_VIZ_REDIS_URL" >&2
        exit 1
    fi
    "$REDIS" --port 0 --unixsocket "$RUN_DIR/redis.sock" --unixsocketperm 700 --save "" \
        --appendonly no --dir "$RUN_DIR" --logfile "$RUN_DIR/redis.log" &
    pids+=($!)
    export SEQ2SEQ_VIZ_REDIS_URL="unix://$RUN_DIR/redis.sock"
    for _ in $(seq 100); do [ -S "$RUN_DIR/redis.sock" ] && break; sleep 0.05; done
fi

servers=""
for ((i = 0; i < N; i++)); do
    port=$((FIRST + i))
    "$PYTHON" -m streamlit run "$REPO/app.py" --server.headless true \
        --server.address 127.0.0.1 --server.port "$port" >"$RUN_DIR/app-$port.log" 2>&1 &
    pids+=($!)
    servers+="    server 127.0.0.1:$port max_fails=0;"$'\n'
done

# The site: nginx.conf with these processes as its upstream, our port and our log file.
awk -v servers="$servers" '
    /# @servers-begin/ { print; printf "%s", servers; skip = 1; next }
    /# @servers-end/ { skip = 0 }
    !skip' "$HERE/nginx.conf" |
    sed -e "s|listen 80;|listen $LISTEN:$PROXY_PORT;|" \
        -e "s|/var/log/nginx/access.log|$RUN_DIR/access.log|" \
        -e "s|/var/cache/nginx/seq2seq_viz|$RUN_DIR/cache|" >"$RUN_DIR/site.conf"
# Started as root, nginx would run its workers as nobody, who may not enter $RUN_DIR.
WORKER_USER=""
if [ "$(id -u)" = 0 ]; then WORKER_USER="user root;"; fi
cat >"$RUN_DIR/nginx.conf" <<CONF
$WORKER_USER
pid $RUN_DIR/nginx.pid;
error_log $RUN_DIR/error.log;
worker_processes 1;
events { worker_connections 4096; }
http {
    client_body_temp_path $RUN_DIR/tmp/body;
    proxy_temp_path $RUN_DIR/tmp/proxy;
    fastcgi_temp_path $RUN_DIR/tmp/fastcgi;
    uwsgi_temp_path $RUN_DIR/tmp/uwsgi;
    scgi_temp_path $RUN_DIR/tmp/scgi;
    include $RUN_DIR/site.conf;
}
CONF
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
"$NGINX" -t -q -e "$RUN_DIR/error.log" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf"
"$NGINX" -e "$RUN_DIR/error.log" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g "daemon off;" &
pids+=($!)
echo "seq2seq-viz: $N app processes behind http://$LISTEN:$PROXY_PORT (logs in $RUN_DIR)"
if [ "${KEEP_SERVING:-0}" = 1 ]; then
    wait "${pids[-1]}"  # an app process that ends leaves nginx and the others serving
else
    wait -n "${pids[@]}"  # one of them ended: stop the others
fi
