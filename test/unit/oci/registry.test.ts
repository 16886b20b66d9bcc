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

/**
 * Serves `origin` with `handler` (recording what it got) and sends everything else to the fake,
 * letting `rewrite` change the fake's responses (to point a Location or Link at `origin`).
 */
function withOtherOrigin(
  registry: FakeRegistry,
  origin: string,
  handler: (url: URL) => Response,
  rewrite: (url: URL, response: Response) => Response = (_url, response) => response,
) {
  const seen: { method: string; url: string; authorization: string | null }[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (url.origin !== origin) return rewrite(url, await registry.fetch(input, init));
    seen.push({
      method: init?.method ?? 'GET',
      url: url.href,
      authorization: new Headers(init?.headers).get('authorization'),
    });
    return handler(url);
  }) as typeof globalThis.fetch;
  return { seen, fetch: fetchFn };
}

/** Rewrites the Location of the registry's 202 to an upload session. */
function uploadTo(location: string) {
  return (url: URL, response: Response): Response => {
    if (response.status !== 202 || !url.pathname.endsWith('/blobs/uploads/')) return response;
    const headers = new Headers(response.headers);
    headers.set('location', location);
    return new Response(response.body, { status: response.status, headers });
  };
}

describe('RegistryClient credentials stay on the registry origin', () => {
  const BASIC = `Basic ${Buffer.from('alice:pw').toString('base64')}`;
  const alice = { get: async () => ({ username: 'alice', password: 'pw' }) };

  it('sends no Authorization to an upload Location on another origin (Basic)', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'basic', users: { alice: 'pw' } });
    const elsewhere = withOtherOrigin(
      registry,
      'http://127.0.0.2:9',
      () => new Response(null, { status: 201 }),
      uploadTo('http://127.0.0.2:9/up?session=1'),
    );
    const blob = content('application/octet-stream', 'blob for elsewhere');
    const repo = repoOf(registry, 'org/x', { fetch: elsewhere.fetch, credentials: alice });
    await repo.push(blob.descriptor, bytesStream(blob.bytes));

    // Every request to the registry itself carried the credentials once challenged...
    expect(registry.requests.map((r) => [r.method, r.headers.authorization])).toEqual([
      ['HEAD', undefined],
      ['HEAD', BASIC],
      ['POST', BASIC],
    ]);
    // ...the upload origin got none.
    expect(elsewhere.seen).toHaveLength(1);
    expect(elsewhere.seen[0]).toMatchObject({ method: 'PUT', authorization: null });
    const put = new URL(elsewhere.seen[0]!.url);
    expect(put.searchParams.get('session')).toBe('1');
    expect(put.searchParams.get('digest')).toBe(blob.descriptor.digest);
  });

  it('sends no Bearer token to an upload Location on another origin', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', users: { alice: 'pw' } });
    const elsewhere = withOtherOrigin(
      registry,
      'https://uploads.test',
      () => new Response(null, { status: 201 }),
      uploadTo('https://uploads.test/up/1'),
    );
    const blob = content('application/octet-stream', 'blob for elsewhere');
    await repoOf(registry, 'org/x', { fetch: elsewhere.fetch, credentials: alice }).push(
      blob.descriptor,
      bytesStream(blob.bytes),
    );
    const post = registry.matching({ origin: registry.origin, method: 'POST' });
    expect(post.at(-1)?.headers.authorization).toMatch(/^Bearer tok-/);
    expect(elsewhere.seen.map((r) => [r.method, r.authorization])).toEqual([['PUT', null]]);
  });

  it('does not answer a challenge from another origin with the credentials', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'basic', users: { alice: 'pw' } });
    const elsewhere = withOtherOrigin(
      registry,
      'https://uploads.test',
      () => new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } }),
      uploadTo('https://uploads.test/up/1'),
    );
    const blob = content('application/octet-stream', 'blob for elsewhere');
    const err = await expectCode(
      repoOf(registry, 'org/x', { fetch: elsewhere.fetch, credentials: alice }).push(
        blob.descriptor,
        bytesStream(blob.bytes),
      ),
      'REGISTRY_ERROR',
    );
    expect(err.message).toContain('answered 401');
    expect(elsewhere.seen.map((r) => [r.method, r.authorization])).toEqual([['PUT', null]]);
  });

  it('sends no Authorization to a tags/list next page on another origin', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'basic', users: { alice: 'pw' } });
    seedImage(registry, 'org/x', 'a');
    const elsewhere = withOtherOrigin(
      registry,
      'https://pages.test',
      () => Response.json({ name: 'org/x', tags: ['z'] }),
      (url, response) => {
        if (!url.pathname.endsWith('/tags/list') || response.status !== 200) return response;
        const headers = new Headers(response.headers);
        headers.set('link', '<https://pages.test/v2/org/x/tags/list?last=a>; rel="next"');
        return new Response(response.body, { status: 200, headers });
      },
    );
    const repo = repoOf(registry, 'org/x', { fetch: elsewhere.fetch, credentials: alice });
    expect(await repo.tags()).toEqual(['a', 'z']);
    const own = registry.matching({ path: '/v2/org/x/tags/list' });
    expect(own.map((r) => r.headers.authorization)).toEqual([undefined, BASIC]);
    expect(elsewhere.seen).toEqual([
      { method: 'GET', url: 'https://pages.test/v2/org/x/tags/list?last=a', authorization: null },
    ]);
  });
});

