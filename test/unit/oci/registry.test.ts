import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesStream, sha256 } from '../../../lib/core/index.js';
import {
  type Descriptor,
  MAX_MANIFEST_BYTES,
  MANIFEST_MEDIA_TYPES,
  MediaType,
  RegistryClient,
  type RegistryOptions,
  type RegistryRepository,
  listReferrers,
  parseManifest,
  referrersTag,
} from '../../../lib/oci/index.js';
import { type FakeRegistry, fakeRegistry } from '../../harness/fake-registry.js';
import { content, expectCode, readAll, streamOf } from '../../harness/unit.js';

function repoOf(registry: FakeRegistry, name = 'org/x', options: RegistryOptions = {}): RegistryRepository {
  return new RegistryClient(registry.host, {
    fetch: registry.fetch,
    retry: { baseDelayMs: 1 },
    ...options,
  }).repository(name);
}

function seedImage(registry: FakeRegistry, name = 'org/x', tag = 'v1') {
  return registry.addImage(name, { tag, layers: [{ mediaType: MediaType.wasm, data: 'layer bytes' }] });
}

/** A manifest bigger than the 4 MiB limit: a valid image manifest padded with an annotation. */
function hugeManifest(registry: FakeRegistry, name: string, tag: string): Descriptor {
  const { config, layers } = seedImage(registry, name, 'small');
  return registry.addManifest(
    name,
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers,
      annotations: { padding: 'x'.repeat(MAX_MANIFEST_BYTES) },
    },
    { tag },
  );
}

