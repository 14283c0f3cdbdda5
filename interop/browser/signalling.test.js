// Demo page ↔ SBC signalling in headless Chromium: registration, wrong password, unknown
// number, unreachable WebSocket, denied microphone. No media has to flow, so these run
// against any SIP-over-WebSocket registrar (sbcctl, or the Kamailio stand-in: see README.md).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { launch } from './lib/browser.js';
import { demoState, messageText, openDemo, pageBase, pageUrl, register, screenshot, waitForDemo } from './lib/demo.js';
import { config, TIMEOUTS } from './lib/env.js';

describe('demo page signalling', { timeout: 4 * TIMEOUTS.test }, () => {
  let browser;
  let site;
  let page;

  before(async () => {
    site = await pageBase();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });

  /** A fresh tab per test; the previous one is closed so its WebSocket goes away. */
  async function freshPage() {
    if (page) await page.close().catch(() => {});
    page = await browser.context.newPage();
    return page;
  }

  test('registers with the demo credentials and unregisters on Disconnect', { timeout: TIMEOUTS.test }, async () => {
    const p = await freshPage();
    await openDemo(p, pageUrl(site.base));
    assert.equal(await p.inputValue('#sip-user'), 'alice', 'the demo user is pre-filled');
    await register(p);
    await waitForDemo(p, 'registration', () => window.sbcDemo.registered === true, TIMEOUTS.register);
    const badge = (await p.textContent('#reg-status')).trim();
    assert.match(badge, new RegExp(`Registered as ${config.user}`));
    assert.equal(await p.getAttribute('#reg-status', 'data-state'), 'ok');
    assert.equal(await p.isEnabled('#call-btn'), true, 'Call is enabled once connected');
    assert.equal(await messageText(p), '', 'no error is shown');
    await screenshot(p, 'demo-registered.png');

    await p.click('#disconnect-btn');
    await waitForDemo(p, 'unregistration', () => window.sbcDemo.registered === false && window.sbcDemo.connection === 'off', TIMEOUTS.register);
    assert.equal(await p.isEnabled('#call-btn'), false);
  });

  test('a wrong password shows a plain message', { timeout: TIMEOUTS.test }, async () => {
    const p = await freshPage();
    await openDemo(p, pageUrl(site.base));
    await register(p, { password: `${config.password}-wrong` });
    await waitForDemo(p, 'registration failure', () => window.sbcDemo.registration === 'failed', TIMEOUTS.register);
    const state = await demoState(p);
    assert.equal(state.registered, false);
    assert.match(await messageText(p), /Wrong user name or password/);
    assert.equal(await p.getAttribute('#reg-status', 'data-state'), 'bad');
    await screenshot(p, 'demo-wrong-password.png');
  });

  test('an unknown number shows a plain message', { timeout: TIMEOUTS.test }, async () => {
    const p = await freshPage();
    await openDemo(p, pageUrl(site.base));
    await register(p);
    await waitForDemo(p, 'registration', () => window.sbcDemo.registered === true, TIMEOUTS.register);
    await p.fill('#dial-input', config.unknownNumber);
    await p.click('#call-btn');
    await waitForDemo(p, 'the call to fail', () => window.sbcDemo.callState === 'failed', TIMEOUTS.callSetup);
    const text = await messageText(p);
    assert.match(text, /Unknown number/);
    assert.ok(text.includes(config.unknownNumber), `the message names the number: ${text}`);
    assert.equal(await p.isEnabled('#call-btn'), true, 'the user can dial again');
  });

  test('an unreachable WebSocket shows a plain message', { timeout: TIMEOUTS.test }, async () => {
    const port = await closedPort();
    const ws = `ws://127.0.0.1:${port}/`;
    const p = await freshPage();
    await openDemo(p, pageUrl(site.base, { ws }));
    assert.equal(await p.inputValue('#ws-url'), ws, '?ws= fills the settings field');
    await register(p);
    await waitForDemo(p, 'the disconnect', () => window.sbcDemo.connection === 'disconnected', TIMEOUTS.register);
    const text = await messageText(p);
    assert.match(text, /Cannot reach the SBC/);
    assert.ok(text.includes(ws), `the message names the URL: ${text}`);
    assert.equal((await demoState(p)).registered, false);
    await p.click('#disconnect-btn');
  });

  test('click-to-call with the SBC unreachable shows a plain message', { timeout: TIMEOUTS.test }, async () => {
    const port = await closedPort();
    const ws = `ws://127.0.0.1:${port}/`;
    const p = await freshPage();
    await openDemo(p, pageUrl(site.base, { ws, mode: 'click-to-call', to: 'echo' }));
    assert.equal(await p.isVisible('#c2c-btn'), true);
    await p.click('#c2c-btn');
    await waitForDemo(p, 'the disconnect', () => window.sbcDemo.connection === 'disconnected', TIMEOUTS.register);
    assert.match(await messageText(p), /Cannot reach the SBC/);
    assert.equal(await p.isDisabled('#c2c-btn'), true, 'no second attempt while the first is pending');
    const state = await demoState(p);
    assert.equal(state.registered, false);
    assert.equal(state.registration, 'off', 'click-to-call never registers');
  });

  test('a denied microphone shows a plain message and sends no INVITE', { timeout: TIMEOUTS.test }, async () => {
    const p = await freshPage();
    // The fake-UI flag grants every permission, so deny it the way a user's "Block" does.
    await p.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await openDemo(p, pageUrl(site.base));
    await register(p);
    await waitForDemo(p, 'registration', () => window.sbcDemo.registered === true, TIMEOUTS.register);
    await p.fill('#dial-input', config.callTo);
    await p.click('#call-btn');
    await waitForDemo(p, 'the call to fail', () => window.sbcDemo.callState === 'failed', TIMEOUTS.callSetup);
    assert.match(await messageText(p), /Microphone access was denied/);
    assert.equal((await demoState(p)).registered, true, 'still registered');
  });
});

/** A loopback TCP port with nobody listening (bound, then released). */
async function closedPort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}
