// `make bench`: each scenario against a baseline measured in the same run, on this machine.
// The scenarios live in bench/scenarios/; this file starts the registry, runs them, and reports.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startRegistry } from '../test/harness/registry.js';
import { type Bench, REPO_ROOT, type Scenario, formatMs, formatValue } from './measure.js';
import { pullScenarios } from './scenarios/pull.js';
import { verifyScenarios } from './scenarios/verify.js';
import { runtimeScenarios } from './scenarios/runtime.js';
import { mcpScenarios } from './scenarios/mcp.js';
import { codeModeScenarios } from './scenarios/code-mode.js';
import { hopScenarios } from './scenarios/hop.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** `BENCH_ONLY=mcp,runtime` runs some groups only; their results go to bench/results/partial.json. */
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const GROUPS = {
  pull: pullScenarios,
  verify: verifyScenarios,
  runtime: runtimeScenarios,
  mcp: mcpScenarios,
  'code-mode': codeModeScenarios,
  hop: hopScenarios,
};

function relation(s: Scenario): string {
  const parts: string[] = [];
  if (s.ratio !== undefined) parts.push(`${s.ratio.toFixed(2)}×`);
  if (s.differenceMs !== undefined) {
    parts.push(`${s.differenceMs >= 0 ? '+' : '−'}${formatMs(Math.abs(s.differenceMs))}`);
  }
  return parts.length === 2 ? `${parts[0]} (${parts[1]})` : (parts[0] ?? '');
}

function table(scenarios: Scenario[]): string {
  const lines = scenarios.map((s) =>
    [
      s.name,
      `${formatValue(s.subject.median, s.unit)} (${formatValue(s.subject.min, s.unit)}–${formatValue(s.subject.max, s.unit)})`,
      s.baseline ? `${s.baseline.name}: ${formatValue(s.baseline.sample.median, s.unit)}` : '',
      relation(s),
      `${s.met ? 'met' : 'NOT met'}: ${s.goal}`,
    ].join(' | '),
  );
  const notes = scenarios.filter((s) => s.note).map((s) => `note (${s.name}): ${s.note}`);
  return [
    'scenario | wtools median (min–max) | baseline median | relation | goal',
    ...lines,
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const registry = await startRegistry();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'wtools-bench-'));
  const bench: Bench = {
    cli: path.join(REPO_ROOT, 'dist', 'bundle', 'bin.js'),
    registry: registry.host,
    scratch,
    runs: RUNS,
  };
  const scenarios: Scenario[] = [];
  try {
    for (const [group, run] of Object.entries(GROUPS)) {
      if (!ONLY || ONLY.includes(group)) scenarios.push(...(await run(bench)));
    }
  } finally {
    await registry.stop();
    await rm(scratch, { recursive: true, force: true });
  }

  process.stdout.write(`${table(scenarios)}\n`);
  await mkdir(path.join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(
    path.join(REPO_ROOT, 'bench', 'results', ONLY ? 'partial.json' : 'latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, runs: RUNS, scenarios }, null, 2)}\n`,
  );
}

await main();
