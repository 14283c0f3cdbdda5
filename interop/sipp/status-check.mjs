// Judges sbcctl's /status after the SIPp call scenarios: every call ended, no media session left,
// the call counters match what the scenarios placed, and the media counters account for at least
// the RTP the probes saw crossing sbcctl. A call that leaked or was never counted fails the tier
// even when SIPp was content.
//
//   node status-check.mjs http://127.0.0.1:9181/status STARTED ANSWERED MIN_RELAYED
//
// Transaction timers may hold a call for a moment after its last message, so it asks again for
// up to 6 s. Prints one line; exit 0 when everything matches, 1 otherwise (also when the status
// cannot be read or lacks a field).
const [url, started, answered, minRelayed] = process.argv.slice(2);

async function judge() {
  let core;
  try {
    const res = await fetch(url);
    if (!res.ok) return { ok: false, line: `${url} answered ${res.status}` };
    core = (await res.json()).core;
  } catch (err) {
    return { ok: false, line: `cannot read ${url}: ${err.message}` };
  }
  const calls = core?.counters?.calls;
  const media = core?.media;
  if (!calls || !media || core.active_calls === undefined) {
    return { ok: false, line: 'status lacks core.counters.calls, core.media or core.active_calls' };
  }
  const line =
    `started ${calls.started}, answered ${calls.answered}, failed ${calls.failed}, ` +
    `active ${core.active_calls}, media sessions ${media.sessions}, packets relayed ${media.packets_relayed}`;
  const problems = [];
  if (core.active_calls !== 0) problems.push(`${core.active_calls} calls still active`);
  if (media.sessions !== 0) problems.push(`${media.sessions} media sessions left`);
  if (calls.started !== Number(started)) problems.push(`expected ${started} calls started`);
  if (calls.answered !== Number(answered)) problems.push(`expected ${answered} calls answered`);
  if (!(media.packets_relayed >= Number(minRelayed))) {
    problems.push(`expected at least ${minRelayed} packets relayed (what the RTP probes saw)`);
  }
  return { ok: problems.length === 0, line: problems.length ? `${problems.join('; ')} (${line})` : line };
}

let verdict;
for (let attempt = 0; attempt < 30; attempt += 1) {
  verdict = await judge();
  if (verdict.ok) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
console.log(verdict.line);
process.exit(verdict.ok ? 0 : 1);
