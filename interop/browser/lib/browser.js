// Headless Chromium through playwright-core, with fake media devices and a throw-away profile.
// Never downloads a browser: it runs the Debian `chromium` package.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { config } from './env.js';

/** The exact flags the interop tier runs Chromium with (see README.md for why each). */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
]);

/**
 * Launches Chromium with a fresh profile directory. Returns `{ context, page, close }`; `close`
 * shuts the browser and removes the profile. `consoleLog` collects every tab's console lines
 * (printed to stderr as they come with SBC_DEBUG=1).
 */
export async function launch() {
  const profile = await mkdtemp(join(tmpdir(), 'sbcctl-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: config.chromium,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: { width: 1280, height: 860 },
      timeout: 30_000,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`cannot start Chromium at ${config.chromium} (apt-get install -y chromium): ${err.message}`);
  }
  const page = context.pages()[0] || (await context.newPage());
  const consoleLog = [];
  const log = (line) => {
    consoleLog.push(line);
    if (config.debug) process.stderr.write(`${line}\n`);
  };
  // Every tab of the context, including the ones tests open later.
  context.on('console', (m) => log(`[console.${m.type()}] ${m.text()}`));
  context.on('weberror', (e) => log(`[pageerror] ${e.error().message}`));
  const close = async () => {
    await context.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
  };
  return { context, page, consoleLog, close };
}
