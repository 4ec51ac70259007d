/**
 * Runs in Chromium: sets up the configured backend, checks it is really the
 * one requested (and that our kernels are registered for it), then runs
 * every conformance case and reports each to Node through `reportCase`.
 * TF.js and tfjs-layernorm come from the page's UMD globals `tf` and
 * `tfLayerNorm` (the bundler maps `@tensorflow/*` imports to `tf`).
 */
import * as tf from '@tensorflow/tfjs';

import * as cases from '../conformance/cases';
import {BackendTolerances} from '../conformance/cases';
import * as frameworks from '../conformance/frameworks';
import {FrameworkFixture, FrameworkTolerances} from '../conformance/frameworks';
import {CaseReport, LayerNormApi, runConformanceCase} from '../conformance/suite';
import type * as lib from '../../src';

/** What test/browser/configs.js holds for one browser configuration. */
export interface BrowserConfig {
  name: string;
  backend: string;
  flags: Record<string, number|boolean>;
  tolerances: string;
  expectKernels: boolean;
  /** Run only the cases whose names include one of these (default: all). */
  caseFilter?: string[];
  /** Also run each case on this backend and require agreement (default 'cpu'). */
  crossCheckBackend?: string;
  /**
   * Data kinds this configuration cannot represent, each with the reason;
   * their cases are not run, and the run says so.
   */
  excludeData?: Record<string, string>;
  /** Cases (by name) this configuration cannot represent, each with the reason; as excludeData. */
  excludeCases?: Record<string, string>;
  /** Also run the framework fixtures with this tolerance set of frameworks.ts. */
  frameworkTolerances?: string;
}

interface PageWindow {
  tfLayerNorm: LayerNormApi;
  reportCase(report: CaseReport): Promise<void>;
  runConformanceSuite(config: BrowserConfig): Promise<{info: string}>;
  runFrameworkSuite(config: BrowserConfig, fixtures: FrameworkFixture[]): Promise<void>;
}

const page = globalThis as unknown as PageWindow;

async function setUpBackend(config: BrowserConfig): Promise<string> {
  for (const [flag, value] of Object.entries(config.flags)) {
    tf.env().set(flag, value);
  }
  const ok = await tf.setBackend(config.backend);
  if (!ok || tf.getBackend() !== config.backend) {
    throw new Error(`backend '${config.backend}' is not available in this browser ` +
                    `(active: ${tf.getBackend()})`);
  }
  for (const [flag, value] of Object.entries(config.flags)) {
    if (tf.env().get(flag) !== value) {
      throw new Error(`flag ${flag} is ${tf.env().get(flag)} after set-up, expected ${value}`);
    }
  }
  if (config.expectKernels) {
    for (const kernel of ['TfjsLayerNorm', 'TfjsLayerNormGrad']) {
      if (tf.getKernel(kernel, config.backend) == null) {
        throw new Error(`kernel ${kernel} is not registered for '${config.backend}'`);
      }
    }
  }
  return describeBackend(config.backend);
}

/** The GPU behind the backend, for the log. */
function describeBackend(backend: string): string {
  // tslint:disable-next-line:no-any
  const b = tf.backend() as any;
  if (backend === 'webgl' && b.gpgpu?.gl) {
    const gl = b.gpgpu.gl as WebGLRenderingContext;
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    return `WebGL ${tf.env().getNumber('WEBGL_VERSION')}: ${renderer}`;
  }
  if (backend === 'webgpu' && b.adapterInfo) {
    return `WebGPU: ${JSON.stringify(b.adapterInfo)}`;
  }
  return backend;
}

page.runConformanceSuite = async (config: BrowserConfig) => {
  const info = await setUpBackend(config);
  const tolerances = (cases as unknown as Record<string, BackendTolerances>)[config.tolerances];
  if (tolerances == null || typeof tolerances !== 'object') {
    throw new Error(`unknown tolerance set '${config.tolerances}'`);
  }
  const excluded = config.excludeData ?? {};
  const excludedCases = config.excludeCases ?? {};
  const selected = cases.CONFORMANCE_CASES.filter(
      c => (config.caseFilter == null || config.caseFilter.some(f => c.name.includes(f))) &&
          !(c.data in excluded) && !(c.name in excludedCases));
  const notRun = cases.CONFORMANCE_CASES.filter(c => c.data in excluded);
  const exclusions = [
    ...Object.entries(excluded).map(
        ([kind, why]) => `${notRun.filter(c => c.data === kind).length} '${kind}' cases not run: ${why}`),
    ...Object.entries(excludedCases).map(([name, why]) => `'${name}' not run: ${why}`),
  ];
  for (const c of selected) {
    let report: CaseReport;
    try {
      report = await runConformanceCase(
          tf, page.tfLayerNorm, c, tolerances,
          {crossCheckBackend: config.crossCheckBackend ?? 'cpu'});
    } catch (e) {
      report = {name: c.name, checks: 0, failures: [`threw: ${(e as Error).stack ?? e}`]};
    }
    await page.reportCase(report);
  }
  return {info: [info, ...exclusions].join('; ')};
};

/** The framework fixtures (read by run.js) through the op and the ported layer. */
page.runFrameworkSuite = async (config: BrowserConfig, fixtures: FrameworkFixture[]) => {
  const tolerances = (frameworks as unknown as Record<string, FrameworkTolerances>)[
      config.frameworkTolerances ?? ''];
  if (tolerances == null || typeof tolerances !== 'object') {
    throw new Error(`unknown framework tolerance set '${config.frameworkTolerances}'`);
  }
  const api = page.tfLayerNorm as unknown as typeof lib;
  for (const fixture of fixtures) {
    for (const c of fixture.cases) {
      for (const route of ['op', 'layer'] as const) {
        const r = await frameworks.runFrameworkCase(tf, api, fixture, c, route, tolerances);
        await page.reportCase({name: r.name, checks: r.checks, failures: r.failures});
      }
    }
  }
};
