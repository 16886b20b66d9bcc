import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../lib/core/index.js';
import { WtoolsContext } from '../../../lib/app/context.js';
import { pull } from '../../../lib/app/pull.js';
import { listStored } from '../../../lib/app/store-commands.js';
import { StoreAnnotation } from '../../../lib/app/store-entries.js';
import { MAX_MANIFEST_BYTES, MediaType, OciLayout, copy } from '../../../lib/oci/index.js';
import { type FakeRegistry, fakeRegistry } from '../../harness/fake-registry.js';
import { appSetup, publishComponent, storeBlobs } from '../../harness/app.js';
import { fixtureWasm } from '../../harness/fixtures.js';
import { expectCode, gzip, tempDir, ustar } from '../../harness/unit.js';

const REF = 'registry.test/org/hello:1.0';

/** An image whose one layer is given; the config is a plain OCI image config. */
function publishImage(
  registry: FakeRegistry,
  tag: string,
  layer: { mediaType: string; data: Uint8Array | string },
) {
  return registry.addImage('org/hello', {
    tag,
    config: { mediaType: MediaType.ociImageConfig, data: '{"architecture":"wasm","os":"wasip2"}' },
    layers: [layer],
  });
}

describe('pull', () => {
  it('stores manifest, config and layer under the reference and lists it', async () => {
    const { registry, context } = await appSetup();
    const hello = await fixtureWasm('hello');
    const published = publishComponent(registry, 'org/hello', '1.0', hello, { exports: ['add'] });

    const result = await pull(context, REF);
    expect(result).toMatchObject({
      reference: REF,
      pinned: `registry.test/org/hello@${published.manifest.digest}`,
      digest: published.manifest.digest,
      size: published.manifest.size + published.config.size + published.layer.size,
      component: {
        digest: published.layer.digest,
        size: hello.byteLength,
        mediaType: MediaType.wasm,
        packaging: 'wasm',
      },
      exports: ['add'],
      imports: [],
      cached: false,
    });
    expect(result.indexDigest).toBeUndefined();
    for (const d of [published.manifest, published.config, published.layer]) {
      expect(await context.store.exists(d)).toBe(true);
    }
    const listed = await listStored(context);
    expect(listed).toEqual([
      {
        name: REF,
        digest: published.manifest.digest,
        size: result.size,
        source: result.pinned,
        pulled: expect.any(String),
        complete: true,
        trust: expect.objectContaining({ status: 'unsigned-allowed', subject: published.manifest.digest }),
      },
    ]);
    // Everything after the tag was fetched by digest (or by a tag the digest names: signatures).
    const paths = registry.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths[0]).toBe('HEAD /v2/org/hello/manifests/1.0');
    expect(paths.slice(1).filter((p) => !/sha256[:-][0-9a-f]{64}/.test(p))).toEqual([]);
  });

  it('refuses a tampered layer and keeps neither its name nor its blob', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    registry.tamper(published.layer.digest);
    const err = await expectCode(pull(context, REF), 'DIGEST_MISMATCH');
    expect(err.message).toContain(published.layer.digest);
    expect(await context.store.tags()).toEqual([]);
    expect(await storeBlobs(context)).not.toContain(published.layer.digest);
    expect((await storeBlobs(context)).filter((b) => b.startsWith('.'))).toEqual([]);
    expect(await context.store.exists(published.manifest)).toBe(false);
  });

  it('refuses a truncated layer', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    registry.truncate(published.layer.digest, 10);
    await expectCode(pull(context, REF), 'SIZE_MISMATCH');
    expect(await context.store.tags()).toEqual([]);
    expect(await storeBlobs(context)).not.toContain(published.layer.digest);
  });

  it('refuses a manifest over 4 MiB', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', undefined, await fixtureWasm('hello'));
    registry.addManifest(
      'org/hello',
      {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: published.config,
        layers: [published.layer],
        annotations: { padding: 'x'.repeat(MAX_MANIFEST_BYTES) },
      },
      { tag: '1.0' },
    );
    const err = await expectCode(pull(context, REF), 'MANIFEST_TOO_LARGE');
    expect(err.message).toContain(String(MAX_MANIFEST_BYTES));
    expect(await storeBlobs(context)).toEqual([]);
  });

  it('refuses an unknown manifest media type', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', undefined, await fixtureWasm('hello'));
    registry.addManifest(
      'org/hello',
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.example.manifest.v9+json',
        config: published.config,
        layers: [published.layer],
      },
      { tag: '1.0' },
    );
    const err = await expectCode(pull(context, REF), 'UNSUPPORTED_MEDIA_TYPE');
    expect(err.message).toContain('application/vnd.example.manifest.v9+json');
    expect(await context.store.tags()).toEqual([]);
  });

  it('refuses an image whose layer is not wasm, naming what it found, without fetching it', async () => {
    const { registry, context } = await appSetup();
    const image = publishImage(registry, '1.0', { mediaType: 'image/png', data: '\x89PNG...' });
    const err = await expectCode(pull(context, REF), 'NO_WASM_LAYER');
    expect(err.message).toContain('found image/png');
    expect(registry.matching({ path: `/v2/org/hello/blobs/${image.layers[0]!.digest}` })).toEqual([]);
    expect(await context.store.tags()).toEqual([]);
  });

  it('refuses a core module layer and tags nothing', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('core'));
    const err = await expectCode(pull(context, REF), 'NOT_A_COMPONENT');
    expect(err.message).toContain('core WebAssembly module');
    expect(await context.store.tags()).toEqual([]);
    expect(await storeBlobs(context)).not.toContain(published.layer.digest);
    expect(await context.store.exists(published.manifest)).toBe(false);
  });

  it('refuses a layer that is not WebAssembly at all', async () => {
    const { registry, context } = await appSetup();
    publishComponent(registry, 'org/hello', '1.0', new TextEncoder().encode('#!/bin/sh\necho hi\n'));
    const err = await expectCode(pull(context, REF), 'NOT_A_COMPONENT');
    expect(err.message).toContain('not WebAssembly');
  });

  it('picks the wasm entry of an index and records the index digest', async () => {
    const { registry, context } = await appSetup();
    const wasm = publishComponent(registry, 'org/hello', undefined, await fixtureWasm('hello'));
    const linux = registry.addImage('org/hello', {
      config: { mediaType: MediaType.ociImageConfig, data: '{}' },
      layers: [{ mediaType: MediaType.ociLayerTarGzip, data: gzip(ustar([{ name: 'bin/sh', data: 'x' }])) }],
    });
    const index = registry.addManifest(
      'org/hello',
      {
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          { ...linux.manifest, platform: { architecture: 'amd64', os: 'linux' } },
          { ...wasm.manifest, platform: { architecture: 'wasm', os: 'wasip2' } },
        ],
      },
      { tag: '1.0' },
    );
    const result = await pull(context, REF);
    expect(result.digest).toBe(wasm.manifest.digest);
    expect(result.indexDigest).toBe(index.digest);
    expect(result.pinned).toBe(`registry.test/org/hello@${wasm.manifest.digest}`);
    const [entry] = await context.store.entries();
    expect(entry?.descriptor.annotations?.[StoreAnnotation.index]).toBe(index.digest);
    // The other platform was never fetched.
    expect(registry.requests.some((r) => r.path.endsWith(linux.manifest.digest))).toBe(false);
    expect(registry.requests.some((r) => r.path.endsWith(linux.layers[0]!.digest))).toBe(false);
  });

  it('lists the contents of an index without a wasm entry', async () => {
    const { registry, context } = await appSetup();
    const linux = registry.addImage('org/hello', {
      config: { mediaType: MediaType.ociImageConfig, data: '{}' },
      layers: [{ mediaType: MediaType.ociLayerTarGzip, data: gzip(ustar([{ name: 'bin/sh', data: 'x' }])) }],
    });
    registry.addManifest(
      'org/hello',
      {
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [{ ...linux.manifest, platform: { architecture: 'arm64', os: 'linux' } }],
      },
      { tag: '1.0' },
    );
    const err = await expectCode(pull(context, REF), 'NO_WASM_LAYER');
    expect(err.message).toContain(`${linux.manifest.digest} linux/arm64`);
    expect(await storeBlobs(context)).toEqual([]);
  });

  it('accepts a tar layer holding one .wasm', async () => {
    const { registry, context } = await appSetup();
    const hello = await fixtureWasm('hello');
    const image = publishImage(registry, '1.0', {
      mediaType: MediaType.ociLayerTar,
      data: ustar([
        { name: 'README.md', data: 'docs' },
        { name: 'plugin.wasm', data: hello },
      ]),
    });
    const result = await pull(context, REF);
    expect(result.component).toEqual({
      digest: image.layers[0]!.digest,
      size: image.layers[0]!.size,
      mediaType: MediaType.ociLayerTar,
      packaging: 'tar',
    });
    expect(await context.store.tags()).toEqual([REF]);
  });

  it('accepts a tar+gzip layer holding one .wasm', async () => {
    const { registry, context } = await appSetup();
    const hello = await fixtureWasm('hello');
    publishImage(registry, '1.0', {
      mediaType: MediaType.ociLayerTarGzip,
      data: gzip(ustar([{ name: 'app/tool.wasm', data: hello }])),
    });
    const result = await pull(context, REF);
    expect(result.component.packaging).toBe('tar+gzip');
    expect(await context.store.tags()).toEqual([REF]);
  });

  it('refuses a tar layer with two .wasm files and tags nothing', async () => {
    const { registry, context } = await appSetup();
    const hello = await fixtureWasm('hello');
    publishImage(registry, '1.0', {
      mediaType: MediaType.ociLayerTar,
      data: ustar([
        { name: 'a.wasm', data: hello },
        { name: 'b.wasm', data: hello },
      ]),
    });
    const err = await expectCode(pull(context, REF), 'NO_WASM_LAYER');
    expect(err.message).toContain('a.wasm, b.wasm');
    expect(await context.store.tags()).toEqual([]);
  });

  it('refuses a tar layer whose .wasm is a core module', async () => {
    const { registry, context } = await appSetup();
    publishImage(registry, '1.0', {
      mediaType: MediaType.ociLayerTarGzip,
      data: gzip(ustar([{ name: 'core.wasm', data: await fixtureWasm('core') }])),
    });
    const err = await expectCode(pull(context, REF), 'NOT_A_COMPONENT');
    expect(err.message).toContain('core.wasm');
    expect(await context.store.tags()).toEqual([]);
  });

  it('reports an unknown tag as NOT_FOUND naming the reference', async () => {
    const { registry, context } = await appSetup();
    publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    const err = await expectCode(pull(context, 'registry.test/org/hello:nope'), 'NOT_FOUND');
    expect(err.message).toContain('registry.test/org/hello:nope');
  });

  it('makes no request for a digest already in the store', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    await pull(context, REF);
    const before = registry.requests.length;

    const byDigest = `registry.test/org/hello@${published.manifest.digest}`;
    const result = await pull(context, byDigest);
    expect(registry.requests.length).toBe(before);
    expect(result).toMatchObject({ cached: true, digest: published.manifest.digest, exports: ['add'] });
    expect(await context.store.tags()).toEqual([REF, byDigest].sort());
  });

  it('makes no request at all in a fresh process for a stored digest', async () => {
    const { registry, context, home } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    await pull(context, REF);
    const offline = fakeRegistry();
    const fresh = new WtoolsContext({ env: { WTOOLS_HOME: home, HOME: home }, fetch: offline.fetch });
    const result = await pull(fresh, `registry.test/org/hello@${published.manifest.digest}`);
    expect(result.cached).toBe(true);
    expect(offline.requests).toEqual([]);
  });

  it('fetches no blob again when the same tag is pulled twice', async () => {
    const { registry, context } = await appSetup();
    publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    await pull(context, REF);
    const before = registry.requests.length;
    const again = await pull(context, REF);
    expect(again.cached).toBe(false);
    const later = registry.requests.slice(before);
    expect(later.filter((r) => r.path.includes('/blobs/'))).toEqual([]);
  });

  it('puts back a layer removed from the store when the tag is pulled again', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    await pull(context, REF);
    const layerFile = context.store.blobPath(published.layer.digest);
    await rm(layerFile);
    expect(await context.store.exists(published.layer)).toBe(false);
    const before = registry.requests.length;

    const again = await pull(context, REF);
    expect(again.digest).toBe(published.manifest.digest);
    const bytes = new Uint8Array(await readFile(layerFile));
    expect(sha256(bytes)).toBe(`sha256:${path.basename(layerFile)}`);
    expect(sha256(bytes)).toBe(published.layer.digest);
    // Only the missing blob was fetched again.
    const blobs = registry.requests.slice(before).filter((r) => r.path.includes('/blobs/'));
    expect(blobs.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /v2/org/hello/blobs/${published.layer.digest}`,
    ]);
    expect(await storeBlobs(context)).toEqual(
      [published.manifest.digest, published.config.digest, published.layer.digest].sort(),
    );
  });

  it('a pull by digest of an incomplete stored graph fetches what is missing instead of trusting the store', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    await pull(context, REF);
    const layerFile = context.store.blobPath(published.layer.digest);
    await rm(layerFile);

    const byDigest = `registry.test/org/hello@${published.manifest.digest}`;
    const again = await pull(context, byDigest);
    expect(again.cached).toBe(false);
    expect(sha256(new Uint8Array(await readFile(layerFile)))).toBe(published.layer.digest);
  });

  it('pulls from an OCI layout without any registry request', async () => {
    const { registry, context } = await appSetup();
    const published = publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    const dir = await tempDir('wtools-oci-');
    const client = context.registry('registry.test');
    await copy(client.repository('org/hello'), '1.0', new OciLayout(dir), 'v1');
    const before = registry.requests.length;
    const result = await pull(context, `oci:${dir}:v1`);
    expect(result.digest).toBe(published.manifest.digest);
    expect(registry.requests.length).toBe(before);
    expect(await context.store.tags()).toEqual([`oci:${dir}:v1`]);
  });

  it('asks for `wtools login` when the registry needs credentials, and uses saved ones', async () => {
    const { registry, context } = await appSetup();
    registry.requireAuth({ scheme: 'bearer', users: { alice: 'pw' } });
    publishComponent(registry, 'org/hello', '1.0', await fixtureWasm('hello'));
    const err = await expectCode(pull(context, REF), 'UNAUTHORIZED');
    expect(err.message).toContain('wtools login registry.test');

    const loggedIn = new WtoolsContext({ ...context.options });
    await loggedIn.savedCredentials.set('registry.test', { username: 'alice', password: 'pw' });
    const fresh = new WtoolsContext({ ...context.options });
    expect((await pull(fresh, REF)).cached).toBe(false);
    expect(registry.tokenRequests.at(-1)?.user).toBe('alice');
  });
});
