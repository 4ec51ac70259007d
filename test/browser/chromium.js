/**
 * Launches Debian's headless Chromium through playwright-core and opens a
 * blank page of the local server with the given scripts loaded in order.
 */
const {chromium} = require('playwright-core');
const {CHROMIUM_BINARY, requireChromium} = require('../../scripts/environment');

/** Flags that keep Chromium off the (closed) network and quiet. */
const BASE_ARGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu'];

async function launchChromium({webgpu = false} = {}) {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM_BINARY,
    headless: true,
    args: [...BASE_ARGS, ...(webgpu ? WEBGPU_ARGS : [])],
  });
}

/**
 * A new page at `${origin}/test/browser/blank.html` with `scripts` (paths
 * relative to the project root) added in order. Page errors and console
 * errors are echoed to Node's stderr, prefixed by `label`.
 */
async function openPage(browser, origin, scripts, label) {
  const page = await browser.newPage();
  page.on('pageerror', e => console.error(`[${label}] page error: ${e.message}`));
  page.on('console', m => {
    if (m.type() === 'error') console.error(`[${label}] console: ${m.text()}`);
  });
  await page.goto(`${origin}/test/browser/blank.html`);
  for (const script of scripts) {
    await page.addScriptTag({url: `${origin}/${script}`});
  }
  return page;
}

module.exports = {launchChromium, openPage};
