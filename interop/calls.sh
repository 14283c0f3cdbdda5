#!/usr/bin/env bash
# Calls through sbcctl between two SIPp instances over UDP (interop tier; interop/run.sh calls it,
# it also runs alone: `bash interop/calls.sh`). The spec is interop/specs/sipp-calls.yaml: the
# `uac` side places calls from 127.0.0.1:5071 to sbcctl on :5070, sbcctl sends them to the `pbx`
# SIPp on :5080 from its :5072 interface, and back the other way for the reverse scenario.
#
# Scenarios (SIPp files in interop/sipp/):
#   basic    INVITE/180/200/ACK, ~7 s of G.711 from the caller, BYE from the caller; the callee's
#            media is rtp-probe.mjs, which asserts the RTP crossed sbcctl's media ports both ways
#   cancel   the caller sends CANCEL while it rings and must get 487
#   busy     the callee answers 486, the caller must get 486
#   reverse  the basic call placed from the pbx side toward the uac side
# Afterwards sbcctl's /status must show every call ended, no media session left, call counters
# matching the scenarios and at least the RTP the probes saw counted as relayed.
#
# Needs sipp (Debian's sip-tester: its g711a.pcap is the audio), node, and root or CAP_NET_RAW
# (SIPp plays captures through a raw socket). Every SIPp run is bounded by -m, -timeout and
# -recv_timeout, so nothing hangs. Logs land in target/interop/calls/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/target/interop/calls
# Fixed ports and one output directory: a second run at the same time would wreck both.
mkdir -p target/interop
exec 9>target/interop/calls.lock
flock -n 9 || { echo "calls: another run is in progress (target/interop/calls.lock)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/sipp"
sbcctl=${SBCCTL:-${CARGO_TARGET_DIR:-target}/debug/sbcctl}
spec=interop/specs/sipp-calls.yaml
admin=127.0.0.1:9181
[ -x "$sbcctl" ] || cargo build -p sbcctl
command -v sipp >/dev/null || { echo "calls: sipp is missing (apt-get install sip-tester)" >&2; exit 1; }
command -v node >/dev/null || { echo "calls: node is missing" >&2; exit 1; }

# SIPp looks for the capture next to the scenario: stage both in the output directory.
pcap=${SIPP_PCAP:-$(dpkg -L sip-tester 2>/dev/null | grep -m1 '/g711a\.pcap$' || true)}
[ -f "$pcap" ] || { echo "calls: g711a.pcap from sip-tester not found (set SIPP_PCAP)" >&2; exit 1; }
cp interop/sipp/*.xml "$out/sipp/"
cp "$pcap" "$out/sipp/g711a.pcap"
# RTP packets in one play of the capture (236 packets of 30 ms); the probe must see most of them.
pcap_packets=236

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"$sbcctl" validate --deny-warnings "$spec" >"$out/validate.out" 2>&1 || { cat "$out/validate.out"; exit 1; }
"$sbcctl" run "$spec" >"$out/sbcctl.log" 2>&1 &
sbc_pid=$!
pids+=("$sbc_pid")
for _ in $(seq 1 100); do
  grep -q 'sbcctl ready' "$out/sbcctl.log" && break
  kill -0 "$sbc_pid" 2>/dev/null || { cat "$out/sbcctl.log"; echo "calls: sbcctl exited early" >&2; exit 1; }
  sleep 0.1
done
grep -q 'sbcctl ready' "$out/sbcctl.log" || { cat "$out/sbcctl.log"; echo "calls: sbcctl not ready" >&2; exit 1; }

wait_udp() { # addr: until something listens on this UDP address
  for _ in $(seq 1 50); do ss -Huln | awk '{print $4}' | grep -qx "$1" && return 0; sleep 0.1; done
  echo "calls: nothing listens on udp $1" >&2
  return 1
}

# The count SIPp printed in its final statistics for "Successful call" or "Failed call".
sipp_count() { grep -E "^ +$2 call " "$1" | awk -F'|' '{gsub(/ /, "", $3); print $3}' | tail -1; }

passed=0
failed=0
total_calls=0
answered_calls=0
# RTP packets sbcctl must have relayed at least, from what the probes saw: each forward packet
# crossed it once, each returned packet twice.
relayed_min=0

# scenario NAME CALLS UAS_XML UAS_ADDR UAC_XML SBC_ADDR UAC_PORT [probe PORT RELAY_PORTS]
# Runs the callee SIPp, then the caller SIPp placing CALLS calls (all at once), and judges them:
# both SIPp exit 0 with CALLS successful calls and none failed; with a probe, the RTP checks too.
scenario() {
  local name=$1 calls=$2 uas_xml=$3 uas_addr=$4 uac_xml=$5 sbc_addr=$6 uac_port=$7
  local probe_port=${9:-} relay_ports=${10:-}
  local log="$out/$name" uas_pid probe_pid="" uas_rc=0 uac_rc=0 probe_rc=0 why=""
  local uas_extra=() uac_extra=()
  # SIPp binds its media port and the one two above: keep each side's ports apart.
  local uac_mp=$((6070 + uac_port - 5071)) uas_mp=$((8070 + uac_port - 5071))
  total_calls=$((total_calls + calls))
  if [ -n "$probe_port" ]; then
    node interop/sipp/rtp-probe.mjs --listen "127.0.0.1:$probe_port" --relay-ports "$relay_ports" \
      --min-forward $((calls * pcap_packets * 9 / 10)) --min-returned $((calls * pcap_packets * 8 / 10)) \
      --max-seconds 60 >"$log-probe.out" 2>&1 &
    probe_pid=$!
    pids+=("$probe_pid")
    wait_udp "127.0.0.1:$probe_port"
    uas_extra=(-key rtp_port "$probe_port")
    uac_extra=(-rtp_echo)
  fi
  (cd "$out" && exec sipp "$uas_addr" -sf "sipp/$uas_xml" -i 127.0.0.1 -p "${uas_addr##*:}" \
    -mi 127.0.0.1 -mp "$uas_mp" "${uas_extra[@]}" -m "$calls" \
    -timeout 40s -timeout_error -recv_timeout 15s -nostdin -trace_err -error_file "$name-uas.err" \
    >"$log-uas.out" 2>&1) &
  uas_pid=$!
  pids+=("$uas_pid")
  wait_udp "$uas_addr"
  (cd "$out" && exec sipp "$sbc_addr" -sf "sipp/$uac_xml" -s 2000 -i 127.0.0.1 -p "$uac_port" \
    -mi 127.0.0.1 -mp "$uac_mp" "${uac_extra[@]}" -m "$calls" -r "$calls" -l "$calls" \
    -timeout 40s -timeout_error -recv_timeout 15s -nostdin -trace_err -error_file "$name-uac.err" \
    >"$log-uac.out" 2>&1) || uac_rc=$?
  wait "$uas_pid" || uas_rc=$?
  if [ -n "$probe_pid" ]; then
    kill -TERM "$probe_pid" 2>/dev/null || true
    wait "$probe_pid" || probe_rc=$?
  fi

  local ok bad
  ok=$(sipp_count "$log-uac.out" Successful)
  bad=$(sipp_count "$log-uac.out" Failed)
  [ "$uac_rc" -eq 0 ] || why+=" caller sipp exit $uac_rc;"
  [ "$uas_rc" -eq 0 ] || why+=" callee sipp exit $uas_rc;"
  [ "${ok:-}" = "$calls" ] || why+=" ${ok:-no} successful calls of $calls;"
  [ "${bad:-}" = 0 ] || why+=" ${bad:-unknown} failed calls;"
  [ "$probe_rc" -eq 0 ] || why+=" $(tail -1 "$log-probe.out");"
  local rtp="" fwd ret
  if [ -n "$probe_pid" ]; then
    fwd=$(sed -n 's/.*forward \([0-9]*\).*/\1/p' "$log-probe.out")
    ret=$(sed -n 's/.*returned \([0-9]*\).*/\1/p' "$log-probe.out")
    relayed_min=$((relayed_min + ${fwd:-0} + 2 * ${ret:-0}))
    rtp=", RTP through sbcctl: ${fwd:-?} packets caller to callee, ${ret:-?} back and forth"
  fi
  if [ -z "$why" ]; then
    passed=$((passed + 1))
    echo "call scenario $name: ok ($calls of $calls calls$rtp)"
  else
    failed=$((failed + 1))
    echo "call scenario $name: FAILED:$why"
    for f in "$log-uac.out" "$log-uas.out" "$out/$name-uac.err" "$out/$name-uas.err" "$log-probe.out"; do
      [ -s "$f" ] && { echo "--- $f"; tail -15 "$f"; }
    done
  fi
}

scenario basic 3 call-uas.xml 127.0.0.1:5080 call-uac.xml 127.0.0.1:5070 5071 probe 6084 43500-43999
answered_calls=$((answered_calls + 3))
scenario cancel 5 cancel-uas.xml 127.0.0.1:5080 cancel-uac.xml 127.0.0.1:5070 5071
scenario busy 5 busy-uas.xml 127.0.0.1:5080 busy-uac.xml 127.0.0.1:5070 5071
# The uac peer's proxy address (127.0.0.1:5071) is where the reverse call's callee listens.
scenario reverse 2 call-uas.xml 127.0.0.1:5071 call-uac.xml 127.0.0.1:5072 5081 probe 6094 43000-43499
answered_calls=$((answered_calls + 2))

# Nothing may outlive the calls: sbcctl's own view after the last BYE/ACK.
if status_line=$(node interop/sipp/status-check.mjs "http://$admin/status" "$total_calls" "$answered_calls" "$relayed_min" 2>&1); then
  passed=$((passed + 1))
  echo "calls status: ok ($status_line)"
else
  failed=$((failed + 1))
  echo "calls status: FAILED: $status_line"
fi

echo "calls: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
