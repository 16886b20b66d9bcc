import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpClient, type HttpClientOptions, retryAfterMs } from '../../../lib/oci/index.js';
import { FakeRegistry, fakeRegistry } from '../../harness/fake-registry.js';
import { expectCode } from '../../harness/unit.js';

function client(registry: FakeRegistry, options: HttpClientOptions = {}): HttpClient {
  return new HttpClient({
    fetch: registry.fetch,
    ...options,
    retry: { baseDelayMs: 1, ...options.retry },
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('HttpClient retries', () => {
  it('retries 503 twice and returns the 200', async () => {
    const registry = fakeRegistry();
    registry.failNext({ path: '/v2/' }, 503, { times: 2 });
    const response = await client(registry).send({ method: 'GET', url: `${registry.origin}/v2/` });
    expect(response.status).toBe(200);
    expect(registry.matching({ path: '/v2/' })).toHaveLength(3);
  });

  it('returns the last error status once the attempts are spent', async () => {
    const registry = fakeRegistry();
    registry.failNext({ path: '/v2/' }, 502, { times: 10 });
    const response = await client(registry, { retry: { attempts: 3 } }).send({
      method: 'GET',
      url: `${registry.origin}/v2/`,
    });
    expect(response.status).toBe(502);
    expect(registry.requests).toHaveLength(3);
  });

  it('does not retry statuses that will not change (404, 400)', async () => {
    const registry = fakeRegistry();
    registry.failNext({ path: '/v2/' }, 400);
    const response = await client(registry).send({ method: 'GET', url: `${registry.origin}/v2/` });
    expect(response.status).toBe(400);
    expect(registry.requests).toHaveLength(1);
  });

  it('waits for Retry-After (seconds) instead of its own backoff', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const registry = fakeRegistry();
    registry.failNext({ path: '/v2/' }, 503, { headers: { 'retry-after': '2' } });
    const http = client(registry, { retry: { baseDelayMs: 1 } });
    let done = false;
    const sending = http.send({ method: 'GET', url: `${registry.origin}/v2/` }).finally(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1_900);
    expect(registry.requests).toHaveLength(1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect((await sending).status).toBe(200);
    expect(registry.requests).toHaveLength(2);
  });

  it('returns the 503 at once when Retry-After is longer than maxDelayMs', async () => {
    const registry = fakeRegistry();
    registry.failNext({ path: '/v2/' }, 503, { headers: { 'retry-after': '3600' } });
    const started = Date.now();
    const response = await client(registry, { retry: { maxDelayMs: 5_000 } }).send({
      method: 'GET',
      url: `${registry.origin}/v2/`,
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('3600');
    expect(registry.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs('soon')).toBeUndefined();
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(retryAfterMs(inTenSeconds)).toBeGreaterThan(8_000);
    expect(retryAfterMs(new Date(0).toUTCString())).toBe(0);
  });
});

describe('HttpClient transport errors', () => {
  it('retries a reset connection', async () => {
    const registry = fakeRegistry();
    registry.failTransport({ path: '/v2/' }, 'ECONNRESET', 2);
    const response = await client(registry).send({ method: 'GET', url: `${registry.origin}/v2/` });
    expect(response.status).toBe(200);
    expect(registry.requests).toHaveLength(3);
  });

  it('gives up on resets after the attempts with REGISTRY_UNREACHABLE', async () => {
    const registry = fakeRegistry();
    registry.failTransport({ path: '/v2/' }, 'ECONNRESET', 10);
    const err = await expectCode(
      client(registry, { retry: { attempts: 2 } }).send({ method: 'GET', url: `${registry.origin}/v2/` }),
      'REGISTRY_UNREACHABLE',
    );
    expect(err.message).toContain('ECONNRESET');
    expect(registry.requests).toHaveLength(2);
  });

  it('does not retry a refused connection and names the host', async () => {
    const registry = fakeRegistry({ host: 'localhost:5999' });
    registry.failTransport({}, 'ECONNREFUSED');
    const err = await expectCode(
      client(registry).send({ method: 'GET', url: `${registry.origin}/v2/` }),
      'REGISTRY_UNREACHABLE',
    );
    expect(err.message).toContain('cannot reach registry localhost:5999');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.details).toEqual({ host: 'localhost:5999' });
    expect(registry.requests).toHaveLength(1);
  });

  it('times out when no response headers arrive', async () => {
    const registry = fakeRegistry();
    registry.hang({ path: '/v2/' });
    const err = await expectCode(
      client(registry, { timeoutMs: 20 }).send({ method: 'GET', url: `${registry.origin}/v2/` }),
      'TIMEOUT',
    );
    expect(err.message).toContain('no response within 20 ms');
  });
});

describe('HttpClient redirects', () => {
  it('drops Authorization when a redirect leaves the origin', async () => {
    const registry = fakeRegistry();
    const blob = registry.addBlob('org/x', 'blob content');
    registry.redirectBlobs('https://blobs.test');
    const response = await client(registry).send({
      method: 'GET',
      url: `${registry.origin}/v2/org/x/blobs/${blob.digest}`,
      headers: { authorization: 'Bearer secret' },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('blob content');
    expect(registry.redirectedAuthorization).toEqual([null]);
    expect(registry.requests[0]?.headers.authorization).toBe('Bearer secret');
    expect(registry.requests.map((r) => r.origin)).toEqual([registry.origin, 'https://blobs.test']);
  });

  it('keeps Authorization on a same-origin redirect', async () => {
    const registry = fakeRegistry();
    const blob = registry.addBlob('org/x', 'blob content');
    registry.redirectBlobs(registry.origin);
    const response = await client(registry).send({
      method: 'GET',
      url: `${registry.origin}/v2/org/x/blobs/${blob.digest}`,
      headers: { authorization: 'Bearer secret' },
    });
    expect(await response.text()).toBe('blob content');
    expect(registry.redirectedAuthorization).toEqual(['Bearer secret']);
  });

  it('stops after too many redirects', async () => {
    const registry = fakeRegistry();
    registry.failNext({ path: '/v2/' }, 302, { times: 10, headers: { location: '/v2/' } });
    const err = await expectCode(
      client(registry).send({ method: 'GET', url: `${registry.origin}/v2/` }),
      'REGISTRY_ERROR',
    );
    expect(err.message).toContain('more than 5 redirects');
    expect(registry.requests).toHaveLength(6);
  });

  it('does not follow a 201/202 Location (upload endpoints)', async () => {
    const registry = fakeRegistry();
    const response = await client(registry).send({
      method: 'POST',
      url: `${registry.origin}/v2/org/x/blobs/uploads/`,
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toMatch(/^\/v2\/org\/x\/blobs\/uploads\/u1/);
    expect(registry.requests).toHaveLength(1);
  });

  it('sends a user agent', async () => {
    const registry = fakeRegistry();
    await client(registry, { userAgent: 'wtools-test/1' }).send({
      method: 'GET',
      url: `${registry.origin}/v2/`,
    });
    expect(registry.requests[0]?.headers['user-agent']).toBe('wtools-test/1');
  });
});

describe('HttpClient plain HTTP', () => {
  it('refuses a plain HTTP URL on a host that is not loopback, before any request', async () => {
    const registry = fakeRegistry();
    const err = await expectCode(
      client(registry).send({ method: 'GET', url: 'http://example.invalid/v2/' }),
      'INSECURE_REGISTRY',
    );
    expect(err.message).toContain('http://example.invalid');
    expect(registry.requests).toHaveLength(0);
  });

  it('speaks plain HTTP to loopback hosts', async () => {
    const registry = fakeRegistry({ host: '127.0.0.1:5000' });
    const response = await client(registry).send({ method: 'GET', url: 'http://127.0.0.1:5000/v2/' });
    expect(response.status).toBe(200);
  });

  it('speaks plain HTTP to a host plainHttpAllowed admits, and to no other', async () => {
    const urls: string[] = [];
    const http = new HttpClient({
      fetch: (async (input: string | URL | Request) => {
        urls.push(String(input instanceof Request ? input.url : input));
        return new Response('{}', { status: 200 });
      }) as typeof globalThis.fetch,
      plainHttpAllowed: (url) => url.host === 'reg.lan:5000',
    });
    expect((await http.send({ method: 'GET', url: 'http://reg.lan:5000/v2/' })).status).toBe(200);
    await expectCode(http.send({ method: 'GET', url: 'http://reg.lan:5001/v2/' }), 'INSECURE_REGISTRY');
    // The option replaces the loopback default.
    await expectCode(http.send({ method: 'GET', url: 'http://localhost:5000/v2/' }), 'INSECURE_REGISTRY');
    expect(http.allowsUrl(new URL('https://anything.test/'))).toBe(true);
    expect(http.allowsUrl(new URL('ftp://reg.lan:5000/'))).toBe(false);
    expect(urls).toEqual(['http://reg.lan:5000/v2/']);
  });

  it('refuses a redirect from an https registry to plain HTTP on another host', async () => {
    const registry = fakeRegistry();
    const blob = registry.addBlob('org/x', 'blob content');
    registry.redirectBlobs('http://example.invalid');
    const err = await expectCode(
      client(registry).send({
        method: 'GET',
        url: `${registry.origin}/v2/org/x/blobs/${blob.digest}`,
        headers: { authorization: 'Bearer secret' },
      }),
      'INSECURE_REGISTRY',
    );
    expect(err.message).toContain('redirect from registry.test to http://example.invalid');
    expect(registry.requests.map((r) => r.origin)).toEqual([registry.origin]);
    expect(registry.redirectedAuthorization).toEqual([]);
  });

  it('follows a redirect to plain HTTP on a loopback host', async () => {
    const registry = fakeRegistry();
    const blob = registry.addBlob('org/x', 'blob content');
    registry.redirectBlobs('http://127.0.0.1:9');
    const response = await client(registry).send({
      method: 'GET',
      url: `${registry.origin}/v2/org/x/blobs/${blob.digest}`,
      headers: { authorization: 'Bearer secret' },
    });
    expect(await response.text()).toBe('blob content');
    expect(registry.requests.map((r) => r.origin)).toEqual([registry.origin, 'http://127.0.0.1:9']);
    expect(registry.redirectedAuthorization).toEqual([null]);
  });
});

describe('the fake registry', () => {
  it('refuses and records requests it does not expect', async () => {
    const registry = new FakeRegistry(); // not fakeRegistry(): this test wants the failures
    const http = client(registry, { retry: { attempts: 1 } });
    await expectCode(http.send({ method: 'GET', url: 'https://elsewhere.test/v2/' }), 'REGISTRY_UNREACHABLE');
    await expectCode(
      http.send({
        method: 'GET',
        url: `${registry.origin}/v2/org/x/manifests/v1`,
        headers: { accept: '*/*' },
      }),
      'REGISTRY_UNREACHABLE',
    );
    await expectCode(
      http.send({ method: 'GET', url: `${registry.origin}/v2/_catalog` }),
      'REGISTRY_UNREACHABLE',
    );
    expect(registry.unexpected).toHaveLength(3);
    expect(registry.unexpected[1]).toContain('Accept "*/*"');
    expect(() => registry.verify()).toThrow(/unexpected requests/);
  });
});
