#!/usr/bin/env bash
# B2BUA call benchmark over UDP with SIPp: the call rate sbcctl sustains and the memory a held
# call costs; Kamailio (when installed) runs the same call-rate steps as a reference.
#
#   bash load/bench-calls.sh                                  # everything, about 8 minutes
#   RATES="200 400" STEP=5 BEST=10 HELD=1000 bash load/bench-calls.sh   # a quick look
#   HELD=0 KAMAILIO=0 bash load/bench-calls.sh                # call rate of sbcctl only
#
# Call rate. A SIPp caller (interop/sipp/bench-uac.xml) places INVITE-100-180-200-ACK-BYE calls
# with an RTP/AVP offer but no RTP, at fixed rates (-r, RATES, STEP seconds each), through sbcctl
# (release build) to a SIPp callee (bench-uas.xml). Escalation stops at the first rate that is not
# clean; clean means every call succeeded, none failed, and the achieved rate was at least 90% of
# the target (below that the machine, often SIPp itself, could not even offer the load). The
# highest clean rate then runs BEST seconds (and, when that fails, the clean rate below it). Every
# run gets a fresh server and SIPp callee, so the backlog of an overloaded run cannot spill into
# the next. Each run reports: calls ok/failed; SIPp retransmissions; datagrams the kernel dropped
# on full receive buffers (server and SIPp); the achieved rate; the server's CPU per call
# (utime+stime from /proc/PID/stat over the run), its CPU load and its VmRSS before and after;
# SIPp's own CPU load (near 100% means SIPp is the bottleneck); SIPp's INVITE->200 and BYE->200
# response times, p50/p99 (SIPp measures whole milliseconds, so 0 means under 1 ms).
#
# Held calls. A fresh sbcctl is warmed with 200 calls, then HELD calls are set up at HOLD_RATE/s
# and held (a long pause in the caller's scenario, no RTP). Once sbcctl's /status counts them
# all, its VmRSS growth over the warm baseline is divided by HELD: the memory per held call
# (goal: at most 8 KiB), media ports included. Afterwards every call must end.
#
# Reference. Kamailio with load/reference/kamailio-calls-proxy.cfg is a record-routing,
# transaction-stateful proxy: it keeps no dialog and anchors no media, so it does less per call
# than a B2BUA (no second dialog, no SDP rewrite, no RTP ports) and has no held-call cost to
# compare. Its CPU is summed over all its processes.
#
# Everything listens on loopback and every SIPp run is bounded (-m, -timeout, -recv_timeout).
# Held calls need file descriptors (an RTP and an RTCP socket per leg): the script raises
# `ulimit -n` (run it as root for more than the hard limit). Results go to stdout and, with every
# log, to target/bench/calls/.
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${RATES:-500 1000 2000 3000 4000}
STEP=${STEP:-20}
BEST=${BEST:-60}
HELD=${HELD:-10000}
HOLD_RATE=${HOLD_RATE:-500}
KAMAILIO=${KAMAILIO:-1}
out=$PWD/target/bench/calls
# Fixed ports and one output directory: a second run at the same time would wreck both.
mkdir -p target/bench
exec 9>target/bench/calls.lock
flock -n 9 || { echo "bench-calls: another run is in progress (target/bench/calls.lock)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
cp interop/sipp/bench-uac.xml interop/sipp/bench-uas.xml "$out/"

command -v sipp >/dev/null || { echo "bench-calls: sipp is missing (apt-get install sip-tester)" >&2; exit 1; }
ulimit -n 262144 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# SBCCTL=path benchmarks a binary built elsewhere (then nothing is built here).
if [ -z "${SBCCTL:-}" ]; then cargo build --release -q -p sbcctl; fi
sbcctl=${SBCCTL:-${CARGO_TARGET_DIR:-target}/release/sbcctl}
ticks_per_s=$(getconf CLK_TCK)

# sbcctl between the caller side (interface `a`, peer `uac` = SIPp on :5171) and the callee side
# (interface `b`, peer `pbx` = SIPp on :5180). The two media realms share a port range on two
# loopback addresses so HELD calls fit below the ephemeral port range; the media timeout is
# longer than any hold.
cat >"$out/calls.yaml" <<'YAML'
version: 1
interfaces:
  a: { transport: udp, listen: 127.0.0.1:5170 }
  b: { transport: udp, listen: 127.0.0.1:5172 }
media_realms:
  a: { listen: 127.0.0.1, ports: 10000-31999 }
  b: { listen: 127.0.0.2, ports: 10000-31999 }
profiles:
  rtp: { media: rtp, codecs: [pcmu, pcma, telephone-event], media_timeout: 3600s }
peers:
  uac:
    server: { interface: a, realm: a, profile: rtp, proxies: [{ address: 127.0.0.1:5171 }], keepalive: { options_interval: 0s } }
  pbx:
    server: { interface: b, realm: b, profile: rtp, proxies: [{ address: 127.0.0.1:5180 }], keepalive: { options_interval: 0s } }
routes:
  - { name: to-pbx, from: uac, to: { peer: pbx } }
limits: { requests_per_ip_per_s: 100000000 }
admin: { listen: 127.0.0.1:9191 }
logging: { level: warn }
YAML
"$sbcctl" validate --deny-warnings "$out/calls.yaml" >/dev/null

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# utime+stime of these processes, in clock ticks (fields 14 and 15 of /proc/PID/stat, counted
# after the command name, which may hold spaces).
cpu_ticks() {
  local total=0 p fields
  for p in "$@"; do
    fields=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
    total=$((total + $(awk '{print $12 + $13}' <<<"$fields")))
  done
  echo "$total"
}
# Datagrams the kernel dropped on full receive buffers, summed over the UDP sockets bound to these
# loopback ports (last column of /proc/net/udp): a dropped response shows up as a retransmission.
udp_drops() {
  local ports
  ports=$(printf '0100007F:%04X|' "$@")
  awk -v re="^(${ports%|})$" 'NR > 1 && $2 ~ re {n += $NF} END {print n + 0}' /proc/net/udp
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }
active_calls() { curl -fsS http://127.0.0.1:9191/status 2>/dev/null | sed -n 's/.*"active_calls": *\([0-9]*\).*/\1/p'; }

wait_udp() { # ADDR: until something listens there (10 s at most)
  for _ in $(seq 1 100); do ss -Huln | awk '{print $4}' | grep -qx "$1" && return 0; sleep 0.1; done
  echo "bench-calls: nothing listens on udp $1" >&2
  exit 1
}
# wait_free PORT...: until no UDP socket is bound to these loopback ports (10 s at most); a
# SIPp that is still closing its sockets would make the next one fail to bind.
wait_free() {
  local port busy
  for _ in $(seq 1 100); do
    busy=0
    for port in "$@"; do
      ss -Huln | awk '{print $4}' | grep -qx "127.0.0.1:$port" && busy=1
    done
    [ "$busy" = 0 ] && return 0
    sleep 0.1
  done
  echo "bench-calls: udp ports $* still in use" >&2
  exit 1
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# start_server sbcctl|kamailio LOGNAME: a fresh server for each run, so the backlog of an
# overloaded run cannot spill into the next. Sets server_pid, server_pids (every process whose
# CPU counts), server_addr (where calls go) and server_ports (its SIP ports, for UDP drops).
start_server() {
  local log="$out/$1-$2.log"
  if [ "$1" = sbcctl ]; then
    "$sbcctl" run "$out/calls.yaml" >"$log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 1 100); do
      curl -fsS -o /dev/null http://127.0.0.1:9191/healthz 2>/dev/null && break
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    curl -fsS -o /dev/null http://127.0.0.1:9191/healthz 2>/dev/null ||
      { cat "$log"; echo "bench-calls: sbcctl did not start" >&2; exit 1; }
    server_pids=$server_pid server_addr=127.0.0.1:5170 server_ports="5170 5172"
  else
    # 512 MiB of shared memory for transactions, 32 MiB private per process.
    kamailio -f load/reference/kamailio-calls-proxy.cfg -m 512 -M 32 -DD -E >"$log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_udp 127.0.0.1:5270
    sleep 0.3
    server_pids="$server_pid $(pgrep -P "$server_pid" | tr '\n' ' ')"
    server_addr=127.0.0.1:5270 server_ports=5270
  fi
}

# A fresh SIPp callee for each run (NAME), so calls a run broke cannot disturb the next one.
start_uas() {
  wait_free 5180 8170
  (cd "$out" && exec sipp -sf bench-uas.xml -i 127.0.0.1 -p 5180 -mi 127.0.0.1 -mp 8170 \
    -buff_size 4194304 -nostdin -trace_err -error_file "$1-uas-errors.log" >"$out/$1-uas.out" 2>&1) &
  uas_pid=$!
  pids+=("$uas_pid")
  wait_udp 127.0.0.1:5180
}

# p50 and p99 of SIPp response time RTD (1: INVITE->200, 2: BYE->200) from a -trace_rtt file.
percentiles() {
  awk -F';' -v rtd="$2" 'NR > 1 && $3 == rtd {print $2}' "$1" | sort -n |
    awk '{v[NR] = $1} END {if (NR == 0) {print "-/-"} else {i = int(NR * 0.99); if (i < 1) i = 1; print v[int((NR + 1) / 2)] "/" v[i]}}'
}

# call_rate NAME RATE SECONDS: one fixed-rate run against a fresh server; sets `clean`.
call_rate() {
  local name=$1 rate=$2 secs=$3
  local calls=$((rate * secs)) run="$name-r$2-${3}s" sipp_pid t0 t1 c0 c1 u0 u1 s0 s1 d0 d1 e0 e1
  local tag="$out/$run"
  start_server "$name" "$run"
  start_uas "$run"
  local m0 m1
  m0=$(rss_kib "$server_pid")
  # shellcheck disable=SC2086 # one argument per process
  c0=$(cpu_ticks $server_pids)
  u0=$(cpu_ticks "$uas_pid")
  # shellcheck disable=SC2086 # one port per argument
  d0=$(udp_drops $server_ports)
  e0=$(udp_drops 5171 5180)
  wait_free 5171 8070
  t0=$(now)
  (cd "$out" && exec sipp "$server_addr" -sf bench-uac.xml -s 1000 -i 127.0.0.1 -p 5171 -mi 127.0.0.1 -mp 8070 \
    -r "$rate" -m "$calls" -l $((rate * 4)) -d 0 -buff_size 4194304 -recv_timeout 5000 \
    -timeout $((secs + 60))s -nostdin -trace_stat -stf "$tag.csv" -fd 1 -trace_rtt -rtt_freq 1 \
    -trace_err -error_file "$tag-errors.log" >"$tag.out" 2>&1) &
  sipp_pid=$!
  s0=$(cpu_ticks "$sipp_pid")
  # The caller's CPU is read just before it exits (its pause at the end of the last call is 0).
  s1=$s0
  while kill -0 "$sipp_pid" 2>/dev/null; do
    s1=$(cpu_ticks "$sipp_pid")
    sleep 0.5
  done
  wait "$sipp_pid" || true
  t1=$(now)
  # shellcheck disable=SC2086 # one argument per process
  c1=$(cpu_ticks $server_pids)
  u1=$(cpu_ticks "$uas_pid")
  # shellcheck disable=SC2086 # one port per argument
  d1=$(udp_drops $server_ports)
  e1=$(udp_drops 5171 5180)
  m1=$(rss_kib "$server_pid")
  stop "$uas_pid"
  stop "$server_pid"
  local last ok failed retrans
  last=$(tail -1 "$tag.csv" 2>/dev/null || true)
  ok=$(cut -d';' -f16 <<<"$last")
  failed=$(cut -d';' -f18 <<<"$last")
  retrans=$(cut -d';' -f58 <<<"$last")
  local rtt
  rtt=$(ls "$out"/bench-uac_"$sipp_pid"_rtt.csv 2>/dev/null || true)
  awk -v name="$name" -v rate="$rate" -v secs="$secs" -v calls="$calls" -v ok="${ok:-0}" \
    -v failed="${failed:-?}" -v retrans="${retrans:-?}" -v t="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
    -v m0="$m0" -v m1="$m1" -v drops=$((d1 - d0)) -v sdrops=$((e1 - e0)) -v cpu=$((c1 - c0)) -v uac=$((s1 - s0)) -v uas=$((u1 - u0)) -v hz="$ticks_per_s" \
    -v inv="$( [ -n "$rtt" ] && percentiles "$rtt" 1 || echo -/-)" -v bye="$( [ -n "$rtt" ] && percentiles "$rtt" 2 || echo -/-)" \
    'BEGIN {
      printf "%-8s -r %4d x %3d s: ok %6d/%d failed %s retrans %s, UDP drops server %d sipp %d | achieved %6.0f calls/s | server CPU %5.1f us/call, %3.0f%% of a core, VmRSS %.0f->%.0f MiB | sipp caller %3.0f%%, callee %3.0f%% | INVITE->200 p50/p99 %s ms, BYE->200 %s ms\n",
        name, rate, secs, ok, calls, failed, retrans, drops, sdrops, ok / t, (ok > 0 ? cpu / hz * 1e6 / ok : 0), cpu / hz / t * 100, m0 / 1024, m1 / 1024,
        uac / hz / t * 100, uas / hz / t * 100, inv, bye
    }' | tee -a "$out/summary.txt"
  clean=0
  if [ "${failed:-x}" = 0 ] && [ "${ok:-0}" = "$calls" ] &&
    awk -v ok="$ok" -v t="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" -v r="$rate" 'BEGIN {exit !(ok / t >= 0.9 * r)}'; then
    clean=1
  fi
}

# escalate NAME: the rate steps, then BEST seconds at the highest clean rate; when that long run
# is not clean, BEST seconds at the clean rate below it: the rate it sustains.
escalate() {
  local name=$1 rate clean_rates=()
  for rate in $RATES; do
    call_rate "$name" "$rate" "$STEP"
    [ "$clean" = 1 ] || break
    clean_rates=("$rate" "${clean_rates[@]}")
  done
  if [ ${#clean_rates[@]} -eq 0 ]; then
    echo "$name: no clean rate among: $RATES" | tee -a "$out/summary.txt"
    return
  fi
  for rate in "${clean_rates[@]:0:2}"; do
    call_rate "$name" "$rate" "$BEST"
    if [ "$clean" = 1 ]; then
      echo "$name: highest clean rate ${clean_rates[0]} calls/s over $STEP s; $rate calls/s clean over $BEST s" |
        tee -a "$out/summary.txt"
      return
    fi
  done
  echo "$name: highest clean rate ${clean_rates[0]} calls/s over $STEP s; none clean over $BEST s" |
    tee -a "$out/summary.txt"
}

echo "== sbcctl ${SBCCTL:-$(git rev-parse --short HEAD) (release)}, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" |
  tee "$out/summary.txt"
escalate sbcctl

# sbcctl holds an RTP and an RTCP socket per leg: 4 descriptors per call, plus some to spare.
fd_limit=$(ulimit -n)
if [ "$HELD" -gt 0 ] && [ $((HELD * 4 + 1000)) -gt "$fd_limit" ]; then
  echo "note: ulimit -n is $fd_limit here (raising it needs root with CAP_SYS_RESOURCE); held calls capped at $(((fd_limit - 1000) / 4)) instead of $HELD" |
    tee -a "$out/summary.txt"
  HELD=$(((fd_limit - 1000) / 4))
fi
if [ "$HELD" -gt 0 ]; then
  start_server sbcctl held
  sbc_pid=$server_pid
  start_uas held
  (cd "$out" && exec sipp 127.0.0.1:5170 -sf bench-uac.xml -s 1000 -i 127.0.0.1 -p 5171 -mi 127.0.0.1 -mp 8070 \
    -r 200 -m 200 -d 0 -recv_timeout 5000 -timeout 30s -nostdin >"$out/held-warmup.out" 2>&1) || true
  for _ in $(seq 1 50); do [ "$(active_calls)" = 0 ] && break; sleep 0.2; done
  sleep 1
  base=$(rss_kib "$sbc_pid")
  setup_s=$(((HELD + HOLD_RATE - 1) / HOLD_RATE))
  hold_ms=$(((setup_s + 20) * 1000))
  (cd "$out" && exec sipp 127.0.0.1:5170 -sf bench-uac.xml -s 1000 -i 127.0.0.1 -p 5171 -mi 127.0.0.1 -mp 8070 \
    -r "$HOLD_RATE" -m "$HELD" -l "$HELD" -d "$hold_ms" -buff_size 4194304 -recv_timeout 10000 \
    -timeout $((setup_s * 2 + 90))s -nostdin -trace_stat -stf held.csv -fd 1 \
    -trace_err -error_file held-errors.log >"$out/held.out" 2>&1) &
  held_sipp=$!
  pids+=("$held_sipp")
  for _ in $(seq 1 $((setup_s * 4 + 40))); do
    n=$(active_calls)
    [ "${n:-0}" -ge "$HELD" ] && break
    sleep 0.5
  done
  sleep 2
  held_rss=$(rss_kib "$sbc_pid")
  held_now=$(active_calls)
  wait "$held_sipp" || true
  for _ in $(seq 1 100); do [ "$(active_calls)" = 0 ] && break; sleep 0.2; done
  after=$(active_calls)
  last=$(tail -1 "$out/held.csv" 2>/dev/null || true)
  awk -v held="$HELD" -v now="${held_now:-?}" -v base="$base" -v rss="$held_rss" -v after="${after:-?}" \
    -v ok="$(cut -d';' -f16 <<<"$last")" -v failed="$(cut -d';' -f18 <<<"$last")" -v rss_end="$(rss_kib "$sbc_pid")" \
    'BEGIN {
      printf "sbcctl   held calls: %s of %d up at once | VmRSS %.1f MiB -> %.1f MiB: %.2f KiB per held call (goal <= 8) | then ok %s failed %s, %s still active, VmRSS %.1f MiB after\n",
        now, held, base / 1024, rss / 1024, (now > 0 ? (rss - base) / now : 0), ok, failed, after, rss_end / 1024
    }' | tee -a "$out/summary.txt"
  stop "$uas_pid"
  stop "$sbc_pid"
fi

if [ "$KAMAILIO" = 1 ] && command -v kamailio >/dev/null; then
  echo "== kamailio $(kamailio -v | head -1 | awk '{print $3}') as a stateful proxy (no dialogs, no media)" |
    tee -a "$out/summary.txt"
  escalate kamailio
fi
echo "summary: $out/summary.txt"
