import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { MediaType } from '../../lib/oci/index.js';
import { describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { fixturePath } from '../harness/fixtures.js';
import { blob, imageIndex, imageManifest, inspectLayout, pushAll, repository } from '../harness/oci.js';

const registry = inject('registryHost');

interface ErrorJson {
  ok: false;
  exitCode: number;
  error: { code: string; message: string };
}

/** An ordinary linux/amd64 image: what a multi-platform index holds besides the wasm entry. */
function linuxImage() {
  const layer = blob(MediaType.ociLayerTarGzip, randomBytes(2048));
  const config = blob(
    MediaType.ociImageConfig,
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const manifest = imageManifest({ config: config.descriptor, layers: [layer.descriptor] });
  return { layer, config, manifest };
}

/** A hand-made wasm artifact around `layerBytes`, pushed to `name:tag` of the shared registry. */
async function pushWasmArtifact(
  name: string,
  tag: string,
  layerBytes: Uint8Array,
  layerType: string = MediaType.wasm,
) {
  const layer = blob(layerType, layerBytes);
  const config = blob(
    MediaType.wasmConfig,
    JSON.stringify({ architecture: 'wasm', os: 'wasip2', layerDigests: [layer.descriptor.digest] }),
  );
  const manifest = imageManifest({
    artifactType: MediaType.wasmConfig,
    config: config.descriptor,
    layers: [layer.descriptor],
  });
  const repo = repository(registry, name);
  await pushAll(repo, config, layer, manifest);
  await repo.tag(manifest.descriptor, tag);
  return { layer, config, manifest };
}

describe('e2e: image indexes', () => {
  it('pull picks the wasm/wasip2 entry of an index and reports the index digest', async () => {
    const sb = await sandbox();
    const name = uniqueRepo('index');
    const pushed = await sb.run(['push', await fixturePath('hello'), `${registry}/${name}:wasm`, '--json']);
    expect(pushed.code, describeRun(pushed)).toBe(0);
    const repo = repository(registry, name);
    const wasm = await repo.resolve('wasm');
    expect(wasm.digest).toBe(jsonOf<{ digest: string }>(pushed).digest);

    const linux = linuxImage();
    // The linux entry comes first, so taking the first manifest would be wrong.
    const index = imageIndex([
      { ...linux.manifest.descriptor, platform: { architecture: 'amd64', os: 'linux' } },
      { ...wasm, platform: { architecture: 'wasm', os: 'wasip2' } },
    ]);
    await pushAll(repo, linux.config, linux.layer, linux.manifest, index);
    await repo.tag(index.descriptor, 'multi');

    const result = await sb.run(['pull', `${registry}/${name}:multi`, '--json']);
    expect(result.code, describeRun(result)).toBe(0);
    expect(jsonOf(result)).toMatchObject({
      reference: `${registry}/${name}:multi`,
      pinned: `${registry}/${name}@${wasm.digest}`,
      digest: wasm.digest,
      indexDigest: index.descriptor.digest,
      cached: false,
      exports: ['add'],
    });
    const stored = await inspectLayout(sb.storeDir);
    expect(stored.blobs).toContain(wasm.digest);
    expect(stored.blobs).not.toContain(linux.layer.descriptor.digest);
    expect(stored.blobs).toHaveLength(3);
    expect(jsonOf<{ digest: string }[]>(await sb.run(['ls', '--json']))).toEqual([
      expect.objectContaining({ name: `${registry}/${name}:multi`, digest: wasm.digest, complete: true }),
    ]);

    // Asking for the index by digest again finds what was chosen from it.
    const again = await sb.run(['pull', `${registry}/${name}@${index.descriptor.digest}`, '--json']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(jsonOf(again)).toMatchObject({ digest: wasm.digest, cached: true });

    const human = await sb.run(['pull', `${registry}/${name}:multi`]);
    expect(human.stdout).toContain(`index    ${index.descriptor.digest}`);
  });

  it('an index without a wasm entry: exit 5, and the error lists what it holds', async () => {
    const sb = await sandbox();
    const name = uniqueRepo('index-nowasm');
    const repo = repository(registry, name);
    const linux = linuxImage();
    const index = imageIndex([
      { ...linux.manifest.descriptor, platform: { architecture: 'amd64', os: 'linux' } },
    ]);
    await pushAll(repo, linux.config, linux.layer, linux.manifest, index);
    await repo.tag(index.descriptor, '1');

    const result = await sb.run(['pull', `${registry}/${name}:1`, '--json']);
    expect(result.code, describeRun(result)).toBe(5);
    const body = jsonOf<ErrorJson>(result);
    expect(body.error.code).toBe('NO_WASM_LAYER');
    expect(body.error.message).toContain(`${linux.manifest.descriptor.digest} linux/amd64`);
  });
});

describe('e2e: content that is not a component', () => {
  it('a core module layer: exit 5 saying so, and nothing is stored', async () => {
    const sb = await sandbox();
    const name = uniqueRepo('core-layer');
    const core = await readFile(await fixturePath('core'));
    const artifact = await pushWasmArtifact(name, '1', core);

    const result = await sb.run(['pull', `${registry}/${name}:1`, '--json']);
    expect(result.code, describeRun(result)).toBe(5);
    const body = jsonOf<ErrorJson>(result);
    expect(body).toMatchObject({ ok: false, exitCode: 5, error: { code: 'NOT_A_COMPONENT' } });
    expect(body.error.message).toMatch(/core WebAssembly module, not a component/);
    expect(result.stderr).toMatch(/core WebAssembly module/);

    expect(jsonOf(await sb.run(['ls', '--json']))).toEqual([]);
    const stored = await inspectLayout(sb.storeDir);
    expect(stored.blobs).not.toContain(artifact.layer.descriptor.digest);
    expect(stored.blobs).not.toContain(artifact.manifest.descriptor.digest);
    expect(stored.leftovers).toEqual([]);
  });

  it('a layer that is not WebAssembly at all: exit 5', async () => {
    const sb = await sandbox();
    const name = uniqueRepo('not-wasm');
    await pushWasmArtifact(name, '1', new TextEncoder().encode('#!/bin/sh\necho definitely not wasm\n'));
    const result = await sb.run(['pull', `${registry}/${name}:1`, '--json']);
    expect(result.code, describeRun(result)).toBe(5);
    const body = jsonOf<ErrorJson>(result);
    expect(body.error.code).toBe('NOT_A_COMPONENT');
    expect(body.error.message).toContain('not WebAssembly');
    expect(jsonOf(await sb.run(['ls', '--json']))).toEqual([]);
  });

  it('a manifest without any wasm layer: exit 5, NO_WASM_LAYER naming the layer types found', async () => {
    const sb = await sandbox();
    const name = uniqueRepo('no-wasm-layer');
    await pushWasmArtifact(name, '1', new TextEncoder().encode('hello'), 'text/plain');
    const result = await sb.run(['pull', `${registry}/${name}:1`, '--json']);
    expect(result.code, describeRun(result)).toBe(5);
    const body = jsonOf<ErrorJson>(result);
    expect(body.error.code).toBe('NO_WASM_LAYER');
    expect(body.error.message).toContain('text/plain');
  });
});
