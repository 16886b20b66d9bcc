import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { sha256 } from '../../lib/core/index.js';
import { type Sandbox, describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';
import { blobBytes, inspectLayout, readLayoutIndex } from '../harness/oci.js';

const registry = inject('registryHost');

interface Pushed {
  digest: string;
  pinned: string;
  component: { digest: string; size: number };
}

/** skopeo with a sandboxed HOME; --insecure-policy so no signature policy file is needed. */
function skopeo(sb: Sandbox, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'skopeo',
      ['--insecure-policy', ...args],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sb.home },
        encoding: 'buffer',
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && child.exitCode === null) reject(error);
        else
          resolve({
            code: child.exitCode ?? -1,
            stdout: stdout.toString('latin1'),
            stderr: stderr.toString(),
          });
      },
    );
  });
}

async function pushComponent(sb: Sandbox, file: string, ref: string): Promise<Pushed> {
  const result = await sb.run(['push', file, ref, '--json']);
  expect(result.code, describeRun(result)).toBe(0);
  return jsonOf<Pushed>(result);
}

describe('e2e: interoperability with skopeo', () => {
  it('wtools push → skopeo copy to an OCI layout → wtools pull oci: gives the same digest and bytes', async () => {
    const sb = await sandbox();
    const file = await fixturePath('imports');
    const component = await readFile(file);
    const repo = `${registry}/${uniqueRepo('skopeo-out')}`;
    const pushed = await pushComponent(sb, file, `${repo}:v1`);

    const layout = sb.path('from-skopeo');
    const copied = await skopeo(sb, [
      'copy',
      '--src-tls-verify=false',
      `docker://${repo}:v1`,
      `oci:${layout}:v1`,
    ]);
    expect(copied.code, copied.stderr).toBe(0);
    const index = await readLayoutIndex(layout);
    expect(index.manifests.map((m) => m.digest)).toEqual([pushed.digest]);

    const pulled = await sb.run(['pull', `oci:${layout}:v1`, '--json']);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    const pull = jsonOf<{ digest: string; component: { digest: string } }>(pulled);
    expect(pull.digest).toBe(pushed.digest);
    expect(pull.component.digest).toBe(sha256(component));

    // Every blob skopeo wrote is in the store, byte for byte, and the component is the file pushed.
    const skopeoBlobs = await inspectLayout(layout);
    const storeBlobs = await inspectLayout(sb.storeDir);
    expect(skopeoBlobs.corrupt).toEqual([]);
    expect(storeBlobs.corrupt).toEqual([]);
    expect(storeBlobs.blobs).toEqual(skopeoBlobs.blobs);
    for (const digest of skopeoBlobs.blobs) {
      expect((await blobBytes(sb.storeDir, digest)).equals(await blobBytes(layout, digest))).toBe(true);
    }
    expect((await blobBytes(sb.storeDir, pushed.component.digest)).equals(component)).toBe(true);
  });

  it('wtools push oci: → skopeo copy to the registry → wtools pull gives the same digest', async () => {
    const sb = await sandbox();
    const layout = sb.path('by-wtools');
    const pushed = await pushComponent(sb, await fixturePath('hello'), `oci:${layout}:v2`);
    expect(pushed.pinned).toBe(`oci:${layout}@${pushed.digest}`);
    // wtools wrote a layout skopeo accepts: the tag is an org.opencontainers.image.ref.name.
    expect((await readLayoutIndex(layout)).manifests).toEqual([
      expect.objectContaining({
        digest: pushed.digest,
        annotations: { 'org.opencontainers.image.ref.name': 'v2' },
      }),
    ]);

    const repo = `${registry}/${uniqueRepo('skopeo-in')}`;
    const copied = await skopeo(sb, [
      'copy',
      '--dest-tls-verify=false',
      `oci:${layout}:v2`,
      `docker://${repo}:v2`,
    ]);
    expect(copied.code, copied.stderr).toBe(0);

    const pulled = await sb.run(['pull', `${repo}:v2`, '--json']);
    expect(pulled.code, describeRun(pulled)).toBe(0);
    expect(jsonOf<{ digest: string; cached: boolean }>(pulled)).toMatchObject({
      digest: pushed.digest,
      cached: false,
    });
  });

  it('wtools copy registry → registry keeps the digest, and skopeo reads the same manifest bytes', async () => {
    const sb = await sandbox();
    const source = `${registry}/${uniqueRepo('copy-src')}`;
    const destination = `${registry}/${uniqueRepo('copy-dst')}`;
    const pushed = await pushComponent(sb, await fixturePath('hello'), `${source}:1`);

    const copied = await sb.run(['copy', `${source}:1`, `${destination}:1`, '--json']);
    expect(copied.code, describeRun(copied)).toBe(0);
    expect(jsonOf(copied)).toMatchObject({
      source: `${source}:1`,
      destination: `${destination}:1`,
      digest: pushed.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });

    const original = await skopeo(sb, ['inspect', '--raw', '--tls-verify=false', `docker://${source}:1`]);
    const copy = await skopeo(sb, ['inspect', '--raw', '--tls-verify=false', `docker://${destination}:1`]);
    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stdout).toBe(original.stdout);
    expect(sha256(Buffer.from(copy.stdout, 'latin1'))).toBe(pushed.digest);

    const quiet = await sb.run(['copy', `${source}:1`, `${destination}:again`, '-q']);
    expect(quiet.code, describeRun(quiet)).toBe(0);
    expect(quiet.stdout).toBe(`${destination}:again\n`);
  });
});
