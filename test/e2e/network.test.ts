import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type Sandbox, describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';
import { type FaultProxy, freePort, startFaultProxy } from '../harness/registry.js';

const registry = inject('registryHost');

/** Pushes the hello component straight to the shared registry; returns the repository path and digest. */
async function publish(sb: Sandbox, prefix: string): Promise<{ repo: string; digest: string }> {
  const repo = uniqueRepo(prefix);
  const result = await sb.run(['push', await fixturePath('hello'), `${registry}/${repo}:1`, '--json']);
  expect(result.code, describeRun(result)).toBe(0);
  return { repo, digest: jsonOf<{ digest: string }>(result).digest };
}

describe('e2e: retries through a fault-injecting proxy', () => {
  let proxy: FaultProxy;

  beforeEach(async () => {
    proxy = await startFaultProxy(`http://${registry}`);
  });

  afterEach(async () => {
    await proxy.stop();
  });

  it('two 503s, then the pull succeeds', async () => {
    const sb = await sandbox();
    const { repo, digest } = await publish(sb, 'retry-ok');
    proxy.failNext(2, 503);
    const result = await sb.run(['pull', `${proxy.host}/${repo}:1`, '--json']);
    expect(result.code, describeRun(result)).toBe(0);
    expect(jsonOf(result)).toMatchObject({ digest, cached: false });

    const log = proxy.requests;
    expect(log.slice(0, 2).map((r) => r.status)).toEqual([503, 503]);
    // The failed request is the one tried again, and everything after the faults succeeded.
    expect(log[2]).toMatchObject({ method: log[0]!.method, path: log[0]!.path });
    expect(log.slice(2).length).toBeGreaterThanOrEqual(3);
    for (const entry of log.slice(2)) {
      // Looking for signatures that are not there (referrers tag, cosign .sig tag) is a plain 404.
      if (/\/manifests\/sha256-[a-f0-9]{64}(\.sig)?$/.test(entry.path)) expect(entry.status).toBe(404);
      else expect(entry.status).toBe(200);
    }
  });

  it('a push survives 503s too (uploads are retried with the same bytes)', async () => {
    const sb = await sandbox();
    const repo = uniqueRepo('retry-push');
    proxy.failNext(2, 503, { 'retry-after': '0' });
    const pushed = await sb.run(['push', await fixturePath('imports'), `${proxy.host}/${repo}:1`, '-q']);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    const digest = pushed.stdout.trim().split('@')[1];
    const pulled = await sb.run(['pull', `${registry}/${repo}:1`, '--json']);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    expect(jsonOf(pulled)).toMatchObject({ digest });
  });

  it('503s that do not stop: exit 6 after a bounded number of attempts', async () => {
    const sb = await sandbox();
    const { repo } = await publish(sb, 'retry-fail');
    proxy.failNext(10, 503, { 'retry-after': '0' });
    const started = Date.now();
    const result = await sb.run(['pull', `${proxy.host}/${repo}:1`, '--json']);
    expect(result.code, describeRun(result)).toBe(6);
    expect(jsonOf(result)).toMatchObject({ ok: false, exitCode: 6, error: { code: 'REGISTRY_ERROR' } });
    expect(result.stderr).toContain('503');
    expect(Date.now() - started).toBeLessThan(10_000);
    const log = proxy.requests;
    expect(log.length).toBeGreaterThanOrEqual(2);
    expect(log.length).toBeLessThan(10);
    for (const entry of log) expect(entry).toMatchObject({ status: 503, path: log[0]!.path });
    expect((await sb.run(['ls', '--json'])).stdout.trim()).toBe('[]');
  });

  it('a Retry-After longer than the retry budget fails at once instead of hanging', async () => {
    const sb = await sandbox();
    const { repo } = await publish(sb, 'retry-after');
    proxy.failNext(1, 429, { 'retry-after': '3600' });
    const started = Date.now();
    const result = await sb.run(['pull', `${proxy.host}/${repo}:1`]);
    expect(result.code, describeRun(result)).toBe(6);
    expect(result.stderr).toContain('429');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(proxy.requests).toHaveLength(1);
  });

  it('copy between repositories of one registry mounts the blobs instead of uploading them', async () => {
    const sb = await sandbox();
    const { repo, digest } = await publish(sb, 'mount-a');
    const destination = uniqueRepo('mount-b');
    const result = await sb.run([
      'copy',
      `${proxy.host}/${repo}:1`,
      `${proxy.host}/${destination}:1`,
      '--json',
    ]);
    expect(result.code, describeRun(result)).toBe(0);
    expect(jsonOf(result)).toMatchObject({ digest });

    const log = proxy.requests;
    const mounts = log.filter((r) => r.method === 'POST' && r.path.includes('mount='));
    expect(mounts).toHaveLength(2); // config and component layer
    for (const mount of mounts) {
      expect(mount.path).toContain(`/v2/${destination}/blobs/uploads/`);
      expect(mount.path).toContain(`from=${encodeURIComponent(repo)}`);
      expect(mount.status).toBe(201);
    }
    expect(log.filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(log.filter((r) => r.method === 'PUT' && !r.path.includes('/manifests/'))).toEqual([]);
    expect(log.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'))).toEqual([]);

    const pulled = await sb.run(['pull', `${registry}/${destination}:1`, '--json']);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    expect(jsonOf(pulled)).toMatchObject({ digest });
  });
});

describe('e2e: unreachable registries and missing content', () => {
  it('nothing listening: exit 6 naming host:port', async () => {
    const sb = await sandbox();
    const port = await freePort();
    const started = Date.now();
    const result = await sb.run(['pull', `127.0.0.1:${port}/nobody/home:1`, '--json']);
    expect(result.code, describeRun(result)).toBe(6);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(jsonOf(result)).toMatchObject({
      ok: false,
      exitCode: 6,
      error: { code: 'REGISTRY_UNREACHABLE', details: { host: `127.0.0.1:${port}` } },
    });
    // A refused connection is not worth retrying.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('unknown tag and unknown repository: exit 3 naming the reference', async () => {
    const sb = await sandbox();
    const { repo } = await publish(sb, 'missing');
    const tag = await sb.run(['pull', `${registry}/${repo}:nope`]);
    expect(tag.code, describeRun(tag)).toBe(3);
    expect(tag.stderr).toContain(`${registry}/${repo}:nope`);

    const other = `${registry}/${uniqueRepo('never-pushed')}:1`;
    const repository = await sb.run(['pull', other]);
    expect(repository.code, describeRun(repository)).toBe(3);
    expect(repository.stderr).toContain(other);

    const digest = `${registry}/${repo}@sha256:${'0'.repeat(64)}`;
    const byDigest = await sb.run(['pull', digest]);
    expect(byDigest.code, describeRun(byDigest)).toBe(3);
    expect(byDigest.stderr).toContain(digest);
  });
});
