// Issue 4's figures: the sandboxed runtime, measured on the built code (dist/) because the worker
// thread runs the compiled worker there. Baselines are floors measured in the same run: the same
// export called on an instance in this thread, and the same core modules compiled and instantiated
// here with no worker at all.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Lib from '../../lib/index.js';
import type * as Component from '../../lib/component/index.js';
import type * as Runtime from '../../lib/runtime/index.js';
import { cComponentPath } from '../../test/harness/c-fixtures.js';
import { fixturePath } from '../../test/harness/fixtures.js';
import { jsComponentPath } from '../../test/harness/js-fixtures.js';
import {
  type Bench,
  REPO_ROOT,
  type Scenario,
  compare,
  percentile,
  summarize,
  timeCommand,
} from '../measure.js';

const load = <T>(module: string): Promise<T> =>
  import(pathToFileURL(path.join(REPO_ROOT, 'dist', 'lib', module)).href) as Promise<T>;

const STEADY_CALLS = 5000;

interface Built {
  lib: typeof Lib;
  component: typeof Component;
  runtime: typeof Runtime;
}

type Transpiled = Component.TranspiledComponent;

async function transpile(built: Built, file: string, cache: string): Promise<Transpiled> {
  const bytes = new Uint8Array(await readFile(file));
  return built.component.transpileCached(bytes, built.lib.sha256(bytes), cache, path.basename(file));
}

/** The floor: compile the core modules and instantiate the glue in this thread, then call once. */
async function inThread(
  built: Built,
  transpiled: Transpiled,
): Promise<{ ms: number; call: (fn: string, args: unknown[]) => unknown }> {
  const started = performance.now();
  const modules: Record<string, WebAssembly.Module> = {};
  for (const file of transpiled.coreModules) {
    modules[file] = await WebAssembly.compile(await readFile(path.join(transpiled.dir, file)));
  }
  const glue = (await import(pathToFileURL(transpiled.entry).href)) as {
    instantiate(
      get: (n: string) => WebAssembly.Module,
      imports: unknown,
      core: (m: WebAssembly.Module, i: WebAssembly.Imports) => WebAssembly.Instance,
    ): Promise<Record<string, unknown>>;
  };
  const sink = { write: () => {} };
  const instance = await glue.instantiate(
    (name) => modules[name]!,
    built.runtime.wasiImports({
      env: [],
      config: [],
      args: ['bench'],
      stdout: sink,
      stderr: sink,
      preopens: [],
      onDenied: () => {},
      allows: () => false,
      perform: () => ({ ok: false, error: { tag: 'HTTP-request-denied' }, message: 'bench' }),
      defaultTimeoutMs: 1000,
    }),
    (m, i) => new WebAssembly.Instance(m, i),
  );
  const call = (fn: string, args: unknown[]): unknown => {
    const [iface, name] = fn.includes('.') ? fn.split('.') : [undefined, fn];
    const camel = name!.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const target = (iface ? instance[iface] : instance) as Record<string, (...a: unknown[]) => unknown>;
    return target[camel]!(...args);
  };
  return { ms: performance.now() - started, call };
}

const JCO_CLI = path.join(REPO_ROOT, 'node_modules', '.bin', 'jco');

/**
 * Issue 8: a transpile that misses the cache (a fresh cache folder each run) against `jco transpile`
 * on the command line writing the same output. The baseline is a process, so its start-up (a
 * `node -e ""` measured alongside) is given in the note.
 */
async function transpileMiss(built: Built, file: string, what: string, bench: Bench): Promise<Scenario> {
  const bytes = new Uint8Array(await readFile(file));
  const digest = built.lib.sha256(bytes);
  const { subject, baseline } = await compare(
    bench.runs,
    async (i) => {
      const started = performance.now();
      await built.component.transpileCached(
        bytes,
        digest,
        path.join(bench.scratch, `miss-${what.length}-${i}`),
        what,
      );
      return performance.now() - started;
    },
    (i) =>
      timeCommand(JCO_CLI, [
        'transpile',
        file,
        '-o',
        path.join(bench.scratch, `jco-${what.length}-${i}`),
        '--quiet',
      ]),
  );
  const start = summarize(await Promise.all([0, 1, 2].map(() => timeCommand(process.execPath, ['-e', '']))));
  return {
    name: `transpile, cache miss: ${what}`,
    goal: 'measure only (issue 8: against jco transpile on the command line)',
    met: true,
    subject,
    baseline: { name: 'jco transpile (the command line)', sample: baseline },
    ratio: subject.median / baseline.median,
    note: `the baseline includes a Node start-up (node -e "" took ${start.median.toFixed(0)} ms here); wtools transpiles in-process, then writes the cache entry atomically`,
  };
}

