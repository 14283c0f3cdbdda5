// Demo page calls with real media in headless Chromium (fake microphone: a beep tone). These
// need an SBC that relays calls, so they are skipped unless SBC_MEDIA=1:
//   1. softphone: register, call SBC_CALL_TO (default `echo`), inbound RTP > 100 packets,
//      remote audio level > 0, DTLS connected, DTMF sent, screenshot in the call, hang up;
//   2. click-to-call mode: one button, no registration, media flows, hang up;
//   3. reverse direction: the page registered with ?autoanswer=1 is called by a SIP peer
//      (SBC_INBOUND_CALL_CMD, e.g. the SIPp command from interop/run.sh) and media flows;
//   4. the same without auto-answer: the page rings and the Answer button takes the call.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { launch } from './lib/browser.js';
import { demoState, messageText, openDemo, openRegistered, pageBase, pageUrl, screenshot, waitForDemo, waitForMedia } from './lib/demo.js';
import { config, TIMEOUTS } from './lib/env.js';

const skip = config.media ? false : 'media tests need an SBC that relays calls: set SBC_MEDIA=1';

describe('demo page media', { skip, timeout: 4 * TIMEOUTS.test }, () => {
  let browser;
  let site;
  const tabs = [];

  before(async () => {
    site = await pageBase();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });

  /** Closes every tab the previous test opened, so no registration or call leaks into the next. */
  async function closeTabs() {
    while (tabs.length) await tabs.pop().close().catch(() => {});
  }

  /** The auto-answering second page, when SBC_ANSWERING_USER asks for one. */
  async function answeringPage() {
    if (!config.answeringUser) return null;
    const p = await openRegistered(browser.context, site.base, { user: config.answeringUser, params: { autoanswer: 1 } });
    tabs.push(p);
    return p;
  }

  test('softphone: call, media both ways, DTMF, hang up', { timeout: TIMEOUTS.test }, async () => {
    await closeTabs();
    const callee = await answeringPage();
    const p = await openRegistered(browser.context, site.base);
    tabs.push(p);
    await p.fill('#dial-input', config.callTo);
    await p.click('#call-btn');
    await waitForDemo(p, 'the call to be answered', () => window.sbcDemo.callState === 'in-call', TIMEOUTS.callSetup);
    await waitForMedia(p);

    let state = await demoState(p);
    assert.ok(state.stats.packetsSent > 100, `packets sent: ${state.stats.packetsSent}`);
    assert.ok(state.micPeak > 0, `the microphone meter moved: peak ${state.micPeak}`);
    assert.notEqual(await p.textContent('#stat-packets-received'), '–', 'the stats table is filled');
    assert.notEqual(await p.textContent('#stat-pair'), '–', 'the selected candidate pair is shown');
    assert.equal(await p.isEnabled('#mute-btn'), true);

    // RFC 4733 DTMF through the keypad.
    for (const tone of ['1', '2', '#']) await p.click(`#dtmf-keypad [data-tone="${tone}"]`);
    await waitForDemo(p, 'three DTMF tones sent', () => window.sbcDemo.dtmfSent === '12#', 5_000);
    // The tones leave the browser's DTMF sender queue once played (160 ms each + gaps).
    await p.waitForFunction(
      () => window.sbcDemo.dtmfQueue === '',
      null,
      { timeout: 5_000, polling: 100 },
    );

    await p.click('#mute-btn');
    assert.equal(await p.getAttribute('#mute-btn', 'aria-pressed'), 'true');
    await p.click('#mute-btn');
    assert.equal(await p.getAttribute('#mute-btn', 'aria-pressed'), 'false');

    await screenshot(p, 'demo-in-call.png');
    state = await demoState(p);
    assert.equal(state.lastError, '', `no error on the page: ${state.lastError}`);

    await p.click('#hangup-btn');
    await waitForDemo(p, 'the call to end', () => window.sbcDemo.callState === 'ended', TIMEOUTS.callSetup);
    assert.equal(await p.isEnabled('#hangup-btn'), false);
    if (callee) {
      await waitForDemo(callee, 'the callee to see the hang-up', () => window.sbcDemo.callState === 'ended', TIMEOUTS.callSetup);
    }
  });

  test('click-to-call: one button, no registration, media, hang up', { timeout: TIMEOUTS.test }, async () => {
    await closeTabs();
    await answeringPage();
    const p = await browser.context.newPage();
    tabs.push(p);
    await openDemo(p, pageUrl(site.base, { mode: 'click-to-call', to: config.callTo }));
    assert.equal(await p.isVisible('#sip-user'), false, 'no account form in click-to-call mode');
    assert.equal((await p.textContent('#c2c-target')).trim(), config.callTo);
    await p.click('#c2c-btn');
    await waitForMedia(p, { minPackets: 50 });
    const state = await demoState(p);
    assert.equal(state.registered, false, 'click-to-call never registers');
    assert.equal(state.mode, 'click-to-call');
    await screenshot(p, 'click-to-call-in-call.png');
    await p.click('#c2c-btn');
    await waitForDemo(p, 'the call to end', () => window.sbcDemo.callState === 'ended', TIMEOUTS.callSetup);
    assert.match(await p.textContent('#c2c-btn'), /Call now/);
    assert.equal(await messageText(p), 'Call ended.');
  });

  const reverseSkip = config.inboundCallCmd || config.answeringUser
    ? false
    : 'set SBC_INBOUND_CALL_CMD to the command that makes a SIP peer call the registered page';
  test('reverse direction: a SIP peer calls the auto-answering page', { skip: reverseSkip, timeout: TIMEOUTS.test }, async () => {
    await closeTabs();
    const p = await openRegistered(browser.context, site.base, { params: { autoanswer: 1 } });
    tabs.push(p);
    const { caller, callerPage } = await placeInboundCall(browser.context, site.base, tabs);
    try {
      await waitForDemo(p, 'the incoming call to be auto-answered', () => window.sbcDemo.direction === 'incoming' && window.sbcDemo.callState === 'in-call', TIMEOUTS.callSetup);
      await waitForMedia(p);
      assert.equal(await p.isVisible('#incoming'), false, 'the incoming-call panel is gone once answered');
      await screenshot(p, 'demo-incoming-call.png');
    } catch (err) {
      if (caller) caller.kill();
      throw new Error(`${err.message}${caller ? `\ncaller output:\n${caller.output()}` : ''}`, { cause: err });
    }
    if (caller) {
      const code = await caller.exited;
      assert.equal(code, 0, `the calling peer failed (exit ${code}):\n${caller.output()}`);
    } else {
      await callerPage.click('#hangup-btn');
    }
    await waitForDemo(p, 'the call to end', () => window.sbcDemo.callState === 'ended', TIMEOUTS.callSetup);
    assert.equal((await demoState(p)).lastError, '');
  });

  test('incoming call: rings, answered with the Answer button', { skip: reverseSkip, timeout: TIMEOUTS.test }, async () => {
    await closeTabs();
    const p = await openRegistered(browser.context, site.base);
    tabs.push(p);
    const { caller, callerPage } = await placeInboundCall(browser.context, site.base, tabs);
    try {
      await waitForDemo(p, 'the page to ring', () => window.sbcDemo.callState === 'incoming', TIMEOUTS.callSetup);
      assert.equal(await p.isVisible('#incoming'), true, 'the incoming-call panel shows');
      assert.notEqual((await p.textContent('#incoming-from')).trim(), '', 'the caller is named');
      await screenshot(p, 'demo-ringing.png');
      await p.click('#answer-btn');
      await waitForMedia(p);
    } catch (err) {
      if (caller) caller.kill();
      throw new Error(`${err.message}${caller ? `\ncaller output:\n${caller.output()}` : ''}`, { cause: err });
    }
    if (caller) {
      // The SIP peer hangs up itself at the end of its scenario.
      const code = await caller.exited;
      assert.equal(code, 0, `the calling peer failed (exit ${code}):\n${caller.output()}`);
    } else {
      await p.click('#hangup-btn');
      await waitForDemo(callerPage, 'the caller to see the hang-up', () => window.sbcDemo.callState === 'ended', TIMEOUTS.callSetup);
    }
    await waitForDemo(p, 'the call to end', () => window.sbcDemo.callState === 'ended', TIMEOUTS.callSetup);
  });
});

/**
 * Makes the inbound call: the SIP peer command when given, else the stand-in caller page
 * (SBC_ANSWERING_USER) dialling SBC_USER. Returns `{ caller, callerPage }`.
 */
async function placeInboundCall(context, base, tabs) {
  if (config.inboundCallCmd) {
    return { caller: runCommand(config.inboundCallCmd, TIMEOUTS.test - 10_000), callerPage: null };
  }
  const callerPage = await openRegistered(context, base, { user: config.answeringUser });
  tabs.push(callerPage);
  await callerPage.fill('#dial-input', config.user);
  await callerPage.click('#call-btn');
  return { caller: null, callerPage };
}

/** Runs a shell command with a time limit; `exited` resolves to its exit code. */
function runCommand(cmd, timeoutMs) {
  const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise((ok) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      ok(code ?? `signal ${signal}`);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      out += String(err);
      ok(`spawn error`);
    });
  });
  return { exited, kill: () => child.kill('SIGKILL'), output: () => out.slice(-4000) };
}
