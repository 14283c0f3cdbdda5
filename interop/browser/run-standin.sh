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

kamailio -f load/reference/kamailio-ws-registrar.cfg -DD -E >"$out/kamailio.log" 2>&1 &
kpid=$!
trap 'kill "$kpid" 2>/dev/null || true; wait "$kpid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/8070) 2>/dev/null; then break; fi
  kill -0 "$kpid" 2>/dev/null || { cat "$out/kamailio.log"; echo "kamailio exited early" >&2; exit 1; }
  sleep 0.1
done

SBC_PAGE_URL=serve SBC_WS_URL=ws://127.0.0.1:8070/ SBC_PASSWORD=secret SBC_ARTIFACTS="$out" \
  node --test --test-concurrency=1 interop/browser/