describe('RegistryClient', () => {
  it('speaks plain HTTP only to loopback and allowed hosts', () => {
    expect(new RegistryClient('localhost:5000').baseUrl).toBe('http://localhost:5000');
    expect(new RegistryClient('127.0.0.1:5000').baseUrl).toBe('http://127.0.0.1:5000');
    expect(new RegistryClient('[::1]:5000').baseUrl).toBe('http://[::1]:5000');
    expect(new RegistryClient('ghcr.io').baseUrl).toBe('https://ghcr.io');
    expect(new RegistryClient('docker.io').baseUrl).toBe('https://registry-1.docker.io');
    expect(new RegistryClient('reg.lan:5000', { insecure: ['reg.lan'] }).baseUrl).toBe('http://reg.lan:5000');
    expect(new RegistryClient('reg.lan:5000', { insecure: ['reg.lan:5000'] }).baseUrl).toBe(
      'http://reg.lan:5000',
    );
  });

  it('pings /v2/', async () => {
    const registry = fakeRegistry();
    await new RegistryClient(registry.host, { fetch: registry.fetch }).ping();
    expect(registry.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v2/']);
  });
});

describe('RegistryRepository.resolve', () => {
  it('sends HEAD with an explicit Accept listing the manifest types and never */*', async () => {
    const registry = fakeRegistry();
    const { manifest } = seedImage(registry);
    const found = await repoOf(registry).resolve('v1');
    expect(found).toEqual({ mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.size });
    expect(registry.requests).toHaveLength(1);
    const request = registry.requests[0]!;
    expect(request.method).toBe('HEAD');
    expect(request.path).toBe('/v2/org/x/manifests/v1');
    const accept = request.headers.accept ?? '';
    expect(accept).not.toContain('*/*');
    expect(accept.split(',').map((a) => a.trim())).toEqual([...MANIFEST_MEDIA_TYPES]);
  });

  it('falls back to GET and digests the body when HEAD has no Docker-Content-Digest', async () => {
    const registry = fakeRegistry();
    const { manifest } = seedImage(registry);
    registry.stripHeaders({ method: 'HEAD' }, ['docker-content-digest']);
    const found = await repoOf(registry).resolve('v1');
    expect(found).toEqual({ mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.size });
    expect(registry.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
    expect(registry.requests[1]?.headers.accept).not.toContain('*/*');
  });

  it('reads the manifest when HEAD has no manifest Content-Type, and labels it by shape', async () => {
    const registry = fakeRegistry();
    const { config, layers } = seedImage(registry);
    const bare = registry.addManifest(
      'org/x',
      { schemaVersion: 2, config, layers },
      { tag: 'bare', mediaType: MediaType.ociManifest, contentType: 'application/json' },
    );
    expect(await repoOf(registry).resolve('bare')).toEqual(bare);
    expect(registry.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
  });

  it('refuses a manifest of an unknown media type when resolving', async () => {
    const registry = fakeRegistry();
    const { config, layers } = seedImage(registry);
    registry.addManifest(
      'org/x',
      { schemaVersion: 2, mediaType: 'application/vnd.example.v9+json', config, layers },
      { tag: 'odd' },
    );
    const err = await expectCode(repoOf(registry).resolve('odd'), 'UNSUPPORTED_MEDIA_TYPE');
    expect(err.message).toContain('application/vnd.example.v9+json');
    expect(registry.matching({ path: /\/blobs\// })).toEqual([]);
  });

  it('resolves a digest from HEAD alone', async () => {
    const registry = fakeRegistry();
    const { manifest } = seedImage(registry);
    registry.stripHeaders({ method: 'HEAD' }, ['docker-content-digest']);
    expect(await repoOf(registry).resolve(manifest.digest)).toEqual(manifest);
    expect(registry.requests).toHaveLength(1);
  });

  it('reports an unknown tag as NOT_FOUND naming the reference', async () => {
    const registry = fakeRegistry();
    seedImage(registry);
    const err = await expectCode(repoOf(registry).resolve('nope'), 'NOT_FOUND');
    expect(err.message).toContain('registry.test/org/x:nope');
  });

  it('refuses a manifest over 4 MiB by Content-Length before reading it', async () => {
    const registry = fakeRegistry();
    hugeManifest(registry, 'org/x', 'huge');
    const err = await expectCode(repoOf(registry).resolve('huge'), 'MANIFEST_TOO_LARGE');
    expect(err.message).toContain(`at most ${MAX_MANIFEST_BYTES}`);
    expect(registry.requests.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('refuses a GET manifest body over 4 MiB by its Content-Length', async () => {
    const registry = fakeRegistry();
    hugeManifest(registry, 'org/x', 'huge');
    registry.stripHeaders({ method: 'HEAD' }, ['content-length', 'docker-content-digest']);
    await expectCode(repoOf(registry).resolve('huge'), 'MANIFEST_TOO_LARGE');
    expect(registry.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
  });

  it('refuses a manifest over 4 MiB streamed without any length', async () => {
    const registry = fakeRegistry();
    hugeManifest(registry, 'org/x', 'huge');
    registry.stripHeaders({ path: /manifests/ }, ['content-length', 'docker-content-digest']);
    const err = await expectCode(repoOf(registry).resolve('huge'), 'MANIFEST_TOO_LARGE');
    expect(err.message).toContain(`more than ${MAX_MANIFEST_BYTES} bytes`);
  });

  it('refuses to fetch a manifest descriptor over 4 MiB without any request', async () => {
    const registry = fakeRegistry();
    await expectCode(
      repoOf(registry).fetch({
        mediaType: MediaType.ociManifest,
        digest: sha256('x'),
        size: MAX_MANIFEST_BYTES + 1,
      }),
      'MANIFEST_TOO_LARGE',
    );
    expect(registry.requests).toHaveLength(0);
  });

  it('maps 403 to DENIED and persistent 5xx to REGISTRY_ERROR', async () => {
    const registry = fakeRegistry();
    seedImage(registry);
    registry.failNext({ method: 'HEAD' }, 403);
    await expectCode(repoOf(registry).resolve('v1'), 'DENIED');
    registry.failNext({ method: 'HEAD' }, 500, { times: 4 });
    const err = await expectCode(repoOf(registry).resolve('v1'), 'REGISTRY_ERROR');
    expect(err.message).toContain('answered 500');
  });
});

describe('RegistryRepository.fetch', () => {
  it('streams a verified blob', async () => {
    const registry = fakeRegistry();
    const { layers } = seedImage(registry);
    const bytes = await readAll(await repoOf(registry).fetch(layers[0]!));
    expect(Buffer.from(bytes).toString()).toBe('layer bytes');
    expect(registry.requests[0]?.path).toBe(`/v2/org/x/blobs/${layers[0]!.digest}`);
  });

  it('errors with DIGEST_MISMATCH on a tampered blob', async () => {
    const registry = fakeRegistry();
    const { layers } = seedImage(registry);
    registry.tamper(layers[0]!.digest);
    const err = await expectCode(readAll(await repoOf(registry).fetch(layers[0]!)), 'DIGEST_MISMATCH');
    expect(err.message).toContain(`blob ${layers[0]!.digest} of registry.test/org/x`);
  });

  it('errors with SIZE_MISMATCH on a truncated blob', async () => {
    const registry = fakeRegistry();
    const { layers } = seedImage(registry);
    registry.truncate(layers[0]!.digest, 4);
    await expectCode(readAll(await repoOf(registry).fetch(layers[0]!)), 'SIZE_MISMATCH');
  });

  it('refuses a Content-Length that differs from the descriptor before reading', async () => {
    const registry = fakeRegistry();
    const { layers } = seedImage(registry);
    const err = await expectCode(repoOf(registry).fetch({ ...layers[0]!, size: 3 }), 'SIZE_MISMATCH');
    expect(err.message).toContain('the registry announces 11');
  });

  it('reports a missing blob as NOT_FOUND with the registry code', async () => {
    const registry = fakeRegistry();
    const err = await expectCode(
      repoOf(registry).fetch({ mediaType: MediaType.wasm, digest: sha256('gone'), size: 4 }),
      'NOT_FOUND',
    );
    expect(err.message).toContain('BLOB_UNKNOWN');
  });

  it('fetches manifests from the manifests endpoint with Accept', async () => {
    const registry = fakeRegistry();
    const { manifest } = seedImage(registry);
    const bytes = await readAll(await repoOf(registry).fetch(manifest));
    expect(parseManifest(bytes, manifest.mediaType).kind).toBe('manifest');
    expect(registry.requests[0]?.path).toBe(`/v2/org/x/manifests/${manifest.digest}`);
  });

  it('follows a blob redirect to storage without the Authorization header', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', anonymousPull: true });
    registry.redirectBlobs('https://storage.test');
    const { layers } = seedImage(registry);
    const bytes = await readAll(await repoOf(registry).fetch(layers[0]!));
    expect(Buffer.from(bytes).toString()).toBe('layer bytes');
    expect(registry.redirectedAuthorization).toEqual([null]);
  });
});

describe('RegistryRepository.push (blobs)', () => {
  it('uploads a small blob with POST then one PUT carrying the digest', async () => {
    const registry = fakeRegistry();
    const blob = content('application/octet-stream', 'small blob');
    await repoOf(registry).push(blob.descriptor, bytesStream(blob.bytes));
    expect(registry.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `HEAD /v2/org/x/blobs/${blob.descriptor.digest}`,
      'POST /v2/org/x/blobs/uploads/',
      'PUT /v2/org/x/blobs/uploads/u1',
    ]);
    const put = registry.requests[2]!;
    expect(put.query.get('digest')).toBe(blob.descriptor.digest);
    expect(put.query.get('_state')).toBe('s1'); // the Location's own query is kept
    expect(put.body.byteLength).toBe(blob.bytes.byteLength);
    expect(registry.blob('org/x', blob.descriptor.digest)).toEqual(blob.bytes);
  });

  it('uploads a big blob in PATCHes of exactly chunkSize with contiguous Content-Range', async () => {
    const registry = fakeRegistry();
    const bytes = new Uint8Array(randomBytes(40_000));
    const blob = content('application/octet-stream', bytes);
    const repo = repoOf(registry, 'org/x', { chunkSize: 16_384 });
    // Delivered in one chunk: the client still sends chunkSize pieces.
    await repo.push(blob.descriptor, bytesStream(bytes));
    const patches = registry.matching({ method: 'PATCH' });
    expect(patches.map((r) => r.headers['content-range'])).toEqual(['0-16383', '16384-32767']);
    expect(patches.map((r) => r.body.byteLength)).toEqual([16_384, 16_384]);
    const [put] = registry.matching({ method: 'PUT' });
    expect(put?.body.byteLength).toBe(40_000 - 32_768);
    expect(put?.query.get('digest')).toBe(blob.descriptor.digest);
    expect(registry.blob('org/x', blob.descriptor.digest)).toEqual(bytes);
  });

  it('chunks a blob that arrives in many small pieces', async () => {
    const registry = fakeRegistry();
    const bytes = new Uint8Array(randomBytes(10_000));
    const blob = content('application/octet-stream', bytes);
    const pieces = Array.from({ length: 10 }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000));
    await repoOf(registry, 'org/x', { chunkSize: 4096 }).push(blob.descriptor, streamOf(...pieces));
    expect(registry.matching({ method: 'PATCH' }).map((r) => r.headers['content-range'])).toEqual([
      '0-4095',
      '4096-8191',
    ]);
    expect(registry.blob('org/x', blob.descriptor.digest)).toEqual(bytes);
  });

  it('skips a blob the registry already has', async () => {
    const registry = fakeRegistry();
    const descriptor = registry.addBlob('org/x', 'already there');
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      cancel() {
        cancelled = true;
      },
    });
    await repoOf(registry).push(descriptor, stream);
    expect(registry.requests.map((r) => r.method)).toEqual(['HEAD']);
    expect(cancelled).toBe(true);
  });

  it('cancels the upload session and stores nothing when the content does not match', async () => {
    const registry = fakeRegistry();
    const blob = content('application/octet-stream', 'the real content');
    const err = await expectCode(
      repoOf(registry).push(blob.descriptor, bytesStream(new TextEncoder().encode('the fake content'))),
      'DIGEST_MISMATCH',
    );
    expect(err.message).toContain('upload of blob');
    expect(registry.cancelledUploads).toEqual(['u1']);
    expect(registry.matching({ method: 'PUT' })).toHaveLength(0);
    expect(registry.blob('org/x', blob.descriptor.digest)).toBeUndefined();
  });

  it('mounts a blob from another repository (201) without a transfer', async () => {
    const registry = fakeRegistry();
    const descriptor = registry.addBlob('org/src', 'shared layer');
    expect(await repoOf(registry, 'org/dst').mount(descriptor, 'org/src')).toBe(true);
    expect(registry.requests).toHaveLength(1);
    expect(registry.requests[0]?.query.get('mount')).toBe(descriptor.digest);
    expect(registry.requests[0]?.query.get('from')).toBe('org/src');
    expect(registry.blob('org/dst', descriptor.digest)).toBeDefined();
  });

  it('cancels the session a refused mount (202) opened', async () => {
    const registry = fakeRegistry({ mount: false });
    const descriptor = registry.addBlob('org/src', 'shared layer');
    expect(await repoOf(registry, 'org/dst').mount(descriptor, 'org/src')).toBe(false);
    expect(registry.requests.map((r) => r.method)).toEqual(['POST', 'DELETE']);
    expect(registry.cancelledUploads).toEqual(['u1']);
    expect(registry.blob('org/dst', descriptor.digest)).toBeUndefined();
  });
});

describe('RegistryRepository manifests, tags and referrers', () => {
  function artifact(registry: FakeRegistry, subject?: Descriptor, note = 'sig') {
    const config = registry.addBlob('org/x', '{}', MediaType.ociEmpty);
    const layer = registry.addBlob('org/x', note, 'application/vnd.example.signature');
    return content(MediaType.ociManifest, {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: 'application/vnd.example.signature',
      config,
      layers: [layer],
      ...(subject ? { subject } : {}),
      annotations: { note },
    });
  }

  it('pushes a manifest by digest and tags it without downloading it again', async () => {
    const registry = fakeRegistry();
    const manifest = artifact(registry);
    const repo = repoOf(registry);
    await repo.push(manifest.descriptor, bytesStream(manifest.bytes));
    await repo.tag(manifest.descriptor, 'v2');
    expect(registry.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT /v2/org/x/manifests/${manifest.descriptor.digest}`,
      'PUT /v2/org/x/manifests/v2',
    ]);
    expect(registry.requests[0]?.headers['content-type']).toBe(MediaType.ociManifest);
    expect(registry.manifest('org/x', 'v2')?.bytes).toEqual(manifest.bytes);
  });

  it('tags a manifest it did not push by fetching it first', async () => {
    const registry = fakeRegistry();
    const { manifest } = seedImage(registry);
    await repoOf(registry).tag(manifest, 'stable');
    expect(registry.requests.map((r) => r.method)).toEqual(['GET', 'PUT']);
    expect(registry.tagsOf('org/x')).toEqual(['stable', 'v1']);
  });

  it('lists tags across pages', async () => {
    const registry = fakeRegistry({ tagPageSize: 2 });
    for (const tag of ['a', 'b', 'c', 'd', 'e']) seedImage(registry, 'org/x', tag);
    expect(await repoOf(registry).tags()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(registry.matching({ path: '/v2/org/x/tags/list' })).toHaveLength(3);
  });

  it('deletes a manifest by digest', async () => {
    const registry = fakeRegistry();
    const { manifest } = seedImage(registry);
    await repoOf(registry).deleteManifest(manifest);
    expect(registry.manifest('org/x', manifest.digest)).toBeUndefined();
    expect(registry.tagsOf('org/x')).toEqual([]);
  });

  it('falls back to the sha256-<hex> tag when the referrers API answers a plain 404', async () => {
    const registry = fakeRegistry();
    const { manifest: subject } = seedImage(registry);
    const sig = artifact(registry, subject);
    registry.addManifest('org/x', sig.bytes);
    registry.addManifest(
      'org/x',
      {
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [{ ...sig.descriptor, artifactType: 'x/y' }],
      },
      { tag: referrersTag(subject.digest) },
    );
    const repo = repoOf(registry);
    expect(await repo.referrersApi(subject.digest)).toBeUndefined();
    const found = await listReferrers(repo, subject.digest);
    expect(found.map((d) => d.digest)).toEqual([sig.descriptor.digest]);
    expect(await listReferrers(repo, subject.digest, 'other/type')).toEqual([]);
    // Once the API is known to be missing, it is not asked again.
    const before = registry.matching({ path: /referrers/ }).length;
    await listReferrers(repo, subject.digest);
    expect(registry.matching({ path: /referrers/ })).toHaveLength(before);
  });

  it('uses the referrers API where the registry has one', async () => {
    const registry = fakeRegistry({ referrersApi: true });
    const { manifest: subject } = seedImage(registry);
    const sig = artifact(registry, subject);
    registry.addManifest('org/x', sig.bytes);
    const found = await listReferrers(repoOf(registry), subject.digest, 'application/vnd.example.signature');
    expect(found).toEqual([
      {
        ...sig.descriptor,
        artifactType: 'application/vnd.example.signature',
        annotations: { note: 'sig' },
      },
    ]);
    const request = registry.matching({ path: /referrers/ })[0];
    expect(request?.query.get('artifactType')).toBe('application/vnd.example.signature');
  });

  it('adds a pushed referrer to the fallback index, keeping the entries already there', async () => {
    const registry = fakeRegistry();
    const { manifest: subject } = seedImage(registry);
    const first = artifact(registry, subject, 'first');
    const second = artifact(registry, subject, 'second');
    const repo = repoOf(registry);
    await repo.push(first.descriptor, bytesStream(first.bytes));
    // A fresh client (another process) pushes the second referrer.
    await repoOf(registry).push(second.descriptor, bytesStream(second.bytes));
    const stored = registry.manifest('org/x', referrersTag(subject.digest));
    expect(stored?.mediaType).toBe(MediaType.ociIndex);
    const index = parseManifest(stored!.bytes, MediaType.ociIndex);
    expect(index.kind).toBe('index');
    expect(index.kind === 'index' && index.value.manifests.map((d) => d.annotations?.note)).toEqual([
      'first',
      'second',
    ]);
    expect(await listReferrers(repo, subject.digest)).toHaveLength(2);
  });

  it('leaves the fallback index alone when the registry answers OCI-Subject', async () => {
    const registry = fakeRegistry({ referrersApi: true });
    const { manifest: subject } = seedImage(registry);
    const sig = artifact(registry, subject);
    await repoOf(registry).push(sig.descriptor, bytesStream(sig.bytes));
    expect(registry.tagsOf('org/x')).not.toContain(referrersTag(subject.digest));
    expect(registry.requests.map((r) => r.method)).toEqual(['PUT']);
  });

  it('refuses a manifest whose bytes do not match before sending it', async () => {
    const registry = fakeRegistry();
    const manifest = artifact(registry);
    await expectCode(
      repoOf(registry).push({ ...manifest.descriptor, digest: sha256('other') }, bytesStream(manifest.bytes)),
      'DIGEST_MISMATCH',
    );
    expect(registry.requests).toHaveLength(0);
  });

  it('reports a manifest whose children are missing as a registry error', async () => {
    const registry = fakeRegistry();
    const manifest = content(MediaType.ociManifest, {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociEmpty, digest: sha256('{}'), size: 2 },
      layers: [],
    });
    const err = await expectCode(
      repoOf(registry).push(manifest.descriptor, bytesStream(manifest.bytes)),
      'REGISTRY_ERROR',
    );
    expect(err.message).toContain('MANIFEST_BLOB_UNKNOWN');
  });
});
