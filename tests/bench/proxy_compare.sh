#!/usr/bin/env bash
# Runs the same load through Prevu's proxy, nginx and HAProxy, one after the other, and prints
# requests per second, latency (p50, p99), the CPU-seconds the proxy used, requests per
# CPU-second and resident memory for each. Then the HTTPS part, Prevu against nginx with the
# same certificate (a self-signed ECDSA P-256 one made here): requests per CPU-second over
# HTTPS keep-alive, new connections per second with a request each (wrk with "Connection:
# close"; wrk resumes its TLS 1.2 sessions), and full TLS 1.3 handshakes per second without
# resumption (a small Python client), each also per CPU-second of the proxy.
#
# Set-up: a trivial upstream (nginx answering a fixed 6-byte body) and the load generator (wrk,
# 64 keep-alive connections) share core 0; the proxy under test runs alone on core 1 with one
# thread. Everything listens on 127.0.0.1 only.
#
#   tests/bench/proxy_compare.sh [--binary PATH] [--duration SECONDS] [--soak]
#                                [--part plain|https|all] [--only prevu|nginx|haproxy]
#
# --binary    the standalone proxy (default: build-proxy/tests/bench/proxy_standalone, or
#             `prevu` with its `proxy` command when PATH ends in /prevu)
# --duration  seconds of load per proxy and measurement (default 10)
# --soak      10 minutes per proxy, sampling resident memory every minute (plain part only)
# --part      which part to run (default all)
# --only      one proxy of the plain part alone (a soak of Prevu alone takes 10 minutes, not 30)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BINARY="$ROOT/build-proxy/tests/bench/proxy_standalone"
DURATION=10
SOAK=0
ONLY=""
PART=all
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) BINARY="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --soak) SOAK=1; DURATION=600; PART=plain; shift ;;
    --only) ONLY="$2"; shift 2 ;;
    --part) PART="$2"; shift 2 ;;
    *) echo "usage: $0 [--binary PATH] [--duration SECONDS] [--soak] [--part plain|https|all]" \
         "[--only prevu|nginx|haproxy]" >&2
       exit 2 ;;
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
for tool in nginx haproxy wrk openssl python3; do
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
TLS_PORT=18902
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

# wrk's latency line for a percentile, such as "99%" → "1.23ms".
percentile() { awk -v p="$2" '$1 == p {print $2}' "$1"; }

port_free() {
  if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then
    echo "127.0.0.1:$1 is taken; stop what listens there" >&2
    exit 1
  fi
}

# Runs wrk on core 0 against URL with extra arguments; sets REQUESTS, RPS, P50, P99 and prints
# socket errors or non-2xx answers to stderr.
run_wrk() {  # name, url, wrk arguments...
  local name="$1" url="$2"
  shift 2
  local out="$WORK/wrk-$name.txt"
  taskset -c 0 wrk -t 1 -c "$CONNECTIONS" -d "${DURATION}s" --latency "$@" "$url" > "$out"
  REQUESTS="$(awk '/requests in/ {print $1}' "$out")"
  RPS="$(awk '/Requests\/sec/ {print $2}' "$out")"
  P50="$(percentile "$out" 50%)"
  P99="$(percentile "$out" 99%)"
  local errors
  errors="$(awk '/Non-2xx|Socket errors/' "$out")"
  if [[ -n "$errors" ]]; then
    echo "  $name: $errors" >&2
  fi
}

cpu_seconds() { awk -v a="$2" -v b="$1" -v t="$TICKS" 'BEGIN {printf "%.2f", (a - b) / t}'; }
per_cpu() { awk -v r="$1" -v c="$2" 'BEGIN {printf "%.0f", (c > 0) ? r / c : 0}'; }

# Upstream on core 0.
upstream_conf="$(nginx_config upstream "$UPSTREAM_PORT" "server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    location / { return 200 'hello\n'; }
  }")"
port_free "$UPSTREAM_PORT"
taskset -c 0 nginx -c "$upstream_conf" -p "$WORK/upstream" &
PIDS+=($!)
wait_port "$UPSTREAM_PORT"

