// Everything the browser tests read from the environment, in one place. The tests never start
// the SBC themselves: whoever runs them (interop/run.sh, or a person) starts it and says where it is.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (interop/browser/lib → three levels up). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

const env = process.env;
const flag = (name) => ['1', 'true', 'yes'].includes((env[name] || '').toLowerCase());

export const config = Object.freeze({
  /**
   * Where the demo page is. `serve` makes the harness serve examples/web/dist itself on an
   * ephemeral loopback port (for a stand-in registrar that serves no page, e.g. Kamailio).
   */
  pageUrl: env.SBC_PAGE_URL || 'http://127.0.0.1:8080/',
  /** The SBC's SIP-over-WebSocket URL; empty means the page's default (its own origin). */
  wsUrl: env.SBC_WS_URL || '',
  /** Demo credentials (the quickstart's alice/alice by default). */
  user: env.SBC_USER || 'alice',
  password: env.SBC_PASSWORD || 'alice-demo-password',
  /** The SIP domain, when it is not the WebSocket URL's host. */
  domain: env.SBC_DOMAIN || '',
  /** A number that does not exist on the SBC (expects 404). */
  unknownNumber: env.SBC_UNKNOWN_NUMBER || 'no-such-number',
  /** The number the media tests call: the built-in echo, or a SIPp UAS with -rtp_echo. */
  callTo: env.SBC_CALL_TO || 'echo',
  /**
   * When set, the harness opens a second page registered as this user with auto-answer, and
   * the outbound tests call it (SBC_CALL_TO should then name it). Browser-to-browser: for a
   * stand-in proxy that relays SIP only (see run-standin.sh), or an SBC route between web users.
   */
  answeringUser: env.SBC_ANSWERING_USER || '',
  /** Media tests run only when the SBC relays calls (SBC_MEDIA=1). */
  media: flag('SBC_MEDIA'),
  /**
   * A shell command that makes a SIP peer call the registered page (reverse direction), e.g.
   * the SIPp command from interop/run.sh. The media test for that direction needs it.
   */
  inboundCallCmd: env.SBC_INBOUND_CALL_CMD || '',
  /** SBC_DEBUG=1: the page logs SIP (`?debug=1`) and the harness prints the page's console. */
  debug: flag('SBC_DEBUG'),
  /** Where screenshots go (relative paths are from the repository root). */
  artifacts: resolve(REPO_ROOT, env.SBC_ARTIFACTS || 'target/interop'),
  /** Chromium from Debian's package. */
  chromium: env.CHROMIUM || '/usr/bin/chromium',
});

/** Seconds the page waits for register/call outcomes. */
export const TIMEOUTS = Object.freeze({ register: 10_000, callSetup: 20_000, test: 90_000 });
