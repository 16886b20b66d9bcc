import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The repository's root folder. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The value below which a fraction `p` of `values` lies (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export interface Sample {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export interface Scenario {
  name: string;
  /** The goal the issue set, in words, and whether it was met. */
  goal: string;
  met: boolean;
  subject: Sample;
  baseline?: { name: string; sample: Sample };
  /** subject / baseline, and/or subject − baseline. */
  ratio?: number;
  differenceMs?: number;
  /** What the reader should know about the baseline or the setup. */
  note?: string;
  /** The unit of subject and baseline; milliseconds when absent. */
  unit?: 'ms' | 'MiB' | 'calls/s';
}

/** What every scenario module gets from bench/run.ts. */
export interface Bench {
  /** The built CLI, dist/bundle/bin.js. */
  cli: string;
  /** host:port of the local registry started for this run. */
  registry: string;
  /** A temp dir removed after the run. */
  scratch: string;
  runs: number;
}

export function summarize(runs: number[]): Sample {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs };
}

/** Wall time of a whole command, as a person would see it. */
export async function timeCommand(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const started = process.hrtime.bigint();
  await exec(file, args, { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * Warm-up then `runs` measured repetitions; subject and baseline alternate so that drift in the
 * machine's load touches both alike.
 */
export async function compare(
  runs: number,
  subject: (i: number) => Promise<number>,
  baseline: (i: number) => Promise<number>,
): Promise<{ subject: Sample; baseline: Sample }> {
  await subject(-1);
  await baseline(-1);
  const s: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    s.push(await subject(i));
    b.push(await baseline(i));
  }
  return { subject: summarize(s), baseline: summarize(b) };
}

/** Warm-up then `runs` measured repetitions of one thing that has no baseline to alternate with. */
export async function repeat(runs: number, subject: (i: number) => Promise<number>): Promise<Sample> {
  await subject(-1);
  const s: number[] = [];
  for (let i = 0; i < runs; i++) s.push(await subject(i));
  return summarize(s);
}

/** Whether `command` is on PATH. */
export async function onPath(command: string): Promise<boolean> {
  try {
    await exec('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`;
}

/** A figure in the scenario's own unit: milliseconds unless it says otherwise. */
export function formatValue(value: number, unit: Scenario['unit']): string {
  if (unit === 'MiB') return `${value.toFixed(1)} MiB`;
  if (unit === 'calls/s') return `${value.toFixed(0)} calls/s`;
  return formatMs(value);
}