start_prevu() {
  local args=(--listen "127.0.0.1:$PROXY_PORT" --threads 1 --log-level warn
              --route "bench.local=127.0.0.1:$UPSTREAM_PORT")
  if [[ "$BINARY" == */prevu ]]; then
    args=(proxy "${args[@]}")
  fi
  taskset -c 1 "$BINARY" "${args[@]}" "$@" &
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

if [[ "$PART" == plain || "$PART" == all ]]; then
printf "%-8s %12s %10s %10s %10s %14s %10s %10s\n" \
  proxy "requests/s" p50 p99 cpu_s "requests/cpu_s" idle_kb peak_kb
for name in ${ONLY:-prevu nginx haproxy}; do
  port_free "$PROXY_PORT"
  "start_$name"
  pid=$!
  PIDS+=("$pid")
  wait_port "$PROXY_PORT"
  sleep 0.5
  idle_kb="$(status_kb "$pid" VmRSS)"

  before="$(cpu_ticks "$pid")"
  if [[ "$SOAK" -eq 1 ]]; then
    ( for minute in $(seq 1 9); do sleep 60
        echo "  $name after ${minute} min: rss_kb=$(status_kb "$pid" VmRSS)" >&2; done ) &
    sampler=$!
  fi
  run_wrk "$name" "http://127.0.0.1:$PROXY_PORT/" -H "Host: bench.local"
  if [[ "$SOAK" -eq 1 ]]; then
    kill "$sampler" 2> /dev/null || true
  fi
  after="$(cpu_ticks "$pid")"
  cpu_s="$(cpu_seconds "$before" "$after")"
  printf "%-8s %12s %10s %10s %10s %14s %10s %10s\n" "$name" "$RPS" "$P50" "$P99" "$cpu_s" \
    "$(per_cpu "$REQUESTS" "$cpu_s")" "$idle_kb" "$(status_kb "$pid" VmHWM)"

  kill "$pid"
  wait "$pid" 2> /dev/null || true
  unset 'PIDS[-1]'
  sleep 0.5
done
fi

if [[ "$PART" == https || "$PART" == all ]]; then
# HTTPS: the same certificate for both, valid for localhost (wrk's SNI) and bench.local.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.local \
  -addext "subjectAltName=DNS:localhost,DNS:bench.local" -keyout "$WORK/key.pem" \
  -out "$WORK/cert.pem" 2> /dev/null

start_prevu_tls() {
  start_prevu --tls-listen "127.0.0.1:$TLS_PORT" --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
    --route "localhost=127.0.0.1:$UPSTREAM_PORT"
}

start_nginx_tls() {
  local conf
  conf="$(nginx_config proxy-tls "$TLS_PORT" "upstream app {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive $CONNECTIONS;
  }
  server {
    listen 127.0.0.1:$TLS_PORT ssl;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-Proto https;
    }
  }")"
  taskset -c 1 nginx -c "$conf" -p "$WORK/proxy-tls" &
}

# Full TLS 1.3 handshakes (ECDHE, certificate, no session offered) from 4 threads on core 0 for
# DURATION seconds; prints how many completed and how many failed.
full_handshakes() {
  taskset -c 0 python3 - "$TLS_PORT" "$DURATION" 4 << 'PY'
import socket, ssl, sys, threading, time
port, seconds, threads = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.minimum_version = ssl.TLSVersion.TLSv1_3
context.set_alpn_protocols(["http/1.1"])
done = [0] * threads
failed = [0] * threads
deadline = time.monotonic() + seconds
def run(i):
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port)) as raw:
                with context.wrap_socket(raw, server_hostname="localhost"):
                    done[i] += 1
        except OSError:
            failed[i] += 1
workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(sum(done), sum(failed))
PY
}

echo
printf "%-8s %12s %10s %10s %14s %12s %14s %12s %14s %10s\n" https "requests/s" p50 p99 \
  "requests/cpu_s" "new_conns/s" "new_conns/cpu_s" "full_hs/s" "full_hs/cpu_s" peak_kb
for name in prevu nginx; do
  port_free "$TLS_PORT"
  port_free "$PROXY_PORT"
  "start_${name}_tls"
  pid=$!
  PIDS+=("$pid")
  wait_port "$TLS_PORT"
  sleep 0.5

  before="$(cpu_ticks "$pid")"
  run_wrk "$name-https" "https://localhost:$TLS_PORT/" -H "Host: bench.local"
  after="$(cpu_ticks "$pid")"
  keep_alive=("$RPS" "$P50" "$P99" "$(per_cpu "$REQUESTS" "$(cpu_seconds "$before" "$after")")")

  before="$(cpu_ticks "$pid")"
  run_wrk "$name-close" "https://localhost:$TLS_PORT/" -H "Host: bench.local" \
    -H "Connection: close"
  after="$(cpu_ticks "$pid")"
  new_conns=("$RPS" "$(per_cpu "$REQUESTS" "$(cpu_seconds "$before" "$after")")")

  before="$(cpu_ticks "$pid")"
  read -r handshakes failures < <(full_handshakes)
  after="$(cpu_ticks "$pid")"
  if [[ "$failures" -gt 0 ]]; then
    echo "  $name: $failures handshakes failed" >&2
  fi
  full_rate="$(awk -v n="$handshakes" -v d="$DURATION" 'BEGIN {printf "%.0f", n / d}')"
  full_per_cpu="$(per_cpu "$handshakes" "$(cpu_seconds "$before" "$after")")"

  printf "%-8s %12s %10s %10s %14s %12s %14s %12s %14s %10s\n" "$name" "${keep_alive[@]}" \
    "${new_conns[@]}" "$full_rate" "$full_per_cpu" "$(status_kb "$pid" VmHWM)"

  kill "$pid"
  wait "$pid" 2> /dev/null || true
  unset 'PIDS[-1]'
  sleep 0.5
done
fi
