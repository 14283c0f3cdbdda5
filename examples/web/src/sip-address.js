// What the user typed → a SIP URI, and the default SIP domain. Pure functions, no JsSIP.

/** The host of a ws:// or wss:// URL, used as the SIP domain by default. */
export function hostOf(wsUrl) {
  try {
    // IPv6 hosts keep their brackets, as a SIP URI needs them.
    return new URL(wsUrl).hostname || '127.0.0.1';
  } catch {
    return '127.0.0.1';
  }
}

/** Turns what the user typed into a SIP URI, or null when it is not usable. */
export function toUri(target, domain) {
  const t = (target || '').trim();
  if (!t) return null;
  if (/^sips?:/i.test(t)) return t;
  if (t.includes('@')) return `sip:${t}`;
  const user = t.replace(/[\s().-]/g, '');
  if (!/^[A-Za-z0-9+*#_~!$&'=;,?/%]+$/.test(user)) return null;
  return `sip:${user}@${domain}`;
}
