#!/usr/bin/env bash
# Runs the browser tests that need no media against Kamailio as a stand-in SIP-over-WebSocket
# registrar (load/reference/kamailio-ws-registrar.cfg: WS on 127.0.0.1:8070, every password
# `secret`), with the harness serving examples/web/dist itself. For developing the page and the
# harness while sbcctl cannot relay calls yet; interop/run.sh runs the same tests against sbcctl.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${SBC_ARTIFACTS:-target/interop}
mkdir -p "$out"

[ -f examples/web/dist/index.html ] || { npm --prefix examples/web ci && npm --prefix examples/web run build; }
[ -d interop/node_modules/playwright-core ] || npm --prefix interop ci

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Starts Kamailio on a config and waits for its WebSocket port.
start_kamailio() {
  local cfg=$1 port=$2 log=$3
  kamailio -f "$cfg" -DD -E >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log"; echo "kamailio exited early" >&2; return 1; }
    sleep 0.1
  done
  cat "$log"; echo "kamailio did not open port $port" >&2; return 1
}

export SBC_PAGE_URL=serve SBC_PASSWORD=secret SBC_ARTIFACTS="$out"

echo "--- signalling tests against the reference registrar (ws://127.0.0.1:8070/)"
start_kamailio load/reference/kamailio-ws-registrar.cfg 8070 "$out/kamailio-registrar.log"
SBC_WS_URL=ws://127.0.0.1:8070/ node --test --test-concurrency=1 interop/browser/signalling.test.js

echo "--- in-call tests page-to-page through a relaying proxy (ws://127.0.0.1:8071/)"
start_kamailio interop/browser/standin/kamailio-ws-proxy.cfg 8071 "$out/kamailio-proxy.log"
SBC_WS_URL=ws://127.0.0.1:8071/ SBC_MEDIA=1 SBC_CALL_TO=bob SBC_ANSWERING_USER=bob \
  node --test --test-concurrency=1 interop/browser/media.test.js
