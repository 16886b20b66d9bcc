import { describe, expect, it } from 'vitest';
import {
  type Credential,
  type Descriptor,
  RegistryClient,
  type RegistryOptions,
  isLoopbackHost,
  normalizeScope,
  parseChallenge,
} from '../../../lib/oci/index.js';
import { type FakeRegistry, fakeRegistry } from '../../harness/fake-registry.js';
import { expectCode } from '../../harness/unit.js';

function clientFor(
  registry: FakeRegistry,
  credential?: Credential,
  options: RegistryOptions = {},
): RegistryClient {
  return new RegistryClient(registry.host, {
    fetch: registry.fetch,
    retry: { baseDelayMs: 1 },
    ...(credential
      ? { credentials: { get: async (r) => (r === registry.host ? credential : undefined) } }
      : {}),
    ...options,
  });
}

function seed(registry: FakeRegistry, repository = 'org/x'): Descriptor {
  return registry.addImage(repository, { tag: 'v1', layers: [{ mediaType: 'application/wasm', data: 'w' }] })
    .manifest;
}

const registryRequests = (registry: FakeRegistry) => registry.matching({ origin: registry.origin });

describe('parseChallenge', () => {
  it('parses a quoted Bearer challenge', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
      scope: 'repository:library/ubuntu:pull,push',
    });
  });

  it('accepts bare values, any case, spaces and escaped quotes', () => {
    expect(parseChallenge('BEARER realm=https://x.test/token, service=reg')).toEqual({
      scheme: 'bearer',
      realm: 'https://x.test/token',
      service: 'reg',
    });
    expect(parseChallenge('  bearer  Realm = "https://x.test/t" ,scope="a b"')).toEqual({
      scheme: 'bearer',
      realm: 'https://x.test/t',
      scope: 'a b',
    });
    expect(parseChallenge('Bearer realm="https://x.test/\\"q\\""')?.realm).toBe('https://x.test/"q"');
  });

  it('parses Basic and ignores other schemes and empty headers', () => {
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      realm: 'Registry Realm',
    });
    expect(parseChallenge('Basic')).toEqual({ scheme: 'basic' });
    expect(parseChallenge('Digest realm="x", nonce="y"')).toBeUndefined();
    expect(parseChallenge('')).toBeUndefined();
    expect(parseChallenge(null)).toBeUndefined();
  });

  it('normalises scope actions and recognises loopback hosts', () => {
    expect(normalizeScope('repository:x:push,pull')).toBe('repository:x:pull,push');
    expect(normalizeScope('repository:x:pull,push,pull')).toBe('repository:x:pull,push');
    expect(normalizeScope('registry:catalog:*')).toBe('registry:catalog:*');
    expect(normalizeScope('odd')).toBe('odd');
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('registry.test')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false);
  });
});

describe('Bearer tokens', () => {
  it('fetches a token after a 401 and reuses it without another challenge', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', anonymousPull: true });
    seed(registry);
    const repo = clientFor(registry).repository('org/x');
    await repo.resolve('v1');
    expect(registry.tokenRequests).toEqual([
      { scopes: ['repository:org/x:pull'], service: 'registry.test', user: undefined },
    ]);
    expect(registryRequests(registry)).toHaveLength(2); // 401, then with the token
    await repo.resolve('v1');
    expect(registry.tokenRequests).toHaveLength(1);
    expect(registryRequests(registry)).toHaveLength(3);
    expect(registryRequests(registry)[2]?.headers.authorization).toMatch(/^Bearer tok-/);
  });

  it('merges concurrent token fetches into one request', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', anonymousPull: true });
    seed(registry);
    const repo = clientFor(registry).repository('org/x');
    const results = await Promise.all(Array.from({ length: 8 }, () => repo.resolve('v1')));
    expect(new Set(results.map((d) => d.digest)).size).toBe(1);
    expect(registry.tokenRequests).toHaveLength(1);
  });

  it('treats "push,pull" and "pull,push" as one cached scope', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', users: { alice: 'pw' } });
    const client = clientFor(registry, { username: 'alice', password: 'pw' });
    const post = () => ({ method: 'POST' as const, url: `${registry.origin}/v2/org/x/blobs/uploads/` });
    const first = await client.request(post(), ['repository:org/x:push,pull']);
    expect(first.status).toBe(202);
    expect(registry.tokenRequests).toHaveLength(1);
    expect(registry.tokenRequests[0]?.user).toBe('alice');
    const second = await client.request(post(), ['repository:org/x:pull,push']);
    expect(second.status).toBe(202);
    expect(registry.tokenRequests).toHaveLength(1);
    // The second request carried the cached token straight away: no second 401.
    expect(registryRequests(registry)).toHaveLength(3);
    expect(client.auth.cached(registry.host, ['repository:org/x:pull,push'])).toMatch(/^Bearer /);
  });

  it('asks for a separate token for another repository', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', anonymousPull: true });
    seed(registry, 'org/a');
    seed(registry, 'org/b');
    const client = clientFor(registry);
    await client.repository('org/a').resolve('v1');
    await client.repository('org/b').resolve('v1');
    expect(registry.tokenRequests.map((t) => t.scopes)).toEqual([
      ['repository:org/a:pull'],
      ['repository:org/b:pull'],
    ]);
  });

  it('says `wtools login HOST` when credentials are needed and none are stored', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', users: { alice: 'pw' } });
    seed(registry);
    const err = await expectCode(clientFor(registry).repository('org/x').resolve('v1'), 'UNAUTHORIZED');
    expect(err.message).toContain('requires credentials');
    expect(err.message).toContain('`wtools login registry.test`');
    expect(err.details).toEqual({ registry: 'registry.test' });
  });

  it('says the stored credentials were refused when the token server refuses them', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', users: { alice: 'pw' } });
    seed(registry);
    const err = await expectCode(
      clientFor(registry, { username: 'alice', password: 'wrong' }).repository('org/x').resolve('v1'),
      'UNAUTHORIZED',
    );
    expect(err.message).toContain('refused the stored credentials');
    expect(err.message).toContain('`wtools login registry.test` again');
    expect(err.message).not.toContain('requires credentials');
  });

  it('refuses to send credentials to a token realm over plain HTTP on another host', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', realm: 'http://auth.test/token', users: { alice: 'pw' } });
    seed(registry);
    const err = await expectCode(
      clientFor(registry, { username: 'alice', password: 'pw' }).repository('org/x').resolve('v1'),
      'INSECURE_REGISTRY',
    );
    expect(err.message).toContain('http://auth.test');
    expect(registry.tokenRequests).toHaveLength(0);
    expect(registry.matching({ origin: 'http://auth.test' })).toHaveLength(0);
  });

  it('allows a plain HTTP token realm on a loopback host', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', realm: 'http://127.0.0.1:9999/token', users: { alice: 'pw' } });
    const manifest = seed(registry);
    const found = await clientFor(registry, { username: 'alice', password: 'pw' })
      .repository('org/x')
      .resolve('v1');
    expect(found.digest).toBe(manifest.digest);
    expect(registry.tokenRequests).toHaveLength(1);
  });

  it('reports a Bearer challenge without a realm', async () => {
    const registry = fakeRegistry();
    registry.failNext({ path: '/v2/' }, 401, { headers: { 'www-authenticate': 'Bearer service="x"' } });
    await expectCode(clientFor(registry).ping(), 'REGISTRY_ERROR');
  });

  it('drops cached tokens when the credential is replaced', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', users: { alice: 'pw', bob: 'pw2' } });
    seed(registry);
    const client = clientFor(registry, { username: 'alice', password: 'pw' });
    await client.repository('org/x').resolve('v1');
    client.auth.useCredential(registry.host, { username: 'bob', password: 'pw2' });
    expect(client.auth.cached(registry.host, ['repository:org/x:pull'])).toBeUndefined();
    await client.repository('org/x').resolve('v1');
    expect(registry.tokenRequests.map((t) => t.user)).toEqual(['alice', 'bob']);
  });
});

