#!/usr/bin/env bash
# Side-by-side REGISTER benchmark: sbcctl and (when installed) Kamailio as WebSocket registrars
# with digest auth, driven by the same sipload client on the same machine.
#   bash load/bench-register.sh            # every scenario, ~3 minutes
#   DURATION=5s IDLE=2000 bash load/bench-register.sh
# Everything listens on loopback and every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
IDLE=${IDLE:-10000}
out=target/bench
mkdir -p "$out"

cargo build --release -q -p sbcctl -p sbcctl-load
sbcctl=target/release/sbcctl
sipload=target/release/sipload

# A spec with 1000 users (user0..user999, password "secret", as the Kamailio reference accepts) on
# a WebSocket interface and on a UDP interface.
users=$(for i in $(seq 0 999); do echo "            - { name: user$i, password: secret }"; done)
cat >"$out/register.yaml" <<YAML
version: 1
interfaces:
  browsers:
    transport: ws
    listen: 127.0.0.1:8091
    websocket: { path: / }
    limits: { max_connections_per_ip: 15000, max_connections: 15000, keepalive_interval: 0s, idle_timeout: 600s }
  phones:
    transport: udp
    listen: 127.0.0.1:5093
media_realms:
  web: { listen: 127.0.0.1, ports: 40000-40999 }
  lan: { listen: 127.0.0.1, ports: 41000-41999 }
profiles:
  webrtc: { media: webrtc, codecs: [opus, pcmu] }
  sip: { media: rtp, codecs: [pcmu] }
peers:
  phones:
    users:
      interface: phones
      realm: lan
      profile: sip
      registration:
        local:
          realm: 127.0.0.1
          digest_algorithms: [md5]   # SIPp answers only the first challenge, only with MD5
          expires: { min: 60, max: 3600, default: 600 }
          users:
$users
  web-users:
    users:
      interface: browsers
      realm: web
      profile: webrtc
      registration:
        local:
          realm: 127.0.0.1
          expires: { min: 60, max: 3600, default: 600 }
          users:
$users
routes:
  - { name: web-to-phones, from: web-users, to: { registered: phones } }
  - { name: phones-to-web, from: phones, to: { registered: web-users } }
limits: { requests_per_ip_per_s: 1000000, max_connections_per_ip: 15000, max_connections: 15000 }
logging: { level: warn }
YAML

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_port() { for _ in $(seq 1 100); do ss -ltn | grep -q ":$1 " && return 0; sleep 0.1; done; echo "port $1 not listening" >&2; return 1; }

sipp_register() { # name port: SIPp's own REGISTER + auth + un-REGISTER + auth scenario, 20,000 times
  command -v sipp >/dev/null || return 0
  local start=$SECONDS
  sipp "127.0.0.1:$2" -sf interop/sipp/register-auth.xml -s user1 -au user1 -ap secret -i 127.0.0.1 -p 5097 \
    -r "${SIPP_RATE:-4000}" -l 2000 -m 20000 -timeout 60s -nostdin >"$out/$1-sipp.out" 2>&1 || true
  local ok failed
  ok=$(grep -E '^ +Successful call' "$out/$1-sipp.out" | awk '{print $NF}')
  failed=$(grep -E '^ +Failed call' "$out/$1-sipp.out" | awk '{print $NF}')
  echo "$1 sipp-udp register+unregister (4 transactions each): ok=${ok:-?} failed=${failed:-?} in $((SECONDS - start)) s at -r ${SIPP_RATE:-4000}/s"
}

run_ws() { # name url
  local name=$1 url=$2
  for c in 1 50 500; do
    "$sipload" ws-register --url "$url" --connections "$c" --users 1000 --user-prefix user --password secret \
      --domain 127.0.0.1 --duration "$DURATION" 2>>"$out/$name-errors.log" | sed "s/^/$name /"
  done
}

echo "== sbcctl $(git rev-parse --short HEAD)"
"$sbcctl" run "$out/register.yaml" >"$out/sbcctl.log" 2>&1 &
pids+=($!); sbc_pid=$!
wait_port 8091
run_ws sbcctl ws://127.0.0.1:8091/
"$sipload" udp-register --target 127.0.0.1:5093 --agents 50 --users 1000 --user-prefix user --password secret --domain 127.0.0.1 \
  --duration "$DURATION" 2>>"$out/sbcctl-errors.log" | sed 's/^/sbcctl /'
sipp_register sbcctl 5093
# Open loop at OPEN_RATE registrations/s (set it near half the closed-loop rate at 50 connections):
# the latency a user sees when the server is not saturated.
"$sipload" ws-register --url ws://127.0.0.1:8091/ --connections 50 --users 1000 --user-prefix user --password secret \
  --domain 127.0.0.1 --duration "$DURATION" --rate "${OPEN_RATE:-10000}" 2>>"$out/sbcctl-errors.log" | sed 's/^/sbcctl /'
"$sipload" ws-idle --url ws://127.0.0.1:8091/ --connections "$IDLE" --users 1000 --user-prefix user --password secret \
  --domain 127.0.0.1 --duration 30s --keepalive 10s --measure-pids "$sbc_pid" 2>>"$out/sbcctl-errors.log" | sed 's/^/sbcctl /'
kill "$sbc_pid"; wait "$sbc_pid" 2>/dev/null || true

if command -v kamailio >/dev/null; then
  echo "== kamailio $(kamailio -v | head -1 | awk '{print $3}')"
  # 512 MiB of shared memory: the default 64 MiB runs out near 10,000 WebSocket connections.
  kamailio -f load/reference/kamailio-ws-registrar.cfg -m 512 -DD -E >"$out/kamailio.log" 2>&1 &
  pids+=($!); kam_pid=$!
  wait_port 8070
  run_ws kamailio ws://127.0.0.1:8070/
  "$sipload" udp-register --target 127.0.0.1:5070 --agents 50 --users 1000 --user-prefix user --password secret --domain 127.0.0.1 \
    --duration "$DURATION" 2>>"$out/kamailio-errors.log" | sed 's/^/kamailio /'
  sipp_register kamailio 5070
  "$sipload" ws-register --url ws://127.0.0.1:8070/ --connections 50 --users 1000 --user-prefix user --password secret \
    --domain 127.0.0.1 --duration "$DURATION" --rate "${OPEN_RATE:-10000}" 2>>"$out/kamailio-errors.log" | sed 's/^/kamailio /'
  kam_pids=$(pgrep -d, -f 'kamailio -f load/reference' || true)
  "$sipload" ws-idle --url ws://127.0.0.1:8070/ --connections "$IDLE" --users 1000 --user-prefix user --password secret \
    --domain 127.0.0.1 --duration 30s --keepalive 10s --measure-pids "$kam_pids" 2>>"$out/kamailio-errors.log" | sed 's/^/kamailio /'
fi