describe('RegistryClient plain HTTP', () => {
  /** A fetch that answers 200 to /v2/ on any origin and records the URLs. */
  function anyOrigin() {
    const urls: string[] = [];
    const fetchFn = (async (input: string | URL | Request) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return new Response('{}', { status: 200 });
    }) as typeof globalThis.fetch;
    return { urls, fetch: fetchFn };
  }

  it('speaks http:// to a registry listed as insecure and allows it', async () => {
    const stub = anyOrigin();
    const client = new RegistryClient('reg.example:5000', {
      fetch: stub.fetch,
      insecure: ['reg.example:5000'],
    });
    expect(client.baseUrl).toBe('http://reg.example:5000');
    await client.ping();
    expect(stub.urls).toEqual(['http://reg.example:5000/v2/']);
  });

  it('uses https:// for a registry not listed as insecure', async () => {
    const stub = anyOrigin();
    const client = new RegistryClient('reg.example:5000', { fetch: stub.fetch, insecure: ['other.example'] });
    expect(client.baseUrl).toBe('https://reg.example:5000');
    await client.ping();
    expect(stub.urls).toEqual(['https://reg.example:5000/v2/']);
  });

  it('refuses a redirect from an insecure registry to plain HTTP on another host', async () => {
    const urls: string[] = [];
    const fetchFn = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      urls.push(url);
      return new Response(null, { status: 307, headers: { location: 'http://storage.example/blob' } });
    }) as typeof globalThis.fetch;
    const client = new RegistryClient('reg.example:5000', { fetch: fetchFn, insecure: ['reg.example:5000'] });
    const err = await expectCode(
      client.repository('org/x').fetch({ mediaType: MediaType.wasm, digest: sha256('x'), size: 1 }),
      'INSECURE_REGISTRY',
    );
    expect(err.message).toContain('http://storage.example');
    expect(urls).toEqual([`http://reg.example:5000/v2/org/x/blobs/${sha256('x')}`]);
  });
});

describe('RegistryRepository pagination', () => {
  /** A tags/list whose pages are given by URL (path and query), each with an optional next link. */
  function pagedTags(registry: FakeRegistry, pages: Record<string, { tags: string[]; next?: string }>) {
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      if (url.origin !== registry.origin || !url.pathname.endsWith('/tags/list'))
        return registry.fetch(input, init);
      // A client that loops would never yield to a timer: fail it here instead of hanging the run.
      if (registry.requests.length >= 10)
        throw new Error(`tags/list requested ${registry.requests.length} times`);
      registry.requests.push({
        method: 'GET',
        url: url.href,
        origin: url.origin,
        path: url.pathname,
        query: url.searchParams,
        headers: {},
        body: new Uint8Array(0),
      });
      const page = pages[`${url.pathname}${url.search}`];
      if (!page) return new Response('{}', { status: 404 });
      return Response.json(
        { name: 'org/x', tags: page.tags },
        { headers: page.next ? { link: `<${page.next}>; rel="next"` } : {} },
      );
    }) as typeof globalThis.fetch;
    return repoOf(registry, 'org/x', { fetch: fetchFn });
  }

  it('stops when the next link points back at the same page', async () => {
    const registry = fakeRegistry();
    const first = '/v2/org/x/tags/list?n=1000';
    const repo = pagedTags(registry, { [first]: { tags: ['a', 'b'], next: first } });
    expect(await repo.tags()).toEqual(['a', 'b']);
    expect(registry.matching({ path: '/v2/org/x/tags/list' })).toHaveLength(1);
  });

  it('stops when the next links go round in a cycle, reading each page once', async () => {
    const registry = fakeRegistry();
    const first = '/v2/org/x/tags/list?n=1000';
    const second = '/v2/org/x/tags/list?n=1000&last=b';
    const repo = pagedTags(registry, {
      [first]: { tags: ['a', 'b'], next: second },
      [second]: { tags: ['c'], next: `${registry.origin}${first}` },
    });
    expect(await repo.tags()).toEqual(['a', 'b', 'c']);
    expect(registry.matching({ path: '/v2/org/x/tags/list' }).map((r) => r.query.get('last'))).toEqual([
      null,
      'b',
    ]);
  });

  it('stops after 1000 pages when every page links to a new one', async () => {
    const registry = fakeRegistry();
    let served = 0;
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      if (!url.pathname.endsWith('/tags/list')) return registry.fetch(input, init);
      served += 1;
      if (served > 1_010) throw new Error('still paging');
      return Response.json(
        { name: 'org/x', tags: [`t${served}`] },
        { headers: { link: `</v2/org/x/tags/list?n=1&last=t${served}>; rel="next"` } },
      );
    }) as typeof globalThis.fetch;
    const tags = await repoOf(registry, 'org/x', { fetch: fetchFn }).tags();
    expect(served).toBe(1_000);
    expect(tags).toHaveLength(1_000);
    expect(tags.at(-1)).toBe('t1000');
  });
});
