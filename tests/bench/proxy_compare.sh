#!/usr/bin/env bash
# Runs the same load through Prevu's proxy, nginx and HAProxy, one after the other, and prints
# requests per second, latency (p50, p99), the CPU-seconds the proxy used, requests per
# CPU-second and resident memory for each.
#
# Set-up: a trivial upstream (nginx answering a fixed 6-byte body) and the load generator (wrk,
# 64 keep-alive connections) share core 0; the proxy under test runs alone on core 1 with one
# thread. Everything listens on 127.0.0.1 only.
#
#   tests/bench/proxy_compare.sh [--binary PATH] [--duration SECONDS] [--soak]
#
# --binary    the standalone proxy (default: build-proxy/tests/bench/proxy_standalone, or
#             `prevu` with its `proxy` command when PATH ends in /prevu)
# --duration  seconds of load per proxy (default 10)
# --soak      10 minutes per proxy, sampling resident memory every minute
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BINARY="$ROOT/build-proxy/tests/bench/proxy_standalone"
DURATION=10
SOAK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) BINARY="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --soak) SOAK=1; DURATION=600; shift ;;
    *) echo "usage: $0 [--binary PATH] [--duration SECONDS] [--soak]" >&2; exit 2 ;;
  esac
done
if [[ ! -x "$BINARY" ]]; then
  echo "proxy binary $BINARY not found; build it with:" >&2
  echo "  cmake --build build-proxy --target proxy_standalone" >&2
  exit 1
fi
if [[ "$(nproc)" -lt 2 ]]; then
  echo "needs at least 2 cores (one for the proxy, one for the load and the upstream)" >&2
  exit 1
fi

# Debian packages of the competitors and the load generator, installed when missing.
missing=()
for tool in nginx haproxy wrk; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing ${missing[*]} from Debian" >&2
  apt-get update -qq > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2> /dev/null || true
  done
  wait 2> /dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

UPSTREAM_PORT=18901
PROXY_PORT=18900
CONNECTIONS=64
TICKS="$(getconf CLK_TCK)"

# A free-standing nginx: its own prefix, pid and temporary files, foreground, no access log.
nginx_config() {  # name, listen port, body of the http block
  mkdir -p "$WORK/$1"
  cat > "$WORK/$1/nginx.conf" << CONF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/$1/nginx.pid;
error_log $WORK/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/$1/body;
  proxy_temp_path $WORK/$1/proxy;
  fastcgi_temp_path $WORK/$1/fastcgi;
  uwsgi_temp_path $WORK/$1/uwsgi;
  scgi_temp_path $WORK/$1/scgi;
  keepalive_requests 1000000;
  $3
}
CONF
  echo "$WORK/$1/nginx.conf"
}

wait_port() {
  for _ in $(seq 100); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kb() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status"; }

# Upstream on core 0.
upstream_conf="$(nginx_config upstream "$UPSTREAM_PORT" "server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    location / { return 200 'hello\n'; }
  }")"
if (exec 3<> "/dev/tcp/127.0.0.1/$UPSTREAM_PORT") 2> /dev/null; then
  echo "127.0.0.1:$UPSTREAM_PORT is taken; stop what listens there" >&2
  exit 1
fi
taskset -c 0 nginx -c "$upstream_conf" -p "$WORK/upstream" &
PIDS+=($!)
wait_port "$UPSTREAM_PORT"

start_prevu() {
  local args=(--listen "127.0.0.1:$PROXY_PORT" --threads 1 --log-level warn
              --route "bench.local=127.0.0.1:$UPSTREAM_PORT")
  if [[ "$BINARY" == */prevu ]]; then
    args=(proxy "${args[@]}")
  fi
  taskset -c 1 "$BINARY" "${args[@]}" &
}

start_nginx() {
  local conf
  conf="$(nginx_config proxy "$PROXY_PORT" "upstream app {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive $CONNECTIONS;
  }
  server {
    listen 127.0.0.1:$PROXY_PORT;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }")"
  taskset -c 1 nginx -c "$conf" -p "$WORK/proxy" &
}

start_haproxy() {
  cat > "$WORK/haproxy.cfg" << CONF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  option forwardfor
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend front
  bind 127.0.0.1:$PROXY_PORT
  default_backend app
backend app
  server app 127.0.0.1:$UPSTREAM_PORT
CONF
  taskset -c 1 haproxy -db -f "$WORK/haproxy.cfg" &
}

# wrk's latency line for a percentile, such as "99%" → "1.23ms".
percentile() { awk -v p="$2" '$1 == p {print $2}' "$1"; }

printf "%-8s %12s %10s %10s %10s %14s %10s %10s\n" \
  proxy "requests/s" p50 p99 cpu_s "requests/cpu_s" idle_kb peak_kb
for name in prevu nginx haproxy; do
  if (exec 3<> "/dev/tcp/127.0.0.1/$PROXY_PORT") 2> /dev/null; then
    echo "127.0.0.1:$PROXY_PORT is taken; stop what listens there" >&2
    exit 1
  fi
  "start_$name"
  pid=$!
  PIDS+=("$pid")
  wait_port "$PROXY_PORT"
  sleep 0.5
  idle_kb="$(status_kb "$pid" VmRSS)"

  before="$(cpu_ticks "$pid")"
  wrk_out="$WORK/wrk-$name.txt"
  if [[ "$SOAK" -eq 1 ]]; then
    ( for minute in $(seq 1 9); do sleep 60
        echo "  $name after ${minute} min: rss_kb=$(status_kb "$pid" VmRSS)" >&2; done ) &
    sampler=$!
  fi
  taskset -c 0 wrk -t 1 -c "$CONNECTIONS" -d "${DURATION}s" --latency \
    -H "Host: bench.local" "http://127.0.0.1:$PROXY_PORT/" > "$wrk_out"
  if [[ "$SOAK" -eq 1 ]]; then
    kill "$sampler" 2> /dev/null || true
  fi
  after="$(cpu_ticks "$pid")"
  peak_kb="$(status_kb "$pid" VmHWM)"

  requests="$(awk '/requests in/ {print $1}' "$wrk_out")"
  rps="$(awk '/Requests\/sec/ {print $2}' "$wrk_out")"
  errors="$(awk '/Non-2xx|Socket errors/' "$wrk_out")"
  cpu_s="$(awk -v a="$after" -v b="$before" -v t="$TICKS" 'BEGIN {printf "%.2f", (a - b) / t}')"
  per_cpu="$(awk -v r="$requests" -v c="$cpu_s" 'BEGIN {printf "%.0f", (c > 0) ? r / c : 0}')"
  printf "%-8s %12s %10s %10s %10s %14s %10s %10s\n" "$name" "$rps" \
    "$(percentile "$wrk_out" 50%)" "$(percentile "$wrk_out" 99%)" "$cpu_s" "$per_cpu" \
    "$idle_kb" "$peak_kb"
  if [[ -n "$errors" ]]; then
    echo "  $name: $errors" >&2
  fi

  kill "$pid"
  wait "$pid" 2> /dev/null || true
  unset 'PIDS[-1]'
  sleep 0.5
done
