/**
 * `serveHttp` on 127.0.0.1 at a free port, driven by the SDK's StreamableHTTPClientTransport and by
 * raw node:http requests (which can send any Host and Origin).
 */
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { serveHttp } from '../../lib/mcp/index.js';
import type { HttpOptions, HttpServerHandle } from '../../lib/mcp/index.js';
import { FakeProvider } from '../harness/mcp-fake-provider.js';
import { expectCode } from '../harness/unit.js';

const INFO = { name: 'wtools-http-test', version: '0.0.0' };

async function start(
  options: Partial<HttpOptions> = {},
  provider = new FakeProvider(),
): Promise<HttpServerHandle & { provider: FakeProvider; port: number }> {
  const handle = await serveHttp(provider, INFO, { host: '127.0.0.1', port: 0, ...options });
  onTestFinished(() => handle.close());
  return { ...handle, provider, port: Number(new URL(handle.url).port) };
}

async function connect(url: string, token: string | null, headers: Record<string, string> = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { ...(token !== null && { Authorization: `Bearer ${token}` }), ...headers } },
  });
  const client = new Client({ name: 'http-test', version: '0.0.0' });
  const errors: Error[] = [];
  client.onerror = (err) => errors.push(err);
  await client.connect(transport);
  onTestFinished(() => client.close());
  return { client, transport, errors };
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});

/** One request with exactly these headers (node:http lets us set Host). */
function raw(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/mcp',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          Connection: 'close',
          ...options.headers,
        },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(
      options.body ?? (options.method === undefined || options.method === 'POST' ? INITIALIZE : undefined),
    );
  });
}