export async function runtimeScenarios(bench: Bench): Promise<Scenario[]> {
  const built: Built = {
    lib: await load<typeof Lib>('index.js'),
    component: await load<typeof Component>('component/index.js'),
    runtime: await load<typeof Runtime>('runtime/index.js'),
  };
  const cache = path.join(bench.scratch, 'runtime-cache');
  const c = await transpile(built, await cComponentPath('c/basic'), cache);
  const js = await transpile(built, await jsComponentPath('types'), cache);
  const counter = await transpile(built, await fixturePath('counter'), cache);
  // A long-running host keeps a blank worker ready, as `wtools serve` does.
  built.runtime.keepSpareWorker(true);
  const scenarios: Scenario[] = [];
  try {
    scenarios.push(await transpileMiss(built, await cComponentPath('c/basic'), 'the C fixture', bench));
    scenarios.push(await transpileMiss(built, await jsComponentPath('types'), 'the 12 MB JS fixture', bench));
    scenarios.push(await steadyCall(built, c));
    scenarios.push(
      await warmLoad(
        built,
        js,
        'shapes.classify',
        [5],
        'the 12 MB JS (StarlingMonkey) fixture',
        250,
        bench.runs,
      ),
    );
    scenarios.push(await warmLoad(built, c, 'add', [1, 2], 'the C fixture', 50, bench.runs));
    scenarios.push(await afterTimeout(built, counter, bench.runs));
    scenarios.push(await residentMemory(built, c, 'the C fixture'));
    scenarios.push(await residentMemory(built, js, 'the 12 MB JS fixture'));
  } finally {
    built.runtime.keepSpareWorker(false);
  }
  return scenarios;
}

async function steadyCall(built: Built, transpiled: Transpiled): Promise<Scenario> {
  const runtime = await built.runtime.ComponentRuntime.load({ name: 'c-basic', transpiled, env: {} });
  const floor = await inThread(built, transpiled);
  try {
    const worker: number[] = [];
    const direct: number[] = [];
    for (let i = -500; i < STEADY_CALLS; i++) {
      let t = performance.now();
      await runtime.call('add', [i, 1]);
      if (i >= 0) worker.push(performance.now() - t);
      t = performance.now();
      floor.call('add', [i, 1]);
      if (i >= 0) direct.push(performance.now() - t);
    }
    const sortedWorker = [...worker].sort((a, b) => a - b);
    const subject = summarize(worker);
    const baseline = summarize(direct);
    return {
      name: `steady call of a small export through the worker (C add, ${STEADY_CALLS} calls)`,
      goal: 'p50 ≤ 0.3 ms',
      met: subject.median <= 0.3,
      subject: { ...subject, runs: [] },
      baseline: { name: 'the same export on an instance in this thread', sample: { ...baseline, runs: [] } },
      ratio: subject.median / baseline.median,
      note: `worker p99 ${percentile(sortedWorker, 0.99).toFixed(3)} ms; in-thread p50 ${baseline.median.toFixed(4)} ms`,
    };
  } finally {
    await runtime.close();
  }
}

async function warmLoad(
  built: Built,
  transpiled: Transpiled,
  fn: string,
  args: unknown[],
  what: string,
  goalMs: number,
  runs: number,
): Promise<Scenario> {
  const loads: number[] = [];
  const floors: number[] = [];
  for (let i = -1; i < runs; i++) {
    // A new memory limit each time defeats the in-process cache of compiled modules: every load
    // compiles, as the first load of a component in a process does.
    const started = performance.now();
    const runtime = await built.runtime.ComponentRuntime.load({
      name: 'bench',
      transpiled,
      env: {},
      limits: { memoryMiB: 300 + i + 2 },
    });
    await runtime.call(fn, args);
    if (i >= 0) loads.push(performance.now() - started);
    await runtime.close();
    const floor = await inThread(built, transpiled);
    const t = performance.now();
    floor.call(fn, args);
    if (i >= 0) floors.push(floor.ms + performance.now() - t);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const subject = summarize(loads);
  const baseline = summarize(floors);
  return {
    name: `warm load (transpile cached) to first call: ${what}`,
    goal: `≤ ${goalMs} ms`,
    met: subject.median <= goalMs,
    subject,
    baseline: { name: 'WebAssembly.compile + instantiate + call in this thread', sample: baseline },
    ratio: subject.median / baseline.median,
  };
}

async function afterTimeout(built: Built, transpiled: Transpiled, runs: number): Promise<Scenario> {
  const runtime = await built.runtime.ComponentRuntime.load({ name: 'counter', transpiled, env: {} });
  const next: number[] = [];
  try {
    for (let i = -1; i < runs; i++) {
      await runtime.call('spin', [], { timeoutMs: 50 }).catch(() => {});
      const started = performance.now();
      await runtime.call('next', []);
      if (i >= 0) next.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await runtime.close();
  }
  const subject = summarize(next);
  return {
    name: 'after a timeout kill, the next call answered (counter fixture)',
    goal: '≤ 300 ms',
    met: subject.median <= 300,
    subject,
  };
}

async function residentMemory(built: Built, transpiled: Transpiled, what: string): Promise<Scenario> {
  const COUNT = 4;
  global.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = process.memoryUsage().rss;
  const runtimes = [];
  for (let i = 0; i < COUNT; i++) {
    runtimes.push(await built.runtime.ComponentRuntime.load({ name: 'rss', transpiled, env: {} }));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const perComponent = (process.memoryUsage().rss - before) / COUNT / 2 ** 20;
  await Promise.all(runtimes.map((r) => r.close()));
  return {
    name: `RSS per loaded component (${what}: worker + instance)`,
    goal: 'measure only',
    met: true,
    subject: summarize([perComponent]),
    unit: 'MiB',
    note: `RSS of this process grew ${(perComponent * COUNT).toFixed(0)} MiB for ${COUNT} loaded copies`,
  };
}
