import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { WtoolsContext, isWtoolsError, pull, push } from '../../lib/index.js';
import { bytesStream, readVerified, sha256 } from '../../lib/core/index.js';
import { MediaType, RegistryClient } from '../../lib/oci/index.js';
import { LOOPBACK_UNSIGNED_POLICY, uniqueRepo } from '../harness/cli.js';
import { bigComponentPath, fixturePath } from '../harness/fixtures.js';
import { blob, imageManifest, inspectLayout, pushAll, repository } from '../harness/oci.js';
import {
  type FaultProxy,
  type RunningRegistry,
  type TokenAuthRegistry,
  startFaultProxy,
  startRegistry,
  startTokenAuthRegistry,
} from '../harness/registry.js';

const registry = inject('registryHost');
const MiB = 1024 * 1024;
const BIG = 12 * MiB;

let tempDirs: string[] = [];

async function tempContext(env: Record<string, string> = {}): Promise<WtoolsContext> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wtools-int-'));
  tempDirs.push(dir);
  // These tests are about transport: unsigned content from the loopback registry is accepted.
  await mkdir(path.join(dir, 'home', 'config'), { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, 'home', 'config', 'trust-policy.yaml'), LOOPBACK_UNSIGNED_POLICY);
  return new WtoolsContext({ env: { WTOOLS_HOME: path.join(dir, 'home'), HOME: dir, ...env } });
}

afterEach(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  tempDirs = [];
});

describe('integration: chunked blob upload', () => {
  let proxy: FaultProxy;
  let component: Uint8Array;

  beforeAll(async () => {
    component = new Uint8Array(await readFile(await bigComponentPath(BIG)));
  });

  beforeEach(async () => {
    proxy = await startFaultProxy(`http://${registry}`);
  });

  afterEach(async () => {
    await proxy.stop();
  });

  /** Pushes the 12 MiB component with chunkSize 1 MiB, `content` supplying its bytes. */
  async function pushInChunks(name: string, content: () => ReadableStream<Uint8Array>) {
    const repo = new RegistryClient(proxy.host, { chunkSize: MiB }).repository(name);
    const layer = blob(MediaType.wasm, component);
    await repo.push(layer.descriptor, content());
    const uploads = proxy.requests.filter((r) => r.path.includes('/blobs/uploads/'));
    return { layer, uploads };
  }

  async function verifyByPull(name: string, layerDigest: string): Promise<void> {
    // Wrap the uploaded blob into an artifact and pull it through the whole lib pipeline.
    const repo = repository(registry, name);
    const config = blob(MediaType.wasmConfig, JSON.stringify({ architecture: 'wasm', os: 'wasip2' }));
    const layer = { mediaType: MediaType.wasm, digest: sha256(component), size: BIG };
    expect(layer.digest).toBe(layerDigest);
    const manifest = imageManifest({
      artifactType: MediaType.wasmConfig,
      config: config.descriptor,
      layers: [layer],
    });
    await pushAll(repo, config, manifest);
    await repo.tag(manifest.descriptor, 'chunked');
    const context = await tempContext();
    const result = await pull(context, `${registry}/${name}:chunked`);
    expect(result.component).toMatchObject({ digest: layerDigest, size: BIG });
    const stored = await readFile(context.store.blobPath(result.component.digest));
    expect(sha256(stored)).toBe(layerDigest);
    expect((await inspectLayout(context.store.root)).corrupt).toEqual([]);
  }

  it('sends a blob handed over in one piece as PATCHes of chunkSize', async () => {
    const name = uniqueRepo('chunked-one');
    const { layer, uploads } = await pushInChunks(name, () => bytesStream(component));
    const patches = uploads.filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(BIG / MiB);
    for (const patch of patches) expect(patch.status).toBe(202);
    const puts = uploads.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0]!.path).toContain(`digest=${encodeURIComponent(layer.descriptor.digest)}`);
    expect(puts[0]!.status).toBe(201);
    await verifyByPull(name, layer.descriptor.digest);
  });

  it('sends a blob streamed in small pieces as PATCHes of chunkSize', async () => {
    const name = uniqueRepo('chunked-stream');
    const file = await bigComponentPath(BIG);
    const { layer, uploads } = await pushInChunks(
      name,
      () => Readable.toWeb(createReadStream(file, { highWaterMark: 100_000 })) as ReadableStream<Uint8Array>,
    );
    expect(uploads.filter((r) => r.method === 'PATCH')).toHaveLength(BIG / MiB);
    await verifyByPull(name, layer.descriptor.digest);
  });

  it('a small blob goes in one monolithic PUT', async () => {
    const name = uniqueRepo('monolithic');
    const small = blob(MediaType.wasm, await readFile(await fixturePath('hello')));
    await new RegistryClient(proxy.host, { chunkSize: MiB })
      .repository(name)
      .push(small.descriptor, bytesStream(small.bytes));
    const uploads = proxy.requests.filter((r) => r.path.includes('/blobs/uploads/'));
    expect(uploads.map((r) => r.method)).toEqual(['POST', 'PUT']);
    const fetched = await readVerified(
      await repository(registry, name).fetch(small.descriptor),
      small.descriptor,
    );
    expect(Buffer.from(fetched).equals(Buffer.from(small.bytes))).toBe(true);
  });

  it('refuses content that does not match the descriptor and commits nothing', async () => {
    const name = uniqueRepo('chunked-bad');
    const repo = new RegistryClient(proxy.host, { chunkSize: MiB }).repository(name);
    const tampered = new Uint8Array(component);
    tampered[BIG - 1]! ^= 0xff;
    const descriptor = { mediaType: MediaType.wasm, digest: sha256(component), size: BIG };
    await expect(repo.push(descriptor, bytesStream(tampered))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    expect(await repository(registry, name).exists(descriptor)).toBe(false);
    // The abandoned upload session is cancelled.
    expect(proxy.requests.some((r) => r.method === 'DELETE' && r.path.includes('/blobs/uploads/'))).toBe(
      true,
    );
  });
});