/** What keeps this process alive, by kind (sockets, servers, timers). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'TCPServerWrap' || kind === 'Timeout') {
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
  }
  return counts;
}

describe('serveHttp', () => {
  it('serves the SDK Streamable HTTP client that sends the token', async () => {
    const server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/mcp`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    const { client, transport } = await connect(server.url, server.token);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'slow', 'chatty', 'fail']);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'over http' } });
    expect(result.structuredContent).toEqual({ text: 'over http', length: 9 });
    expect(server.provider.calls[0]?.sessionId).toBe(transport.sessionId);

    const progress: number[] = [];
    await client.callTool({ name: 'chatty', arguments: { steps: 2 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(progress).toEqual([1, 2]);
  });

  it('delivers cancellation to the provider and keeps serving the session', async () => {
    const server = await start();
    const { client } = await connect(server.url, server.token);
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: controller.signal });
    await server.provider.slowStarted.promise;
    controller.abort('stop');
    await expect(call).rejects.toThrow(/stop/);
    expect(await server.provider.slowCancelled.promise).toBe('stop');
    expect(
      (await client.callTool({ name: 'echo', arguments: { text: 'still here' } })).structuredContent,
    ).toEqual({ text: 'still here', length: 10 });
  });

  it('sends tools/list_changed to every connected session', async () => {
    const server = await start();
    const a = await connect(server.url, server.token);
    const b = await connect(server.url, server.token);
    let changesA = 0;
    let changesB = 0;
    a.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changesA++);
    b.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changesB++);
    // The notification travels on the client's GET stream: wait until both sessions listen.
    await expect.poll(() => server.provider.listenerCount).toBe(2);
    await a.client.listTools();
    await b.client.listTools();
    // Give the GET streams time to open (the SDK opens them after initialization, without a signal).
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.provider.addTool('late');
    await expect.poll(() => [changesA, changesB]).toEqual([1, 1]);
    expect((await b.client.listTools()).tools.map((t) => t.name)).toContain('late');
  });

  it('answers 401 with WWW-Authenticate without the token or with a wrong one', async () => {
    const server = await start();
    const none = await raw(server.port, { headers: { Host: `127.0.0.1:${server.port}` } });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="wtools"');
    const wrong = await raw(server.port, { headers: { Authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="wtools", error="invalid_token"');
    const basic = await raw(server.port, { headers: { Authorization: `Basic ${server.token}` } });
    expect(basic.status).toBe(401);

    await expect(connect(server.url, null)).rejects.toThrow();
    await expect(connect(server.url, 'x'.repeat(43))).rejects.toThrow();
    expect(server.provider.calls).toEqual([]);
  });

  it('answers 403 to a foreign Host header before checking the token', async () => {
    const server = await start();
    for (const host of [
      `evil.example:${server.port}`,
      `127.0.0.1:${server.port + 1}`,
      '127.0.0.1',
      'localhost',
    ]) {
      const res = await raw(server.port, {
        headers: { Host: host, Authorization: `Bearer ${server.token}` },
      });
      expect(res.status, host).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: { message: expect.stringContaining('Host') } });
    }
    const noAuth = await raw(server.port, { headers: { Host: `rebound.example:${server.port}` } });
    expect(noAuth.status).toBe(403);
    for (const host of [`localhost:${server.port}`, `[::1]:${server.port}`, `LOCALHOST:${server.port}`]) {
      const res = await raw(server.port, {
        headers: { Host: host, Authorization: `Bearer ${server.token}` },
      });
      expect(res.status, host).toBe(200);
    }
  });

  it('answers 403 to a foreign Origin and accepts local and allowed ones', async () => {
    const server = await start({ allowedOrigins: ['https://app.example'] });
    const auth = { Authorization: `Bearer ${server.token}` };
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1.evil.example', 'file://']) {
      const res = await raw(server.port, { headers: { ...auth, Origin: origin } });
      expect(res.status, origin).toBe(403);
    }
    expect((await raw(server.port, { headers: { Origin: 'http://evil.example' } })).status).toBe(403);

    for (const origin of [
      'http://localhost:5173',
      'https://127.0.0.1',
      'http://[::1]:8080',
      'https://app.example',
    ]) {
      const res = await raw(server.port, { headers: { ...auth, Origin: origin } });
      expect(res.status, origin).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
    }
    // A browser preflight carries no credentials.
    const preflight = await raw(server.port, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('Mcp-Session-Id');
  });

  it('serves only /mcp and answers unknown sessions with 404', async () => {
    const server = await start();
    const auth = { Authorization: `Bearer ${server.token}` };
    expect((await raw(server.port, { path: '/', headers: auth })).status).toBe(404);
    expect((await raw(server.port, { path: '/mcp/x', headers: auth })).status).toBe(404);
    const unknown = await raw(server.port, {
      headers: { ...auth, 'Mcp-Session-Id': 'no-such-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);
    // Not an initialize request and no session: no session is made.
    const stray = await raw(server.port, {
      headers: auth,
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(stray.status).toBe(400);
    expect((await raw(server.port, { method: 'GET', headers: auth })).status).toBe(400);
  });

  it('works without auth when token is null', async () => {
    const server = await start({ token: null });
    expect(server.token).toBeNull();
    const { client } = await connect(server.url, null);
    expect((await client.listTools()).tools).toHaveLength(4);
  });

  it('uses a given token', async () => {
    const server = await start({ token: 'my-fixed-token' });
    expect(server.token).toBe('my-fixed-token');
    const { client } = await connect(server.url, 'my-fixed-token');
    expect((await client.listTools()).tools).toHaveLength(4);
  });

  it('serves two independent clients in stateless mode, a server per request', async () => {
    const server = await start({ stateless: true });
    const a = await connect(server.url, server.token);
    const b = await connect(server.url, server.token);
    expect(a.transport.sessionId).toBeUndefined();
    expect(a.client.getServerCapabilities()?.tools).toEqual({ listChanged: false });
    const [ra, rb] = await Promise.all([
      a.client.callTool({ name: 'echo', arguments: { text: 'one' } }),
      b.client.callTool({ name: 'echo', arguments: { text: 'two' } }),
    ]);
    expect(ra.structuredContent).toEqual({ text: 'one', length: 3 });
    expect(rb.structuredContent).toEqual({ text: 'two', length: 3 });
    expect((await a.client.listTools()).tools).toHaveLength(4);
    expect(server.provider.calls.map((c) => c.sessionId)).toEqual([undefined, undefined]);
    expect(server.provider.listenerCount).toBe(0);
    // Two bare requests, no initialize: each stands alone.
    for (const id of [7, 8]) {
      const res = await raw(server.port, {
        headers: { Authorization: `Bearer ${server.token}` },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'echo', arguments: { text: `r${id}` } },
        }),
      });
      expect(res.status).toBe(200);
      expect(res.body).toContain(`"text":"r${id}"`);
    }
    const get = await raw(server.port, {
      method: 'GET',
      headers: { Authorization: `Bearer ${server.token}` },
    });
    expect(get.status).toBe(405);
  });

  it('expires an idle session: closes it and calls provider.endSession', async () => {
    const server = await start({ idleTimeoutMs: 300 });
    const { client, transport } = await connect(server.url, server.token);
    const sessionId = transport.sessionId!;
    await client.listTools();
    expect(await server.provider.sessionEnded.promise).toBe(sessionId);
    expect(server.provider.endedSessions).toEqual([sessionId]);
    expect(server.provider.listenerCount).toBe(0);
    const after = await raw(server.port, {
      headers: { Authorization: `Bearer ${server.token}`, 'Mcp-Session-Id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(after.status).toBe(404);
  });

  it('keeps a session with a call in flight, however long it takes', async () => {
    const server = await start({ idleTimeoutMs: 100 });
    const { client } = await connect(server.url, server.token);
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: controller.signal });
    await server.provider.slowStarted.promise;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.provider.endedSessions).toEqual([]);
    controller.abort('done waiting');
    await expect(call).rejects.toThrow();
    await server.provider.sessionEnded.promise; // idle after the call
  });

  it('ends a session on DELETE', async () => {
    const server = await start();
    const { transport } = await connect(server.url, server.token);
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    expect(await server.provider.sessionEnded.promise).toBe(sessionId);
  });

  it('close() ends the sessions, stops listening and leaves no open handles', async () => {
    // Earlier tests' sockets close in the background: start from a quiet baseline.
    await expect.poll(() => handles().TCPSocketWrap ?? 0, { timeout: 5_000 }).toBe(0);
    const before = handles();
    const provider = new FakeProvider();
    const handle = await serveHttp(provider, INFO, { port: 0 });
    const a = await connect(handle.url, handle.token);
    const b = await connect(handle.url, handle.token);
    await a.client.listTools();
    const inFlight = b.client.callTool({ name: 'slow', arguments: {} }).catch((e: unknown) => e);
    await provider.slowStarted.promise;

    await handle.close();
    expect(provider.endedSessions.sort()).toEqual([a.transport.sessionId, b.transport.sessionId].sort());
    expect(await provider.slowCancelled.promise).toBeDefined();
    await handle.close(); // idempotent
    await a.client.close();
    await b.client.close();
    await inFlight;
    await expect(raw(Number(new URL(handle.url).port))).rejects.toThrow(/ECONNREFUSED/);
    await expect.poll(handles, { timeout: 5_000 }).toEqual(before);
  });

  it('closes when the signal aborts', async () => {
    const controller = new AbortController();
    const handle = await serveHttp(new FakeProvider(), INFO, { port: 0, signal: controller.signal });
    const port = Number(new URL(handle.url).port);
    expect((await raw(port, { headers: { Authorization: `Bearer ${handle.token}` } })).status).toBe(200);
    controller.abort();
    await handle.close();
    await expect(raw(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses a non-loopback host unless allowed, and no token on one', async () => {
    const provider = new FakeProvider();
    await expectCode(serveHttp(provider, INFO, { host: '0.0.0.0', port: 0 }), 'INVALID_ARGUMENT');
    await expectCode(serveHttp(provider, INFO, { host: '192.0.2.1', port: 0 }), 'INVALID_ARGUMENT');
    await expectCode(
      serveHttp(provider, INFO, { host: '0.0.0.0', port: 0, allowNonLoopback: true, token: null }),
      'INVALID_ARGUMENT',
    );
    await expectCode(serveHttp(provider, INFO, { port: 0, token: '' }), 'INVALID_ARGUMENT');
    await expectCode(serveHttp(provider, INFO, { port: 70000 }), 'INVALID_ARGUMENT');
  });

  it('reports a port in use as an IO error', async () => {
    const server = await start();
    await expectCode(serveHttp(new FakeProvider(), INFO, { port: server.port }), 'IO');
  });
});
