import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  startBasicAuthRegistry,
  startFaultProxy,
  startRegistry,
  startTokenAuthRegistry,
  type FaultProxy,
  type RunningRegistry,
  type TokenAuthRegistry,
} from '../harness/registry.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function digestOf(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } {
  expect(header).toBeTruthy();
  const text = header ?? '';
  const space = text.indexOf(' ');
  const params: Record<string, string> = {};
  for (const m of text.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) {
    if (m[1] !== undefined && m[2] !== undefined) params[m[1]] = m[2];
  }
  return { scheme: text.slice(0, space), params };
}

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/** Monolithic blob upload: POST to open a session, then PUT the bytes with ?digest=. */
async function pushBlob(baseUrl: string, repo: string, data: Uint8Array, auth?: string): Promise<string> {
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  const digest = digestOf(data);
  const post = await fetch(`${baseUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  await post.arrayBuffer();
  expect(post.status).toBe(202);
  const location = post.headers.get('location');
  expect(location).toBeTruthy();
  const putUrl = new URL(location ?? '', baseUrl);
  putUrl.searchParams.set('digest', digest);
  const put = await fetch(putUrl, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: data,
  });
  await put.arrayBuffer();
  expect(put.status).toBe(201);
  expect(put.headers.get('docker-content-digest')).toBe(digest);
  return digest;
}

/** Pushes a config blob, one layer and an OCI image manifest; returns the manifest digest and body. */
async function pushImage(
  baseUrl: string,
  repo: string,
  tag: string,
  auth?: string,
): Promise<{ digest: string; body: string }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'wasm', os: 'wasip2' }));
  const layer = randomBytes(4096);
  const configDigest = await pushBlob(baseUrl, repo, config, auth);
  const layerDigest = await pushBlob(baseUrl, repo, layer, auth);
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.wasm.config.v0+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/wasm', digest: layerDigest, size: layer.length }],
  });
  const res = await fetch(`${baseUrl}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': OCI_MANIFEST, ...(auth ? { authorization: auth } : {}) },
    body,
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const digest = digestOf(body);
  expect(res.headers.get('docker-content-digest')).toBe(digest);
  return { digest, body };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('shared registry (global setup)', () => {
  it('answers GET /v2/ without auth', async () => {
    const host = inject('registryHost');
    expect(host).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await fetch(`http://${host}/v2/`);
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });
});

describe('token-auth registry', () => {
  let registry: TokenAuthRegistry;
  const users = { alice: 'correct horse battery staple' };

  beforeAll(async () => {
    registry = await startTokenAuthRegistry(users);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  async function getToken(scopes: string[], auth?: string): Promise<Response> {
    const url = new URL(registry.tokenServerUrl);
    url.searchParams.set('service', registry.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    return fetch(url, { headers: auth ? { authorization: auth } : {} });
  }

  it('refuses an anonymous blob HEAD with 401 and a Bearer challenge', async () => {
    const digest = digestOf('nothing');
    const res = await fetch(`${registry.url}/v2/test/repo/blobs/${digest}`, { method: 'HEAD' });
    expect(res.status).toBe(401);
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    expect(challenge.scheme).toBe('Bearer');
    expect(challenge.params['realm']).toBe(registry.tokenServerUrl);
    expect(challenge.params['service']).toBe(registry.service);
    expect(challenge.params['scope']).toBe('repository:test/repo:pull');
  });

  it('refuses token requests with missing or wrong credentials', async () => {
    const before = registry.tokenRequests;
    for (const auth of [undefined, basic('alice', 'wrong'), basic('mallory', users.alice)]) {
      const res = await getToken(['repository:test/repo:pull'], auth);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { errors?: unknown[] };
      expect(Array.isArray(body.errors) && body.errors.length > 0).toBe(true);
    }
    expect(registry.tokenRequests).toBe(before + 3);
  });

  it('accepts a full push and pull with a token obtained with valid credentials', async () => {
    const repo = 'test/repo';
    // Follow the registry's own challenge, as a client would.
    const probe = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    await probe.arrayBuffer();
    expect(probe.status).toBe(401);
    const { params } = parseChallenge(probe.headers.get('www-authenticate'));
    // distribution 2.8.2 builds the action list from a Go map: "pull,push" or "push,pull" at random.
    const [, scopeRepo, actions = ''] = (params['scope'] ?? '').split(':');
    expect(scopeRepo).toBe(repo);
    expect(actions.split(',').sort()).toEqual(['pull', 'push']);

    const before = registry.tokenRequests;
    const tokenRes = await getToken([params['scope'] ?? ''], basic('alice', users.alice));
    expect(tokenRes.status).toBe(200);
    const tokenBody = (await tokenRes.json()) as { token: string; access_token: string; expires_in: number };
    expect(tokenBody.token).toBe(tokenBody.access_token);
    expect(tokenBody.expires_in).toBe(300);
    expect(registry.tokenRequests).toBe(before + 1);

    const auth = `Bearer ${tokenBody.token}`;
    const { digest, body } = await pushImage(registry.url, repo, 'v1', auth);

    const get = await fetch(`${registry.url}/v2/${repo}/manifests/v1`, {
      headers: { authorization: auth, accept: OCI_MANIFEST },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('docker-content-digest')).toBe(digest);
    expect(await get.text()).toBe(body);
  });

  it('enforces the granted scopes (a pull-only token cannot push)', async () => {
    const tokenRes = await getToken(['repository:test/other:pull'], basic('alice', users.alice));
    const { token } = (await tokenRes.json()) as { token: string };
    const res = await fetch(`${registry.url}/v2/test/other/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(text).toContain('UNAUTHORIZED');
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('really verifies token signatures', async () => {
    const tokenRes = await getToken(['repository:test/repo:pull'], basic('alice', users.alice));
    const { token } = (await tokenRes.json()) as { token: string };
    const [header, claims, signature = ''] = token.split('.');
    const flipped = Buffer.from(signature, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 0xff;
    const tampered = `${header}.${claims}.${flipped.toString('base64url')}`;
    const res = await fetch(`${registry.url}/v2/test/repo/tags/list`, {
      headers: { authorization: `Bearer ${tampered}` },
    });
    await res.arrayBuffer();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('grants several scope parameters in one token', async () => {
    const tokenRes = await getToken(
      ['repository:test/multi-a:pull,push', 'repository:test/multi-b:pull,push'],
      basic('alice', users.alice),
    );
    const { token } = (await tokenRes.json()) as { token: string };
    const auth = `Bearer ${token}`;
    await pushBlob(registry.url, 'test/multi-a', Buffer.from('a'), auth);
    await pushBlob(registry.url, 'test/multi-b', Buffer.from('b'), auth);
  });
});

describe('basic-auth registry', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startBasicAuthRegistry({ bob: 'hunter2' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('challenges anonymous requests and accepts a push with valid credentials', async () => {
    const anon = await fetch(`${registry.url}/v2/`);
    await anon.arrayBuffer();
    expect(anon.status).toBe(401);
    expect(parseChallenge(anon.headers.get('www-authenticate')).scheme).toBe('Basic');

    const wrong = await fetch(`${registry.url}/v2/`, { headers: { authorization: basic('bob', 'nope') } });
    await wrong.arrayBuffer();
    expect(wrong.status).toBe(401);

    await pushImage(registry.url, 'basic/repo', 'latest', basic('bob', 'hunter2'));
  });
});

describe('fault proxy', () => {
  let proxy: FaultProxy;
  const registryUrl = (): string => `http://${inject('registryHost')}`;

  beforeAll(async () => {
    proxy = await startFaultProxy(registryUrl());
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('returns the injected status twice, then forwards', async () => {
    proxy.failNext(2, 503, { 'Retry-After': '1' });
    const start = proxy.requests.length;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${proxy.url}/v2/`);
      await res.arrayBuffer();
      statuses.push(res.status);
      if (res.status === 503) expect(res.headers.get('retry-after')).toBe('1');
      else expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    }
    expect(statuses).toEqual([503, 503, 200]);
    expect(proxy.requests.slice(start)).toEqual([
      { method: 'GET', path: '/v2/', status: 503 },
      { method: 'GET', path: '/v2/', status: 503 },
      { method: 'GET', path: '/v2/', status: 200 },
    ]);
  });

  it('streams pushes through and rewrites Location to the proxy', async () => {
    const repo = 'proxy/repo';
    const post = await fetch(`${proxy.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    await post.arrayBuffer();
    expect(post.status).toBe(202);
    const location = new URL(post.headers.get('location') ?? '', proxy.url);
    expect(location.host).toBe(proxy.host);
    const cancel = await fetch(location, { method: 'DELETE' });
    await cancel.arrayBuffer();
    expect(cancel.status).toBe(204);

    const { digest } = await pushImage(proxy.url, repo, 'v1');
    // The image is really in the registry behind the proxy.
    const direct = await fetch(`${registryUrl()}/v2/${repo}/manifests/${digest}`, {
      method: 'HEAD',
      headers: { accept: OCI_MANIFEST },
    });
    expect(direct.status).toBe(200);
    expect(proxy.requests.some((r) => r.method === 'PUT' && r.path.includes('digest=sha256'))).toBe(true);
  });
});

describe('stop()', () => {
  it('ends the registry process, removes its storage, and is idempotent', async () => {
    const registry = await startRegistry();
    expect(isAlive(registry.pid)).toBe(true);
    const res = await fetch(`${registry.url}/v2/`);
    await res.arrayBuffer();
    expect(res.status).toBe(200);

    await Promise.all([registry.stop(), registry.stop()]);
    await registry.stop();
    expect(() => process.kill(registry.pid, 0)).toThrow();
    expect(existsSync(registry.storageDir)).toBe(false);
    await expect(fetch(`${registry.url}/v2/`)).rejects.toThrow();
  });
});
