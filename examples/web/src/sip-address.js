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

/**
 * Turns what the user typed into a SIP URI (RFC 3261 §19.1.1), or null when it is not usable:
 * a full `sip:`/`sips:` URI is kept, `user@host` gets `sip:`, anything else is the user part at
 * `domain`. A phone number typed with separators ("+1 (555) 010-0000") loses them; `#` (not
 * allowed unescaped in a user part) is escaped.
 */
export function toUri(target, domain) {
  const t = (target || '').trim();
  if (!t) return null;
  if (/^sips?:/i.test(t)) return t;
  if (t.includes('@')) return `sip:${t}`;
  const user = /^[+0-9*#\s().-]+$/.test(t) ? t.replace(/[\s().-]/g, '') : t;
  // unreserved / user-unreserved characters, plus '#' which is escaped below.
  if (!user || !/^[A-Za-z0-9\-_.!~*'()&=+$,;?/#]+$/.test(user)) return null;
  return `sip:${user.replace(/#/g, '%23')}@${domain}`;
}
