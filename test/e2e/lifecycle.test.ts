import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { sha256 } from '../../lib/core/index.js';
import { describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';
import { inspectLayout } from '../harness/oci.js';

const registry = inject('registryHost');

interface PushJson {
  reference: string;
  pinned: string;
  digest: string;
  size: number;
  component: { digest: string; size: number };
  exports: string[];
}

interface PullJson {
  reference: string;
  pinned: string;
  digest: string;
  size: number;
  component: { digest: string; size: number; mediaType: string; packaging: string };
  exports: string[];
  imports: string[];
  cached: boolean;
}

interface LsEntry {
  name: string;
  digest: string;
  size: number;
  source?: string;
  pulled?: string;
  complete: boolean;
}

interface ErrorJson {
  ok: false;
  exitCode: number;
  error: { code: string; message: string };
}

describe('e2e: push → pull → ls → rm → gc', () => {
  it('keeps the store consistent through a whole lifecycle', async () => {
    const sb = await sandbox();
    const file = await fixturePath('hello');
    const component = await readFile(file);
    const repo = `${registry}/${uniqueRepo('lifecycle')}`;
    const ref = `${repo}:1.0`;

    const pushed = await sb.run(['push', file, ref, '--json', '--created', '2024-01-01T00:00:00Z']);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    const push = jsonOf<PushJson>(pushed);
    expect(push.reference).toBe(ref);
    expect(push.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(push.pinned).toBe(`${repo}@${push.digest}`);
    expect(push.component).toEqual({ digest: sha256(component), size: component.byteLength });
    expect(push.exports).toEqual(['add']);

    const pulled = await sb.run(['pull', ref, '--json']);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    const pull = jsonOf<PullJson>(pulled);
    expect(pull).toMatchObject({
      reference: ref,
      pinned: push.pinned,
      digest: push.digest,
      size: push.size,
      cached: false,
      exports: ['add'],
      imports: [],
    });
    expect(pull.component).toEqual({
      digest: sha256(component),
      size: component.byteLength,
      mediaType: 'application/wasm',
      packaging: 'wasm',
    });

    const listed = await sb.run(['ls', '--json']);
    expect(listed.code, describeRun(listed)).toBe(0);
    const entries = jsonOf<LsEntry[]>(listed);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      name: ref,
      digest: push.digest,
      size: push.size,
      source: push.pinned,
      complete: true,
    });
    expect(Date.parse(entries[0]!.pulled ?? '')).not.toBeNaN();

    // By digest: already stored, nothing fetched, and the pinned name is added.
    const again = await sb.run(['pull', push.pinned, '--json']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(jsonOf<PullJson>(again)).toMatchObject({
      digest: push.digest,
      cached: true,
      reference: push.pinned,
    });
    const names = jsonOf<LsEntry[]>(await sb.run(['ls', '--json'])).map((e) => [e.name, e.digest]);
    expect(names.sort()).toEqual(
      [
        [ref, push.digest],
        [push.pinned, push.digest],
      ].sort(),
    );

    const before = await inspectLayout(sb.storeDir);
    expect(before.blobs).toHaveLength(3); // manifest, config, component
    expect(before.corrupt).toEqual([]);
    expect(before.bytes).toBe(push.size);

    const removed = await sb.run(['rm', ref, push.pinned, '--json']);
    expect(removed.code, describeRun(removed)).toBe(0);
    expect(
      jsonOf<LsEntry[]>(removed)
        .map((e) => e.name)
        .sort(),
    ).toEqual([ref, push.pinned].sort());
    expect(jsonOf<LsEntry[]>(await sb.run(['ls', '--json']))).toEqual([]);
    // rm only drops names; the bytes stay until gc.
    expect((await inspectLayout(sb.storeDir)).blobs).toHaveLength(3);

    const gc = await sb.run(['gc', '--grace-minutes', '0', '--json']);
    expect(gc.code, describeRun(gc)).toBe(0);
    expect(jsonOf(gc)).toEqual({ removedBlobs: 3, freedBytes: push.size, keptRecent: 0 });
    const after = await inspectLayout(sb.storeDir);
    expect(after.blobs).toEqual([]);
    expect(after.leftovers).toEqual([]);

    const gcAgain = await sb.run(['gc', '--grace-minutes', '0', '--json']);
    expect(jsonOf(gcAgain)).toEqual({ removedBlobs: 0, freedBytes: 0, keptRecent: 0 });
  });

  it('gc keeps unreferenced blobs inside the grace period', async () => {
    const sb = await sandbox();
    const ref = `${registry}/${uniqueRepo('grace')}:1`;
    expect((await sb.run(['push', await fixturePath('hello'), ref, '-q'])).code).toBe(0);
    expect((await sb.run(['pull', ref, '-q'])).code).toBe(0);
    expect((await sb.run(['rm', ref, '-q'])).code).toBe(0);
    const gc = await sb.run(['gc', '--json']);
    expect(jsonOf(gc)).toEqual({ removedBlobs: 0, freedBytes: 0, keptRecent: 3 });
    expect((await inspectLayout(sb.storeDir)).blobs).toHaveLength(3);
  });

  it('refuses a gc grace period that is not a number instead of deleting everything', async () => {
    const sb = await sandbox();
    const ref = `${registry}/${uniqueRepo('grace-nan')}:1`;
    expect((await sb.run(['push', await fixturePath('hello'), ref, '-q'])).code).toBe(0);
    expect((await sb.run(['pull', ref, '-q'])).code).toBe(0);
    expect((await sb.run(['rm', ref, '-q'])).code).toBe(0);
    const gc = await sb.run(['gc', '--grace-minutes', 'soon', '--json']);
    expect(gc.code, describeRun(gc)).toBe(2);
    expect(jsonOf<ErrorJson>(gc)).toMatchObject({ ok: false, exitCode: 2, error: { code: 'USAGE' } });
    expect((await inspectLayout(sb.storeDir)).blobs).toHaveLength(3);
  });

  it('--quiet prints only the pinned reference', async () => {
    const sb = await sandbox();
    const repo = `${registry}/${uniqueRepo('quiet')}`;
    const pushed = await sb.run(['push', await fixturePath('imports'), `${repo}:q`, '--quiet']);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    expect(pushed.stdout).toMatch(new RegExp(`^${escape(repo)}@sha256:[a-f0-9]{64}\\n$`));
    expect(pushed.stderr).toBe('');

    const pulled = await sb.run(['pull', `${repo}:q`, '-q']);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    expect(pulled.stdout).toBe(pushed.stdout);
    expect(pulled.stderr).toBe('');

    const listed = await sb.run(['ls', '-q']);
    expect(listed.stdout).toBe(`${repo}:q\n`);
  });

  it('prints plain human output without colors when NO_COLOR is set', async () => {
    const sb = await sandbox();
    const ref = `${registry}/${uniqueRepo('human')}:1`;
    expect((await sb.run(['push', await fixturePath('imports'), ref])).code).toBe(0);
    const pulled = await sb.run(['pull', ref]);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    expect(pulled.stdout).toContain(`pulled ${ref}`);
    expect(pulled.stdout).toMatch(/digest {3}sha256:[a-f0-9]{64}/);
    expect(pulled.stdout).toMatch(/imports {2}\S/);
    expect(pulled.stdout + pulled.stderr).not.toContain('\x1b[');
    const listed = await sb.run(['ls']);
    expect(listed.stdout).toMatch(/^NAME +DIGEST +SIZE +PULLED +SIGNER\n/);
    expect(listed.stdout).toContain('unsigned (accepted)');
    expect(listed.stdout).toContain(ref);
  });

  describe('errors with --json', () => {
    it('an unknown tag: exit 3, NOT_FOUND naming the reference', async () => {
      const sb = await sandbox();
      const repo = `${registry}/${uniqueRepo('json-err')}`;
      expect((await sb.run(['push', await fixturePath('hello'), `${repo}:there`, '-q'])).code).toBe(0);
      const result = await sb.run(['pull', `${repo}:missing`, '--json']);
      expect(result.code, describeRun(result)).toBe(3);
      const body = jsonOf<ErrorJson>(result);
      expect(body).toMatchObject({ ok: false, exitCode: 3, error: { code: 'NOT_FOUND' } });
      expect(body.error.message).toContain(`${repo}:missing`);
      expect(result.stderr).toContain(`${repo}:missing`);
    });

    it('--debug adds a stack trace on stderr, stdout keeps only the JSON', async () => {
      const sb = await sandbox();
      const ref = `${registry}/${uniqueRepo('debug')}:none`;
      const result = await sb.run(['pull', ref, '--json', '--debug']);
      expect(result.code, describeRun(result)).toBe(3);
      expect(jsonOf<ErrorJson>(result).error.code).toBe('NOT_FOUND');
      expect(result.stderr).toMatch(/\n\s+at .+/);
      const plain = await sb.run(['pull', ref]);
      expect(plain.stderr).toBe(`wtools: ${ref} not found\n`);
    });

    it('an invalid reference: exit 2, INVALID_REFERENCE', async () => {
      const sb = await sandbox();
      const result = await sb.run(['pull', 'Not A/Ref', '--json']);
      expect(result.code, describeRun(result)).toBe(2);
      expect(jsonOf<ErrorJson>(result)).toMatchObject({
        ok: false,
        exitCode: 2,
        error: { code: 'INVALID_REFERENCE' },
      });
    });

    it('a missing argument: exit 2, USAGE', async () => {
      const sb = await sandbox();
      const result = await sb.run(['pull', '--json']);
      expect(result.code, describeRun(result)).toBe(2);
      expect(jsonOf<ErrorJson>(result)).toMatchObject({ ok: false, exitCode: 2, error: { code: 'USAGE' } });
      expect(result.stderr).toContain('wtools --help');
    });

    it('rm of a name the store does not have: exit 3', async () => {
      const sb = await sandbox();
      const result = await sb.run(['rm', `${registry}/nothing/here:1`, '--json']);
      expect(result.code, describeRun(result)).toBe(3);
      expect(jsonOf<ErrorJson>(result)).toMatchObject({
        ok: false,
        exitCode: 3,
        error: { code: 'NOT_FOUND' },
      });
    });

    it('pushing a core module: exit 5, NOT_A_COMPONENT, nothing pushed', async () => {
      const sb = await sandbox();
      const repo = `${registry}/${uniqueRepo('push-core')}`;
      const result = await sb.run(['push', await fixturePath('core'), `${repo}:1`, '--json']);
      expect(result.code, describeRun(result)).toBe(5);
      const body = jsonOf<ErrorJson>(result);
      expect(body).toMatchObject({ ok: false, exitCode: 5, error: { code: 'NOT_A_COMPONENT' } });
      expect(body.error.message).toMatch(/core WebAssembly module/);
      const pull = await sb.run(['pull', `${repo}:1`]);
      expect(pull.code).toBe(3);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