describe('Basic auth', () => {
  it('answers a Basic challenge with the stored credentials and then sends them up front', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'basic', users: { alice: 'pw' } });
    seed(registry);
    const repo = clientFor(registry, { username: 'alice', password: 'pw' }).repository('org/x');
    await repo.resolve('v1');
    await repo.resolve('v1');
    const requests = registryRequests(registry);
    expect(requests).toHaveLength(3);
    expect(requests[0]?.headers.authorization).toBeUndefined();
    const expected = `Basic ${Buffer.from('alice:pw').toString('base64')}`;
    expect(requests[1]?.headers.authorization).toBe(expected);
    expect(requests[2]?.headers.authorization).toBe(expected);
    expect(registry.tokenRequests).toHaveLength(0);
  });

  it('without credentials: UNAUTHORIZED naming `wtools login HOST`', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'basic', users: { alice: 'pw' } });
    const err = await expectCode(clientFor(registry).ping(), 'UNAUTHORIZED');
    expect(err.message).toContain('requires credentials; run `wtools login registry.test`');
    expect(registry.requests).toHaveLength(1);
  });

  it('with wrong credentials: UNAUTHORIZED saying they were refused', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'basic', users: { alice: 'pw' } });
    const err = await expectCode(
      clientFor(registry, { username: 'alice', password: 'nope' }).ping(),
      'UNAUTHORIZED',
    );
    expect(err.message).toContain('refused the stored credentials');
    expect(registry.requests).toHaveLength(2);
  });
});

describe('credential lookups', () => {
  it('does not remember a failed lookup: the next request asks again and succeeds', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'basic', users: { alice: 'pw' } });
    const manifest = seed(registry);
    let calls = 0;
    const client = clientFor(registry, undefined, {
      credentials: {
        get: async () => {
          calls += 1;
          if (calls === 1) throw new Error('credential helper timed out');
          return { username: 'alice', password: 'pw' };
        },
      },
    });
    const repo = client.repository('org/x');
    await expect(repo.resolve('v1')).rejects.toThrow('credential helper timed out');
    expect(calls).toBe(1);
    expect((await repo.resolve('v1')).digest).toBe(manifest.digest);
    expect(calls).toBe(2);
    const requests = registryRequests(registry);
    expect(requests.at(-1)?.headers.authorization).toBe(
      `Basic ${Buffer.from('alice:pw').toString('base64')}`,
    );
  });

  it('remembers a successful lookup', async () => {
    const registry = fakeRegistry();
    registry.requireAuth({ scheme: 'bearer', users: { alice: 'pw' } });
    seed(registry, 'org/a');
    seed(registry, 'org/b');
    let calls = 0;
    const client = clientFor(registry, undefined, {
      credentials: {
        get: async () => {
          calls += 1;
          return { username: 'alice', password: 'pw' };
        },
      },
    });
    await client.repository('org/a').resolve('v1');
    await client.repository('org/b').resolve('v1');
    expect(registry.tokenRequests.map((t) => t.user)).toEqual(['alice', 'alice']);
    expect(calls).toBe(1);
  });
});
