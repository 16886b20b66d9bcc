/**
 * HTTP from a guest (the StarlingMonkey fixture's fetch) against grants: only the granted scheme,
 * host and port get through; a host name's IP, another port, an ungranted host and a redirect the
 * guest follows to an ungranted host are all refused inside the guest, reported, and never reach
 * the network.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWtoolsError } from '../../lib/core/index.js';
import type { ComponentRuntime } from '../../lib/runtime/index.js';
import { jsComponentPath } from '../harness/js-fixtures.js';
import { grants, startComponent } from '../harness/runtime.js';

let server: Server;
let port: number;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    if (req.url === '/redirect-away') {
      res.writeHead(302, { location: `http://localhost:${port}/landed` }).end();
    } else if (req.url === '/redirect-home') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/landed` }).end();
    } else {
      res.end(`hello from ${req.url}`);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  await jsComponentPath('wasi');
}, 300_000);

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function fetchText(runtime: ComponentRuntime, url: string): Promise<{ ok: boolean; text: string }> {
  try {
    return { ok: true, text: (await runtime.call('fetch-text', [url])).value as string };
  } catch (err) {
    if (!isWtoolsError(err, 'GUEST_ERROR')) throw err;
    return { ok: false, text: String(err.details?.value) };
  }
}

describe('outgoing HTTP meets the grants', () => {
  it('reaches a granted origin', async () => {
    const { runtime } = await startComponent(await jsComponentPath('wasi'), {
      grants: grants(`http:http://127.0.0.1:${port}`),
    });
    expect(await fetchText(runtime, `http://127.0.0.1:${port}/ok`)).toEqual({
      ok: true,
      text: 'status 200: hello from /ok',
    });
  });

  it('refuses an ungranted host, another port, and the IP behind a granted name, before connecting', async () => {
    const { runtime, denied } = await startComponent(await jsComponentPath('wasi'), {
      grants: grants(`http:http://localhost:${port}`),
    });
    seen.length = 0;
    for (const url of [
      `http://127.0.0.1:${port}/ip-of-granted-name`,
      `http://localhost:${port + 1 === 65536 ? port - 1 : port + 1}/other-port`,
      `https://localhost:${port}/other-scheme`,
      `http://example.invalid/ungranted`,
    ]) {
      const result = await fetchText(runtime, url);
      expect(result.ok).toBe(false);
      expect(result.text).toMatch(/error occurred while using the host API|NetworkError/);
    }
    expect(seen).toEqual([]);
    expect(denied.map((d) => d.capability)).toEqual([
      { kind: 'http', scheme: 'http', host: '127.0.0.1', port },
      { kind: 'http', scheme: 'http', host: 'localhost', port: port + 1 === 65536 ? port - 1 : port + 1 },
      { kind: 'http', scheme: 'https', host: 'localhost', port },
      { kind: 'http', scheme: 'http', host: 'example.invalid', port: 80 },
    ]);
    expect(denied.every((d) => d.component && !Number.isNaN(Date.parse(d.time)))).toBe(true);
    // Still serving: a granted request right after.
    expect((await fetchText(runtime, `http://localhost:${port}/after`)).ok).toBe(true);
  });

  it('does not follow redirects for the guest: the hop to an ungranted host is a new, refused request', async () => {
    const { runtime, denied } = await startComponent(await jsComponentPath('wasi'), {
      grants: grants(`http:http://127.0.0.1:${port}`),
    });
    seen.length = 0;
    const away = await fetchText(runtime, `http://127.0.0.1:${port}/redirect-away`);
    expect(away.ok).toBe(false);
    expect(seen).toEqual([`127.0.0.1:${port} /redirect-away`]);
    expect(denied.at(-1)?.capability).toEqual({ kind: 'http', scheme: 'http', host: 'localhost', port });

    const home = await fetchText(runtime, `http://127.0.0.1:${port}/redirect-home`);
    expect(home).toEqual({ ok: true, text: 'status 200: hello from /landed' });
  });

  it('grants a wildcard subdomain but not the domain itself', async () => {
    const { runtime, denied } = await startComponent(await jsComponentPath('wasi'), {
      grants: grants('http:*.example.invalid'),
    });
    const result = await fetchText(runtime, 'https://example.invalid/');
    expect(result.ok).toBe(false);
    expect(denied.at(-1)?.capability).toEqual({
      kind: 'http',
      scheme: 'https',
      host: 'example.invalid',
      port: 443,
    });
  });
});
