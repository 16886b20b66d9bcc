import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { LOOPBACK_UNSIGNED_POLICY, describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';

const registry = inject('registryHost');

interface PullJson {
  digest: string;
  pinned: string;
  cached: boolean;
  trust: { status: string; rule: string; policy: string; trustRoot: string; subject: string };
}

async function publish(run: Awaited<ReturnType<typeof sandbox>>['run'], name: string): Promise<string> {
  const ref = `${registry}/${uniqueRepo(name)}:1`;
  const pushed = await run(['push', await fixturePath('hello'), ref, '--quiet']);
  expect(pushed.code, describeRun(pushed)).toBe(0);
  return ref;
}

describe('e2e: pull verifies before it stores', () => {
  it('refuses an unsigned component under the shipped deny-by-default policy, storing nothing', async () => {
    const sb = await sandbox({ trustPolicy: false });
    const ref = await publish(sb.run, 'unsigned');
    const result = await sb.run(['pull', ref, '--json']);
    expect(result.code, describeRun(result)).toBe(8);
    expect(jsonOf(result)).toMatchObject({ ok: false, exitCode: 8, error: { code: 'UNSIGNED' } });
    expect(result.stderr).toContain('--allow-unsigned');
    const listed = await sb.run(['ls', '--json']);
    expect(jsonOf(listed)).toEqual([]);
  });

  it('--allow-unsigned accepts it knowingly, and the audit log records it', async () => {
    const sb = await sandbox({ trustPolicy: false });
    const ref = await publish(sb.run, 'allowed');
    const result = await sb.run(['pull', ref, '--allow-unsigned', '--json']);
    expect(result.code, describeRun(result)).toBe(0);
    const pulled = jsonOf<PullJson>(result);
    expect(pulled.trust).toMatchObject({ status: 'unsigned-allowed', rule: '--allow-unsigned' });
    const audit = (await readFile(path.join(sb.wtoolsHome, 'data', 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n');
    expect(audit.map((line) => JSON.parse(line) as { event: string; digest: string })).toEqual([
      expect.objectContaining({ event: 'unsigned-allowed', digest: pulled.digest }),
    ]);
  });

  it('a policy rule that allows unsigned content is named as the reason', async () => {
    const sb = await sandbox();
    const ref = await publish(sb.run, 'by-rule');
    const result = await sb.run(['pull', ref, '--json']);
    expect(result.code, describeRun(result)).toBe(0);
    expect(jsonOf<PullJson>(result).trust.rule).toMatch(/trust-policy\.yaml:\d+ rules\[0\]/);
  });

  it('a stored digest is verified again once the policy changes', async () => {
    const sb = await sandbox();
    const ref = await publish(sb.run, 'reverify');
    const first = jsonOf<PullJson>(await sb.run(['pull', ref, '--json']));
    const again = await sb.run(['pull', first.pinned, '--json']);
    expect(jsonOf<PullJson>(again)).toMatchObject({ cached: true, trust: { policy: first.trust.policy } });

    // The rule that allowed it is gone: the cached copy may no longer be used.
    await writeFile(path.join(sb.wtoolsHome, 'config', 'trust-policy.yaml'), 'version: 1\nrules: []\n');
    const refused = await sb.run(['pull', first.pinned, '--json']);
    expect(refused.code, describeRun(refused)).toBe(8);
    expect(jsonOf(refused)).toMatchObject({ error: { code: 'UNSIGNED' } });

    await writeFile(path.join(sb.wtoolsHome, 'config', 'trust-policy.yaml'), LOOPBACK_UNSIGNED_POLICY);
    const back = await sb.run(['pull', first.pinned, '--json']);
    expect(back.code, describeRun(back)).toBe(0);
    expect(jsonOf<PullJson>(back).cached).toBe(true);
  });

  it('an invalid policy file stops the pull with its line number', async () => {
    const sb = await sandbox({
      trustPolicy: 'version: 1\nrules:\n  - match: ["x/*"]\n    unsigned: maybe\n',
    });
    const ref = await publish(sb.run, 'bad-policy');
    const result = await sb.run(['pull', ref]);
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.stderr).toMatch(/trust-policy\.yaml:4/);
  });
});
