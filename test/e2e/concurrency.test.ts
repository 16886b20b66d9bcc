import { describe, expect, inject, it } from 'vitest';
import { describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { bigComponentPath } from '../harness/fixtures.js';
import { inspectLayout, readLayoutIndex } from '../harness/oci.js';

const registry = inject('registryHost');
const BIG = 12 * 1024 * 1024;

interface PullJson {
  digest: string;
  size: number;
  component: { digest: string; size: number };
  cached: boolean;
}

describe('e2e: concurrent pulls into one store', () => {
  it('two processes pulling the same 12 MiB artifact both succeed and leave one verified copy', async () => {
    const sb = await sandbox();
    const ref = `${registry}/${uniqueRepo('concurrent')}:big`;
    const pushed = await sb.run(['push', await bigComponentPath(BIG), ref, '--json']);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    const { digest } = jsonOf<{ digest: string }>(pushed);

    const [a, b] = await Promise.all([sb.run(['pull', ref, '--json']), sb.run(['pull', ref, '--json'])]);
    expect(a.code, describeRun(a)).toBe(0);
    expect(b.code, describeRun(b)).toBe(0);
    const first = jsonOf<PullJson>(a);
    const second = jsonOf<PullJson>(b);
    expect(first.digest).toBe(digest);
    expect(second.digest).toBe(digest);
    expect(first.component.size).toBe(BIG);
    expect(second.component).toEqual(first.component);

    const listed = jsonOf<{ name: string; digest: string; complete: boolean }[]>(
      await sb.run(['ls', '--json']),
    );
    expect(listed).toEqual([expect.objectContaining({ name: ref, digest, complete: true })]);
    const index = await readLayoutIndex(sb.storeDir);
    expect(index.manifests).toHaveLength(1);

    const layout = await inspectLayout(sb.storeDir);
    expect(layout.blobs).toHaveLength(3);
    expect(layout.blobs).toContain(first.component.digest);
    expect(layout.corrupt).toEqual([]);
    expect(layout.leftovers).toEqual([]); // no temp files, no lock files
    expect(layout.bytes).toBe(first.size);

    // A third pull finds everything in place and transfers nothing.
    const third = await sb.run(['pull', `${ref.slice(0, ref.lastIndexOf(':'))}@${digest}`, '--json']);
    expect(jsonOf<PullJson>(third).cached).toBe(true);
  });
});
