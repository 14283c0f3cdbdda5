// Demo configuration: the one place to change what the page uses by default.
//
// The quickstart (examples/quickstart.yaml) defines the demo user `alice` with password
// `alice-demo-password` and the built-in `echo` number. Every value here can be overridden in the page's
// settings panel, and some by query parameters (see README.md).
export const DEMO_DEFAULTS = Object.freeze({
  /** SIP user (the user part of the address of record). */
  user: 'alice',
  /** Digest password of that user. */
  password: 'alice-demo-password',
  /** Display name sent in From. */
  displayName: 'Alice (demo)',
  /** Number dialled when the dial field is left empty, and the click-to-call target. */
  dialTarget: 'echo',
  /** Caller identity used by click-to-call mode (no registration, no password). */
  clickToCallUser: 'web-visitor',
  clickToCallDisplayName: 'Web visitor',
});

/**
 * The SBC's WebSocket URL when nothing overrides it: the SBC serves this page from the same
 * interface that accepts SIP over WebSocket, so it is the page's own origin with ws/wss.
 */
export function defaultWsUrl(loc) {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  const host = loc.host || '127.0.0.1:8080';
  return `${scheme}://${host}/`;
}

/**
 * Where click-to-call mode connects when nothing overrides it: the quickstart's `visitors`
 * interface, next to the page's own port (a separate entry point whose users need no password).
 */
export function defaultClickToCallWsUrl(loc) {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  const hostname = loc.hostname || '127.0.0.1';
  const port = Number(loc.port || (scheme === 'wss' ? 443 : 80)) + 1;
  return `${scheme}://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}/`;
}

/** Reads the page's options from its URL: mode, ws, user, domain, to, autoanswer, debug. */
export function readOptions(loc) {
  const q = new URLSearchParams(loc.search);
  const flag = (name) => ['1', 'true', 'yes'].includes((q.get(name) || '').toLowerCase());
  const clickToCall = q.get('mode') === 'click-to-call';
  return {
    mode: clickToCall ? 'click-to-call' : 'softphone',
    wsUrl: q.get('ws') || (clickToCall ? defaultClickToCallWsUrl(loc) : defaultWsUrl(loc)),
    user: q.get('user') || DEMO_DEFAULTS.user,
    domain: q.get('domain') || '',
    to: q.get('to') || DEMO_DEFAULTS.dialTarget,
    autoAnswer: flag('autoanswer'),
    debug: flag('debug'),
  };
}
