#!/usr/bin/env node
/**
 * The browser conformance suite: for each configuration of configs.js,
 * a fresh headless Chromium loads TF.js's UMD bundles, ours (dist/browser,
 * from `npm run build`) and a bundle of test/conformance, runs every case on
 * the configured backend and reports each case back here.
 *
 *   node test/browser/run.js [--only=SUBSTRING] [--json=FILE]
 *
 * Exit status 0 only when every case of every configuration passed. The JSON
 * file gets {passed, failed}: a configuration that cannot set up counts as
 * one failure.
 */
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');
const {tfGlobalPlugin} = require('../../scripts/esbuild_tf_global');
const {BROWSER_CONFIGS} = require('./configs');
const {launchChromium, openPage} = require('./chromium');
const {serveDirectory} = require('./server');

const root = path.resolve(__dirname, '../..');
const PAGE_BUNDLE = '.out/browser-test/conformance_page.js';
/** One configuration may take this long before it counts as failed. */
const CONFIG_TIMEOUT_MS = 10 * 60 * 1000;

function option(name) {
  const arg = process.argv.find(a => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : null;
}

async function buildPageBundle() {
  await esbuild.build({
    entryPoints: [path.join(root, 'test/browser/conformance_page.ts')],
    outfile: path.join(root, PAGE_BUNDLE), bundle: true, format: 'iife',
    target: 'es2019', plugins: [tfGlobalPlugin], logLevel: 'warning',
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
    }),
  ]);
}

async function runConfig(config, origin, counts) {
  for (const script of config.scripts) {
    if (!fs.existsSync(path.join(root, script))) {
      throw new Error(`${script} is missing (run npm run build first)`);
    }
  }
  const browser = await launchChromium({webgpu: config.webgpu});
  try {
    const page = await openPage(browser, origin, [...config.scripts, PAGE_BUNDLE], config.name);
    let reported = 0;
    await page.exposeFunction('reportCase', report => {
      reported++;
      const ok = report.failures.length === 0 && report.checks > 0;
      ok ? counts.passed++ : counts.failed++;
      console.log(`${ok ? 'PASS' : 'FAIL'} [${config.name}] ${report.name} (${report.checks} checks)`);
      for (const f of report.failures) console.log(`     ${f}`);
      if (report.checks === 0 && report.failures.length === 0) console.log('     checked nothing');
    });
    const {name, backend, flags, tolerances, expectKernels, caseFilter, excludeData, excludeCases, crossCheckBackend} = config;
    const {info} = await withTimeout(
        page.evaluate(cfg => window.runConformanceSuite(cfg),
                      {name, backend, flags, tolerances, expectKernels, caseFilter, excludeData, excludeCases, crossCheckBackend}),
        CONFIG_TIMEOUT_MS, config.name);
    if (config.frameworkTolerances) {
      const dir = path.join(root, 'test/fixtures/frameworks');
      const fixtures = fs.readdirSync(dir).filter(f => f.endsWith('.json')).sort()
          .map(f => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
      await withTimeout(page.evaluate(([cfg, fx]) => window.runFrameworkSuite(cfg, fx),
                                      [{frameworkTolerances: config.frameworkTolerances}, fixtures]),
                        CONFIG_TIMEOUT_MS, `${config.name} (framework fixtures)`);
    }
    console.log(`     [${config.name}] ran on ${info}; ${reported} cases reported`);
    if (reported === 0) throw new Error('no case was reported');
  } finally {
    await browser.close();
  }
}

async function main() {
  const only = option('only');
  const jsonFile = option('json');
  const configs = BROWSER_CONFIGS.filter(c => !only || c.name.includes(only));
  const counts = {passed: 0, failed: 0};
  await buildPageBundle();
  const server = await serveDirectory(root);
  try {
    for (const config of configs) {
      const started = Date.now();
      try {
        await runConfig(config, server.origin, counts);
      } catch (e) {
        counts.failed++;
        console.log(`FAIL [${config.name}] set-up or run: ${e.message}`);
      }
      console.log(`     [${config.name}] ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await server.close();
  }
  console.log(`browser suite: ${counts.passed} passed, ${counts.failed} failed`);
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify(counts));
  process.exit(counts.failed === 0 ? 0 : 1);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
