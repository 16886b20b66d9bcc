import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GrantStore, entryFor, parseGrantText, putGrant } from '../../../lib/grants/index.js';
import { expectCode, tempDir } from '../../harness/unit.js';

const grant = (capability: string) =>
  ({ capability, effect: 'allow', scope: 'always', by: 'test', at: '2026-11-29T00:00:00Z' }) as const;

describe('the grant store', () => {
  it('starts empty, writes 0600 and counts revisions', async () => {
    const store = new GrantStore(path.join(await tempDir(), 'config', 'grants.json'));
    expect(await store.read()).toEqual({ version: 1, revision: 0, components: {} });
    await store.update((s) => putGrant(entryFor(s, 'r/a'), grant('env:KEY')));
    const state = await store.update((s) =>
      putGrant(entryFor(s, 'r/a'), grant('http:https://x.example:443')),
    );
    expect(state.revision).toBe(2);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect((await store.read()).components['r/a']!.grants.map((g) => g.capability)).toEqual([
      'env:KEY',
      'http:https://x.example:443',
    ]);
  });

  it('a later decision on the same capability replaces the earlier one', async () => {
    const store = new GrantStore(path.join(await tempDir(), 'grants.json'));
    await store.update((s) => putGrant(entryFor(s, 'r/a'), grant('env:KEY')));
    await store.update((s) => putGrant(entryFor(s, 'r/a'), { ...grant('env:KEY'), effect: 'deny' }));
    expect((await store.read()).components['r/a']!.grants).toEqual([{ ...grant('env:KEY'), effect: 'deny' }]);
  });

  it('refuses a write prepared against an older revision', async () => {
    const store = new GrantStore(path.join(await tempDir(), 'grants.json'));
    const seen = await store.read();
    await store.update((s) => putGrant(entryFor(s, 'r/a'), grant('env:A')));
    await expectCode(
      store.update((s) => putGrant(entryFor(s, 'r/a'), grant('env:B')), { expectRevision: seen.revision }),
      'GRANTS_CONFLICT',
    );
    expect((await store.read()).components['r/a']!.grants.map((g) => g.capability)).toEqual(['env:A']);
  });

  it('a change that returns false writes nothing', async () => {
    const store = new GrantStore(path.join(await tempDir(), 'grants.json'));
    await store.update(() => false);
    await expect(readFile(store.file)).rejects.toThrow(/ENOENT/);
  });

  it.each([
    ['not JSON', '{"version": 1,'],
    ['another version', '{"version": 2, "revision": 0, "components": {}}'],
    ['no revision', '{"version": 1, "components": {}}'],
    ['grants not a list', '{"version": 1, "revision": 1, "components": {"r/a": {"grants": {}}}}'],
    [
      'an unknown effect',
      '{"version":1,"revision":1,"components":{"r/a":{"grants":[{"capability":"env:A","effect":"maybe","scope":"always"}]}}}',
    ],
    [
      'a malformed capability',
      '{"version":1,"revision":1,"components":{"r/a":{"grants":[{"capability":"disk:/","effect":"allow","scope":"always"}]}}}',
    ],
    [
      'a session grant stored',
      '{"version":1,"revision":1,"components":{"r/a":{"grants":[{"capability":"env:A","effect":"allow","scope":"session"}]}}}',
    ],
  ])('a corrupt file (%s) is an error, never an empty store', async (_why, content) => {
    const store = new GrantStore(path.join(await tempDir(), 'grants.json'));
    await writeFile(store.file, content);
    const err = await expectCode(store.read(), 'GRANTS_CORRUPT');
    expect(err.message).toContain(store.file);
    await expectCode(
      store.update(() => {}),
      'GRANTS_CORRUPT',
    );
    expect(await readFile(store.file, 'utf8')).toBe(content); // nothing rewritten over it
  });
});

describe('grant text', () => {
  it('reads capabilities and limits', () => {
    expect(parseGrantText('memory:512MiB')).toEqual({ limit: { memoryMiB: 512 } });
    expect(parseGrantText('timeout:2m')).toEqual({ limit: { timeoutMs: 120_000 } });
    expect(parseGrantText('output:1MiB')).toEqual({ limit: { outputBytes: 1024 * 1024 } });
    expect(parseGrantText('env:KEY')).toEqual({ capability: { kind: 'env', key: 'KEY' } });
  });

  it('shows the whole grammar, limits included, for an unknown kind', () => {
    expect(() => parseGrantText('disk:/x')).toThrow(/memory:SIZE.*timeout:DURATION/);
    expect(() => parseGrantText('memory:lots')).toThrow(/128MiB/);
  });
});