describe('integration: a registry that serves tampered bytes', () => {
  let own: RunningRegistry;

  beforeAll(async () => {
    own = await startRegistry();
  });

  afterAll(async () => {
    await own?.stop();
  });

  it('pull fails with DIGEST_MISMATCH and stores nothing', async () => {
    const context = await tempContext();
    const file = await fixturePath('hello');
    const bytes = await readFile(file);
    const ref = `${own.host}/${uniqueRepo('tampered')}:1`;
    const pushed = await push(context, file, ref);

    // Flip one byte of the component in the registry's own storage, keeping its length.
    const hex = pushed.component.digest.slice('sha256:'.length);
    const data = path.join(own.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const evil = Buffer.from(bytes);
    evil[evil.length - 1]! ^= 0x01;
    await writeFile(data, evil);

    const error = await pull(context, ref).catch((err: unknown) => err);
    expect(isWtoolsError(error, 'DIGEST_MISMATCH'), String(error)).toBe(true);
    expect((error as Error).message).toContain(pushed.component.digest);
    expect(await context.store.entries()).toEqual([]);
    const layout = await inspectLayout(context.store.root);
    expect(layout.blobs).not.toContain(pushed.component.digest);
    // The refused blob's temp file is gone before pull rejects. (The config may still be landing:
    // copyGraph fails fast and does not wait for sibling transfers.)
    const files = await readdir(path.join(context.store.root, 'blobs', 'sha256'));
    expect(files.filter((f) => f.includes(hex))).toEqual([]);
  });
});

describe('integration: token auth', () => {
  let tokenRegistry: TokenAuthRegistry;

  beforeAll(async () => {
    tokenRegistry = await startTokenAuthRegistry({ alice: 'pw-alice' });
  });

  afterAll(async () => {
    await tokenRegistry?.stop();
  });

  it('concurrent requests share one token, and later requests reuse it', async () => {
    const name = uniqueRepo('tokens');
    const client = new RegistryClient(tokenRegistry.host, {
      credentials: { get: async () => ({ username: 'alice', password: 'pw-alice' }) },
    });
    const repo = client.repository(name);
    const staging = blob(MediaType.wasm, await readFile(await fixturePath('hello')));
    const config = blob(MediaType.wasmConfig, '{}');
    const manifest = imageManifest({ config: config.descriptor, layers: [staging.descriptor] });
    await pushAll(repo, staging, config, manifest);
    await repo.tag(manifest.descriptor, '1');

    const before = tokenRegistry.tokenRequests;
    const reader = new RegistryClient(tokenRegistry.host, {
      credentials: { get: async () => ({ username: 'alice', password: 'pw-alice' }) },
    }).repository(name);
    const resolved = await Promise.all(Array.from({ length: 6 }, () => reader.resolve('1')));
    for (const descriptor of resolved) expect(descriptor.digest).toBe(manifest.descriptor.digest);
    expect(tokenRegistry.tokenRequests - before).toBe(1);
    expect(await reader.exists(staging.descriptor)).toBe(true);
    expect(tokenRegistry.tokenRequests - before).toBe(1);
  });

  it('credentials from DOCKER_CONFIG reach a lib pull', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wtools-int-docker-'));
    tempDirs.push(dir);
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { [tokenRegistry.host]: { username: 'alice', password: 'pw-alice' } } }),
    );
    const context = await tempContext({ DOCKER_CONFIG: dir });
    const ref = `${tokenRegistry.host}/${uniqueRepo('docker-config')}:1`;
    const pushed = await push(context, await fixturePath('hello'), ref);
    const pulled = await pull(await tempContext({ DOCKER_CONFIG: dir }), ref);
    expect(pulled.digest).toBe(pushed.digest);

    const anonymous = await pull(await tempContext(), ref).catch((err: unknown) => err);
    expect(isWtoolsError(anonymous, 'UNAUTHORIZED'), String(anonymous)).toBe(true);
  });
});
