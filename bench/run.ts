// `make bench`: each scenario against a baseline measured in the same run, on this machine.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigComponentPath } from '../test/harness/fixtures.js';
import { startRegistry } from '../test/harness/registry.js';
import { type Scenario, compare, formatMs, timeCommand } from './measure.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'bundle', 'bin.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function main(): Promise<void> {
  const registry = await startRegistry();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'wtools-bench-'));
  const scenarios: Scenario[] = [];
  try {
    const component = await bigComponentPath(12 * 1024 * 1024);
    const ref = `${registry.host}/bench/component:12mb`;
    await timeCommand(process.execPath, [cli, 'push', component, ref, '--quiet'], {
      WTOOLS_HOME: path.join(scratch, 'push'),
    });

    // Cold pull: a fresh store each time, against skopeo copying the same artifact into a fresh layout.
    const pull = await compare(
      RUNS,
      (i) =>
        timeCommand(process.execPath, [cli, 'pull', ref, '--quiet'], {
          WTOOLS_HOME: path.join(scratch, `cold-${i}`),
        }),
      (i) =>
        timeCommand('skopeo', [
          'copy',
          '--quiet',
          '--src-tls-verify=false',
          `docker://${ref}`,
          `oci:${path.join(scratch, `skopeo-${i}`)}:12mb`,
        ]),
    );
    const ratio = pull.subject.median / pull.baseline.median;
    scenarios.push({
      name: 'cold pull of a 12 MiB component from the local registry',
      goal: 'wall time ≤ 1.0 × skopeo copy of the same artifact into an OCI layout',
      met: ratio <= 1.0,
      subject: pull.subject,
      baseline: { name: 'skopeo copy docker:// → oci:', sample: pull.baseline },
      ratio,
    });

    // A digest already stored: no network; compare with Node starting and exiting.
    const warmHome = path.join(scratch, 'warm');
    const pinned = (
      await import('node:child_process').then(({ execFileSync }) =>
        execFileSync(process.execPath, [cli, 'pull', ref, '--quiet'], {
          env: { ...process.env, WTOOLS_HOME: warmHome },
        }),
      )
    )
      .toString()
      .trim();
    const warm = await compare(
      RUNS,
      () => timeCommand(process.execPath, [cli, 'pull', pinned, '--quiet'], { WTOOLS_HOME: warmHome }),
      () => timeCommand(process.execPath, ['-e', '']),
    );
    const difference = warm.subject.median - warm.baseline.median;
    scenarios.push({
      name: 'pull of a digest already stored',
      goal: 'under 50 ms beyond Node’s own start-up',
      met: difference < 50,
      subject: warm.subject,
      baseline: { name: 'node -e ""', sample: warm.baseline },
      differenceMs: difference,
    });
  } finally {
    await registry.stop();
    await rm(scratch, { recursive: true, force: true });
  }

  const lines = scenarios.map((s) => {
    const relation =
      s.ratio !== undefined
        ? `${s.ratio.toFixed(2)}×`
        : s.differenceMs !== undefined
          ? `+${formatMs(s.differenceMs)}`
          : '';
    return [
      s.name,
      `${formatMs(s.subject.median)} (${formatMs(s.subject.min)}–${formatMs(s.subject.max)})`,
      s.baseline ? `${s.baseline.name}: ${formatMs(s.baseline.sample.median)}` : '',
      relation,
      `${s.met ? 'met' : 'NOT met'}: ${s.goal}`,
    ].join(' | ');
  });
  process.stdout.write(
    ['scenario | wtools median (min–max) | baseline median | relation | goal', ...lines].join('\n') + '\n',
  );
  await mkdir(path.join(root, 'bench', 'results'), { recursive: true });
  await writeFile(
    path.join(root, 'bench', 'results', 'latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, runs: RUNS, scenarios }, null, 2)}\n`,
  );
}

await main();
