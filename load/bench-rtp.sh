#!/usr/bin/env bash
# RTP↔RTP relay benchmark: N concurrent G.711 calls (50 packets/s each way) through sbcctl, driven
# by `sipload rtp-calls`, which calls over UDP, answers on the other side and echoes the media.
# Reports loss, round-trip time through the relay, and sbcctl's CPU per packet.
#   bash load/bench-rtp.sh                    # 100, 250 and 500 calls, 20 s of media each
#   CALLS="500" HOLD=60s bash load/bench-rtp.sh
# Everything listens on loopback and every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${CALLS:-"100 250 500"}
HOLD=${HOLD:-20s}
out=target/bench
mkdir -p "$out"
ulimit -n 20000 2>/dev/null || true

[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p sbcctl -p sbcctl-load
sbcctl=${CARGO_TARGET_DIR:-target}/release/sbcctl
sipload=${CARGO_TARGET_DIR:-target}/release/sipload

cat >"$out/rtp.yaml" <<YAML
version: 1
interfaces:
  callers: { transport: udp, listen: 127.0.0.1:5094 }
  pbx-side: { transport: udp, listen: 127.0.0.1:5095 }
media_realms:
  a: { listen: 127.0.0.1, ports: 50000-51999 }
  b: { listen: 127.0.0.1, ports: 52000-53999 }
profiles:
  sip: { media: rtp, codecs: [pcmu, telephone-event] }
peers:
  callers:
    server: { interface: callers, realm: a, profile: sip, proxies: [{ address: "127.0.0.1:5096" }], keepalive: { options_interval: 0s } }
  pbx:
    server: { interface: pbx-side, realm: b, profile: sip, proxies: [{ address: "127.0.0.1:5097" }], keepalive: { options_interval: 0s } }
routes:
  - { name: out, from: callers, to: { peer: pbx } }
limits: { requests_per_ip_per_s: 100000 }
logging: { level: warn }
YAML

"$sbcctl" run "$out/rtp.yaml" >"$out/rtp-sbcctl.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 1

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
for n in $CALLS; do
  before=$(ticks $pid)
  start=$(date +%s.%N)
  line=$("$sipload" rtp-calls --sbc 127.0.0.1:5094 --uas 127.0.0.1:5097 --calls "$n" --rate 200 --hold "$HOLD" | tail -1)
  end=$(date +%s.%N)
  after=$(ticks $pid)
  echo "$line"
  sent=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$line")
  received=$(sed -n 's/.* received=\([0-9]*\).*/\1/p' <<<"$line")
  # Each packet sent by the caller crosses the relay twice (there and echoed back).
  relayed=$(( ${sent:-0} + ${received:-0} ))
  cpu=$(awk -v a="$after" -v b="$before" -v hz="$hz" 'BEGIN { printf "%.2f", (a - b) / hz }')
  wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
  per=$(awk -v c="$cpu" -v r="$relayed" 'BEGIN { if (r > 0) printf "%.2f", c * 1e6 / r; else print "n/a" }')
  echo "bench-rtp: calls=$n sbcctl_cpu=${cpu}s wall=${wall}s packets_relayed=$relayed cpu_per_packet=${per}us"
  sleep 2
done
