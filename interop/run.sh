#!/usr/bin/env bash
# The interop tier: sbcctl against real SIP peers (SIPp from Debian's sip-tester). Installs what it
# needs with apt-get (root) when it is missing. Every server it starts listens on loopback only and
# is stopped on exit; every load loop is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/interop
mkdir -p "$out"

missing=()
command -v sipp >/dev/null || missing+=(sip-tester)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update
  apt-get install -y "${missing[@]}"
fi

sbcctl=${CARGO_TARGET_DIR:-target}/debug/sbcctl
[ -x "$sbcctl" ] || cargo build -p sbcctl

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
passed=0

# Starts sbcctl on a spec and waits until it logs that every interface is bound.
start_sbcctl() {
  local spec=$1 log=$2
  "$sbcctl" run "$spec" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    if grep -q 'sbcctl ready' "$log"; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then cat "$log"; echo "sbcctl exited early" >&2; return 1; fi
    sleep 0.1
  done
  cat "$log"; echo "sbcctl did not become ready" >&2; return 1
}

echo "--- SIPp: REGISTER over UDP with digest auth"
start_sbcctl interop/specs/sipp-register.yaml "$out/sipp-register-sbcctl.log"
if ! sipp 127.0.0.1:5062 -sf interop/sipp/register-auth.xml -s alice -au alice -ap alice-interop \
  -i 127.0.0.1 -p 5091 -m 50 -r 50 -timeout 30s -timeout_error -nostdin \
  -trace_err -error_file "$out/sipp-register.err" >"$out/sipp-register.out" 2>&1; then
  cat "$out/sipp-register.out" "$out/sipp-register.err" "$out/sipp-register-sbcctl.log" 2>/dev/null | tail -60
  echo "interop: SIPp REGISTER failed" >&2
  exit 1
fi
grep -E 'Successful call|Failed call' "$out/sipp-register.out" | sed 's/  */ /g'
passed=$((passed + 1))

kill "${pids[-1]}" 2>/dev/null || true

echo "--- SIPp: calls through sbcctl over UDP (basic call with RTP both ways, CANCEL, busy, reverse)"
if ! bash interop/calls.sh | tee "$out/calls.out"; then
  echo "interop: SIPp calls failed (logs in $out/calls/)" >&2
  exit 1
fi
passed=$((passed + $(sed -n 's/^calls: \([0-9]*\) passed.*/\1/p' "$out/calls.out")))

echo "--- Chromium + JsSIP: the demo page against the quickstart (register, wrong password, 404, failures)"
npm --prefix interop ci --no-audit --no-fund
npm --prefix examples/web ci --no-audit --no-fund
npm --prefix examples/web run build
npm --prefix examples/web test
start_sbcctl examples/quickstart.yaml "$out/quickstart.log"
if ! SBC_ARTIFACTS="$out" node --test --test-concurrency=1 interop/browser/signalling.test.js >"$out/browser-signalling.out" 2>&1; then
  cat "$out/browser-signalling.out" | tail -60
  tail -30 "$out/quickstart.log"
  echo "interop: browser signalling failed" >&2
  exit 1
fi
grep -E '^# (pass|fail)' "$out/browser-signalling.out"
passed=$((passed + 1))

echo "--- Chromium + JsSIP: calls with media (echo test call, click-to-call, SIPp calling the page)"
inbound="sipp 127.0.0.1:5060 -sf interop/browser/sipp/uac-call-browser.xml -s alice -i 127.0.0.1 -p 5090 -m 1 -timeout 60s -timeout_error -nostdin -aa"
if ! SBC_MEDIA=1 SBC_INBOUND_CALL_CMD="$inbound" SBC_ARTIFACTS="$out" \
    node --test --test-concurrency=1 interop/browser/media.test.js >"$out/browser-media.out" 2>&1; then
  cat "$out/browser-media.out" | tail -80
  tail -40 "$out/quickstart.log"
  echo "interop: browser media failed" >&2
  exit 1
fi
grep -E '^# (pass|fail)' "$out/browser-media.out"
ls "$out"/*.png 2>/dev/null | sed 's/^/screenshot: /'
passed=$((passed + $(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out/browser-media.out")))
kill "${pids[-1]}" 2>/dev/null || true

echo "interop: $passed passed, 0 failed"
