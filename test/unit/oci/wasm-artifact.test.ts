import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../lib/core/index.js';
import {
  MediaType,
  buildWasmArtifact,
  findComponentLayer,
  parseManifest,
  parseWasmConfig,
  selectWasmManifest,
} from '../../../lib/oci/index.js';
import { expectCode, text } from '../../harness/unit.js';

const d = (mediaType: string, seed: string) => ({ mediaType, digest: sha256(seed), size: seed.length });

describe('buildWasmArtifact', () => {
  it('builds the CNCF wasm config and an OCI manifest around one layer', () => {
    const component = text('\0asm\x0d\0\x01\0component');
    const built = buildWasmArtifact({
      component,
      exports: ['wasi:cli/run@0.2.0'],
      imports: ['wasi:io/streams@0.2.0'],
      annotations: { 'org.opencontainers.image.version': '1.0' },
      created: '2024-01-01T00:00:00Z',
      author: 'me',
    });
    expect(built.layer).toEqual({
      mediaType: MediaType.wasm,
      digest: sha256(component),
      size: component.length,
    });
    expect(JSON.parse(new TextDecoder().decode(built.configBytes))).toEqual({
      created: '2024-01-01T00:00:00Z',
      author: 'me',
      architecture: 'wasm',
      os: 'wasip2',
      layerDigests: [sha256(component)],
      component: { exports: ['wasi:cli/run@0.2.0'], imports: ['wasi:io/streams@0.2.0'] },
    });
    expect(built.config).toEqual({
      mediaType: MediaType.wasmConfig,
      digest: sha256(built.configBytes),
      size: built.configBytes.byteLength,
    });
    const manifest = parseManifest(built.manifestBytes, MediaType.ociManifest);
    expect(manifest.value).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: MediaType.wasmConfig,
      config: built.config,
      layers: [built.layer],
      annotations: { 'org.opencontainers.image.version': '1.0' },
    });
    expect(built.manifest.digest).toBe(sha256(built.manifestBytes));
  });

  it('is reproducible for a fixed creation time', () => {
    const input = { component: text('x'), exports: [], imports: [], created: '2024-01-01T00:00:00Z' };
    expect(buildWasmArtifact(input).manifest).toEqual(buildWasmArtifact(input).manifest);
  });

  it('reads configs leniently', () => {
    const none = { exports: [], imports: [] };
    expect(parseWasmConfig(text('not json'))).toEqual(none);
    expect(parseWasmConfig(text('null'))).toEqual(none);
    expect(parseWasmConfig(text('{"component":null}'))).toEqual(none);
    // Wrong types from an untrusted publisher are dropped, not passed on.
    expect(parseWasmConfig(text('{"component":{"exports":"x","imports":[1,"wasi:io/poll",null]}}'))).toEqual({
      exports: [],
      imports: ['wasi:io/poll'],
    });
  });

  it('reads back exactly the exports and imports of a config it built', () => {
    const built = buildWasmArtifact({
      component: text('x'),
      exports: ['add', 'wasi:cli/run@0.2.0'],
      imports: ['wasi:io/streams@0.2.0'],
      created: '2024-01-01T00:00:00Z',
    });
    expect(parseWasmConfig(built.configBytes)).toEqual({
      exports: ['add', 'wasi:cli/run@0.2.0'],
      imports: ['wasi:io/streams@0.2.0'],
    });
    // Only the two lists come back, whatever else a config holds.
    const extra = text(
      '{"created":"x","component":{"exports":["a"],"imports":[],"target":"t"},"layerDigests":[]}',
    );
    expect(parseWasmConfig(extra)).toStrictEqual({ exports: ['a'], imports: [] });
  });
});

describe('selectWasmManifest', () => {
  it('picks the wasm platform entry', () => {
    const wasm = { ...d(MediaType.ociManifest, 'w'), platform: { architecture: 'wasm', os: 'wasip2' } };
    const linux = { ...d(MediaType.ociManifest, 'l'), platform: { architecture: 'amd64', os: 'linux' } };
    expect(selectWasmManifest({ schemaVersion: 2, manifests: [linux, wasm] }, 'x')).toEqual(wasm);
    const byType = { ...d(MediaType.ociManifest, 't'), artifactType: MediaType.wasmConfig };
    expect(selectWasmManifest({ schemaVersion: 2, manifests: [linux, byType] }, 'x')).toEqual(byType);
  });

  it('lists what an index without a wasm entry holds', async () => {
    const linux = { ...d(MediaType.ociManifest, 'l'), platform: { architecture: 'amd64', os: 'linux' } };
    const arm = { ...d(MediaType.ociManifest, 'a'), platform: { architecture: 'arm64', os: 'linux' } };
    const err = await expectCode(
      () => selectWasmManifest({ schemaVersion: 2, manifests: [linux, arm] }, 'ghcr.io/x/y:1'),
      'NO_WASM_LAYER',
    );
    expect(err.message).toContain('ghcr.io/x/y:1 is an index without a WebAssembly manifest');
    expect(err.message).toContain(`${linux.digest} linux/amd64`);
    expect(err.message).toContain(`${arm.digest} linux/arm64`);
    const empty = await expectCode(
      () => selectWasmManifest({ schemaVersion: 2, manifests: [] }, 'x'),
      'NO_WASM_LAYER',
    );
    expect(empty.message).toContain('nothing');
  });
});

describe('findComponentLayer', () => {
  const manifest = (...layers: { mediaType: string; digest: ReturnType<typeof sha256>; size: number }[]) => ({
    schemaVersion: 2 as const,
    config: d(MediaType.wasmConfig, 'c'),
    layers,
  });

  it('finds a wasm layer of any of the known media types', () => {
    for (const type of [MediaType.wasm, MediaType.wasmComponent, MediaType.bytecodeallianceComponentLayer]) {
      const layer = d(type, type);
      expect(findComponentLayer(manifest(d('text/plain', 'readme'), layer), 'x')).toEqual({
        layer,
        packaging: 'wasm',
      });
    }
  });

  it('finds one tar layer and tells gzip apart', () => {
    expect(findComponentLayer(manifest(d(MediaType.ociLayerTar, 't')), 'x').packaging).toBe('tar');
    expect(findComponentLayer(manifest(d(MediaType.ociLayerTarGzip, 't')), 'x').packaging).toBe('tar+gzip');
    expect(findComponentLayer(manifest(d(MediaType.dockerLayerTarGzip, 't')), 'x').packaging).toBe(
      'tar+gzip',
    );
  });

  it('refuses layers that are not wasm, naming what was found', async () => {
    const err = await expectCode(
      () => findComponentLayer(manifest(d('image/png', 'p')), 'img'),
      'NO_WASM_LAYER',
    );
    expect(err.message).toContain('found image/png');
    expect(err.message).toContain(MediaType.wasm);
    const none = await expectCode(() => findComponentLayer(manifest(), 'img'), 'NO_WASM_LAYER');
    expect(none.message).toContain('found no layers');
  });

  it('refuses two wasm layers and two tar layers', async () => {
    await expectCode(
      () => findComponentLayer(manifest(d(MediaType.wasm, 'a'), d(MediaType.wasm, 'b')), 'img'),
      'NO_WASM_LAYER',
    );
    await expectCode(
      () => findComponentLayer(manifest(d(MediaType.ociLayerTar, 'a'), d(MediaType.ociLayerTar, 'b')), 'img'),
      'NO_WASM_LAYER',
    );
  });
});
