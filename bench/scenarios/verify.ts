// Issue 3's figures: `wtools verify` of one signed artifact, and of 20 refs in one invocation.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { WtoolsContext, pushSigned, writeKeyPair } from '../../lib/index.js';
import { fixturePath } from '../../test/harness/fixtures.js';
import { type Bench, type Scenario, compare, onPath, repeat, summarize, timeCommand } from '../measure.js';

const REFS = 20;
const GOAL = 'measure only (issue 3 sets no target)';

/** Pushes and signs `count` distinct artifacts (one repository each) with a fresh key, untimed. */
async function signedRefs(bench: Bench, count: number): Promise<{ refs: string[]; publicKey: string }> {
  const home = path.join(bench.scratch, 'signer');
  await mkdir(home, { recursive: true });
  const keys = await writeKeyPair(home);
  const context = new WtoolsContext({ env: { WTOOLS_HOME: home, HOME: home } });
  const pem = await readFile(keys.privateKeyPath, 'utf8');
  const component = await fixturePath('hello');
  const refs = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const ref = `${bench.registry}/bench/verify-${String(i).padStart(2, '0')}:1.0`;
      // A distinct creation time gives each artifact its own manifest digest.
      const created = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
      await pushSigned(context, component, ref, { created }, { key: { pem }, created });
      return ref;
    }),
  );
  return { refs, publicKey: keys.publicKeyPath };
}

export async function verifyScenarios(bench: Bench): Promise<Scenario[]> {
  const { cli, scratch, runs } = bench;
  const { refs, publicKey } = await signedRefs(bench, REFS);
  const env = { WTOOLS_HOME: path.join(scratch, 'verify') };
  const verify = (list: string[]) =>
    timeCommand(process.execPath, [cli, 'verify', ...list, '--key', publicKey, '--quiet'], env);

  // One ref: the whole command against the CLI doing nothing but start (and print its version).
  const cosign = await onPath('cosign');
  const one = await compare(
    runs,
    () => verify([refs[0]!]),
    () => timeCommand(process.execPath, [cli, 'version'], env),
  );
  const single: Scenario = {
    name: 'verify one signed artifact from the local registry (--key)',
    goal: GOAL,
    met: true,
    subject: one.subject,
    baseline: { name: 'wtools version (start-up only)', sample: one.baseline },
    ratio: one.subject.median / one.baseline.median,
    differenceMs: one.subject.median - one.baseline.median,
    note: cosign
      ? 'cosign is installed but not compared yet: the baseline is wtools start-up'
      : 'cosign is not installed on this machine, so the baseline is wtools start-up, not cosign verify',
  };

  // Twenty refs in one invocation, against twenty single verifies run one after another.
  const many = await repeat(runs, () => verify(refs));
  const serial = summarize(one.subject.runs.map((ms) => ms * REFS));
  const batch: Scenario = {
    name: `verify ${REFS} signed refs in one invocation (--key)`,
    goal: GOAL,
    met: true,
    subject: many,
    baseline: { name: `${REFS} × single verify (derived, not run)`, sample: serial },
    ratio: many.median / serial.median,
    note: `ratio < 1 is the gain from checking refs concurrently in one process; the baseline is ${REFS} × each single-verify run above`,
  };
  return [single, batch];
}
