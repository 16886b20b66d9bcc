import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type Transport, nodeTransport } from '../../../lib/oci/node-transport.js';
import { expectCode, readAll } from '../../harness/unit.js';

interface TestServer {
  origin: string;
  host: string;
  /** Connections the server accepted so far. */
  connections: () => number;
}

/** A node:http server on 127.0.0.1 answering with `handler`, closed when the test finishes. */
async function serve(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, connections: () => connections };
}

function get(transport: Transport, url: string, method = 'GET') {
  return transport(url, { method, headers: {}, signal: new AbortController().signal });
}

describe('nodeTransport bodies', () => {
  it('streams a whole body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '5' });
      res.end('hello');
    });
    const response = await get(nodeTransport(5_000), `${server.origin}/v2/`);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(Buffer.from(await readAll(response.body!)).toString()).toBe('hello');
  });

  it('reports a body cut off mid-way as REGISTRY_UNREACHABLE naming the host', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(100, 1), () => res.socket?.destroy());
    });
    const response = await get(nodeTransport(5_000), `${server.origin}/blob`);
    expect(response.status).toBe(200);
    const err = await expectCode(readAll(response.body!), 'REGISTRY_UNREACHABLE');
    expect(err.message).toContain(server.host);
    expect(err.message).toContain('closed the connection in the middle of a response');
  });

  it('reports a cut-off body read with text() the same way', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000', 'content-type': 'application/json' });
      res.write('{"tags":[', () => res.socket?.destroy());
    });
    const response = await get(nodeTransport(5_000), `${server.origin}/tags`);
    const err = await expectCode(response.text(), 'REGISTRY_UNREACHABLE');
    expect(err.message).toContain(server.host);
  });

  it('reports a stalled body as TIMEOUT after idleTimeoutMs', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10)); // and then nothing
    });
    const response = await get(nodeTransport(100), `${server.origin}/blob`);
    const started = Date.now();
    const err = await expectCode(readAll(response.body!), 'TIMEOUT');
    expect(err.message).toContain(server.host);
    expect(err.message).toContain('no data for 100 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a text() or json() body over 4 MiB as REGISTRY_ERROR', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(big);
    });
    const transport = nodeTransport(5_000);
    const textErr = await expectCode((await get(transport, `${server.origin}/a`)).text(), 'REGISTRY_ERROR');
    expect(textErr.message).toContain(server.host);
    expect(textErr.message).toContain(`over ${4 * 1024 * 1024} bytes`);
    await expectCode((await get(transport, `${server.origin}/b`)).json(), 'REGISTRY_ERROR');
  });

  it('reads a text() body of exactly 4 MiB', async () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.end(body);
    });
    const text = await (await get(nodeTransport(5_000), `${server.origin}/a`)).text();
    expect(text.length).toBe(body.byteLength);
  });

  it('gives a HEAD response no body and frees its socket for the next request', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1234', 'docker-content-digest': 'sha256:x' });
      res.end();
    });
    const transport = nodeTransport(5_000);
    const head = await get(transport, `${server.origin}/v2/x/manifests/v1`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(head.headers.get('content-length')).toBe('1234');
    // Nobody reads the HEAD response; the keep-alive socket goes back to the pool all the same.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await get(transport, `${server.origin}/v2/x/manifests/v1`, 'HEAD');
    expect(second.status).toBe(200);
    expect(server.connections()).toBe(1);
  });
});
