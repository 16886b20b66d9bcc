// Cold pull vs skopeo, and a pull of a stored digest vs Node's start-up.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { bigComponentPath } from '../../test/harness/fixtures.js';
import { type Bench, type Scenario, compare, timeCommand } from '../measure.js';

// Pull verifies before it stores (issue 3); the artifact here is unsigned so that these scenarios time
// the transfer and the store alone, as skopeo does. Verification has its own scenarios.
const UNSIGNED_NOTE =
  'pulled with --allow-unsigned: transfer and store only (verification is timed separately)';

export async function pullScenarios({ cli, registry, scratch, runs }: Bench): Promise<Scenario[]> {
  const component = await bigComponentPath(12 * 1024 * 1024);
  const ref = `${registry}/bench/component:12mb`;
  await timeCommand(process.execPath, [cli, 'push', component, ref, '--quiet'], {
    WTOOLS_HOME: path.join(scratch, 'push'),
  });

  // Cold pull: a fresh store each time, against skopeo copying the same artifact into a fresh layout.
  const pull = await compare(
    runs,
    (i) =>
      timeCommand(process.execPath, [cli, 'pull', ref, '--allow-unsigned', '--quiet'], {
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
  const cold: Scenario = {
    name: 'cold pull of a 12 MiB component from the local registry',
    goal: 'wall time ≤ 1.0 × skopeo copy of the same artifact into an OCI layout',
    met: ratio <= 1.0,
    subject: pull.subject,
    baseline: { name: 'skopeo copy docker:// → oci:', sample: pull.baseline },
    ratio,
    note: UNSIGNED_NOTE,
  };

  // A digest already stored: no network; compare with Node starting and exiting.
  const warmHome = path.join(scratch, 'warm');
  const pinned = execFileSync(process.execPath, [cli, 'pull', ref, '--allow-unsigned', '--quiet'], {
    env: { ...process.env, WTOOLS_HOME: warmHome },
  })
    .toString()
    .trim();
  const warm = await compare(
    runs,
    () =>
      timeCommand(process.execPath, [cli, 'pull', pinned, '--allow-unsigned', '--quiet'], {
        WTOOLS_HOME: warmHome,
      }),
    () => timeCommand(process.execPath, ['-e', '']),
  );
  const difference = warm.subject.median - warm.baseline.median;
  const stored: Scenario = {
    name: 'pull of a digest already stored',
    goal: 'under 50 ms beyond Node’s own start-up',
    met: difference < 50,
    subject: warm.subject,
    baseline: { name: 'node -e ""', sample: warm.baseline },
    differenceMs: difference,
    note: UNSIGNED_NOTE,
  };
  return [cold, stored];
}
