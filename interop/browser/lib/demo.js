// Helpers that drive the demo page through its stable element ids and read `window.sbcDemo`.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { config, REPO_ROOT, TIMEOUTS } from './env.js';
import { serveDirectory } from './static-server.js';

/**
 * Resolves the page URL: SBC_PAGE_URL, or a harness-served copy of examples/web/dist when it is
 * `serve`. Returns `{ base, close }`.
 */
export async function pageBase() {
  if (config.pageUrl === 'serve') {
    const server = await serveDirectory(join(REPO_ROOT, 'examples', 'web', 'dist'));
    return { base: server.url, close: server.close };
  }
  return { base: config.pageUrl, close: async () => {} };
}

/** The page URL with query options (`ws` is added from SBC_WS_URL when set). */
export function pageUrl(base, params = {}) {
  const url = new URL(base);
  const all = { ...params };
  if (config.wsUrl && all.ws === undefined) all.ws = config.wsUrl;
  if (config.domain && all.domain === undefined) all.domain = config.domain;
  if (config.debug) all.debug = 1;
  for (const [k, v] of Object.entries(all)) {
    if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
  }
  return url.toString();
}

/** Opens the page and waits until its script has published `window.sbcDemo`. */
export async function openDemo(page, url) {
  let res;
  try {
    res = await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
  } catch (err) {
    throw new Error(`cannot open the demo page at ${url} (is the SBC running? set SBC_PAGE_URL): ${err.message}`, {
      cause: err,
    });
  }
  if (!res || !res.ok()) {
    throw new Error(
      `GET ${url} answered ${res ? res.status() : 'nothing'}`
        + ' (is the page built? npm --prefix examples/web ci && npm --prefix examples/web run build)',
    );
  }
  await page.waitForFunction(() => typeof window.sbcDemo === 'object', null, { timeout: 10_000 });
}

/** Fills the account form and submits it. */
export async function register(page, { user = config.user, password = config.password } = {}) {
  await page.fill('#sip-user', user);
  await page.fill('#sip-password', password);
  await page.click('#connect-btn');
}

/** Waits until `predicate(window.sbcDemo)` is true; the error names what was awaited. */
export async function waitForDemo(page, what, predicate, timeout) {
  try {
    await page.waitForFunction(predicate, null, { timeout, polling: 100 });
  } catch (err) {
    const state = await demoState(page).catch(() => null);
    throw new Error(`timed out after ${timeout} ms waiting for ${what}; page state: ${JSON.stringify(state)}`, {
      cause: err,
    });
  }
}

/** A copy of `window.sbcDemo`. */
export function demoState(page) {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.sbcDemo)));
}

/** The visible text of the page's message box ('' when hidden). */
export async function messageText(page) {
  const box = page.locator('#message');
  return (await box.isVisible()) ? (await box.textContent()).trim() : '';
}

/** Saves a full-page screenshot under SBC_ARTIFACTS; returns its path. */
export async function screenshot(page, name) {
  await mkdir(config.artifacts, { recursive: true });
  const path = join(config.artifacts, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Opens the page in a new tab of `context`, registers `user` and waits for success. Returns the
 * tab. `params` are extra query options (e.g. `{ autoanswer: 1 }`).
 */
export async function openRegistered(context, base, { user = config.user, password = config.password, params = {} } = {}) {
  const page = await context.newPage();
  await openDemo(page, pageUrl(base, { user, ...params }));
  await register(page, { user, password });
  await waitForDemo(page, `registration of ${user}`, () => window.sbcDemo.registered === true, TIMEOUTS.register);
  return page;
}

/** Waits for a call in progress with real media: RTP in, DTLS connected, audio heard. */
export async function waitForMedia(page, { minPackets = 100, timeout = 20_000 } = {}) {
  await waitForDemo(
    page,
    `media (> ${minPackets} packets received, audio level > 0, DTLS connected)`,
    `window.sbcDemo.callState === 'in-call' && window.sbcDemo.stats.packetsReceived > ${Number(minPackets)}`
      + " && window.sbcDemo.stats.audioLevel > 0 && window.sbcDemo.stats.dtlsState === 'connected'",
    timeout,
  );
}
