/**
 * The starter components as a user meets them: `wtools serve --demo` (the built CLI) loads the
 * signed set from dist/starter, trusting exactly its build key, and real SDK clients call every
 * tool over Streamable HTTP. Tools that reach outside their memory are denied the right way without
 * grants, and work with them; the HTTP one talks to a test server on 127.0.0.1.
 */
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { STARTER_COMPONENTS, STARTER_VERSION } from '../../lib/app/starter.js';
import { buildStarter } from '../../scripts/build-starter.js';
import { REPO_ROOT } from '../harness/fixtures.js';
import { type Sandbox, describeRun, jsonOf, sandbox, uniqueRepo } from '../harness/cli.js';
import { type ServedHttp, serveHttpCli } from '../harness/serve.js';

let web: Server;
let webPort: number;

beforeAll(async () => {
  // `make test` builds it first (make components); a lone vitest run builds or finds it here.
  await buildStarter(path.join(REPO_ROOT, 'dist', 'starter'));
  web = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      res.setHeader('x-seen-method', req.method ?? '');
      res.end(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''} ${body}`.trim());
    });
  });
  web.listen(0, '127.0.0.1');
  await once(web, 'listening');
  webPort = (web.address() as AddressInfo).port;
}, 600_000);

afterAll(async () => {
  await new Promise<void>((resolve) => web.close(() => resolve()));
});

async function connect(server: ServedHttp) {
  const client = new Client({ name: 'wtools-e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { authorization: `Bearer ${server.token}` } },
    }),
  );
  onTestFinished(() => client.close());
  return async (tool: string, args: Record<string, unknown> = {}) => {
    const reply = await client.callTool({ name: tool, arguments: args });
    const text = (reply.content as { text?: string }[])[0]?.text ?? '';
    const structured = reply.structuredContent as { result?: unknown; error?: unknown } | undefined;
    return {
      isError: reply.isError === true,
      result: structured?.result,
      error: structured?.error,
      text,
      structured,
      content: reply.content as { type: string; text?: string; data?: string; mimeType?: string }[],
    };
  };
}

async function demo(sb: Sandbox, grants: string[] = []): Promise<ServedHttp> {
  return serveHttpCli(sb, ['--demo', '--no-prompt', ...grants.flatMap((g) => ['--grant', g])]);
}

describe('wtools serve --demo', () => {
  it('serves the signed starter set; pure tools work without any grant', async () => {
    const sb = await sandbox({ trustPolicy: false }); // deny by default: only the build key is trusted
    const server = await demo(sb);
    await expect.poll(() => server.stderr(), { timeout: 10_000 }).toContain('Ctrl-C stops the server');
    expect(server.stderr()).toMatch(
      /claude mcp add --transport http wtools http:\/\/127\.0\.0\.1:\d+\/mcp --header/,
    );
    const call = await connect(server);

    expect((await call('encode.sha256', { text: 'abc' })).result).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect((await call('encode.base64-encode', { text: 'héllo' })).result).toBe('aMOpbGxv');
    expect((await call('encode.base64-decode', { data: 'aMOpbGxv' })).result).toBe('héllo');
    expect((await call('encode.hex-decode', { hex: 'zz' })).error).toMatch(
      /expected an even number of hex digits/,
    );
    expect((await call('encode.json-pretty', { json: '{"a":[1]}', indent: 1 })).result).toBe(
      '{\n "a": [\n  1\n ]\n}',
    );
    expect((await call('encode.json-minify', { json: '{ "a" : 1 }' })).result).toBe('{"a":1}');

    expect(
      (await call('time.convert', { time: '2026-07-01T12:00:00Z', 'to-zone': 'America/New_York' })).result,
    ).toBe('2026-07-01T08:00:00-04:00');
    expect(
      (await call('time.convert', { time: '2026-01-15T00:00:00Z', 'to-zone': 'Australia/Sydney' })).result,
    ).toBe('2026-01-15T11:00:00+11:00');
    expect((await call('time.now', { zone: 'Mars/Base' })).error).toMatch(/unknown time zone "Mars\/Base"/);
    const now = (await call('time.epoch-ms')).result as number;
    expect(Math.abs(now - Date.now())).toBeLessThan(60_000);
    expect((await call('time.zones')).result).toContain('Europe/Paris');

    // Charts come back as PNG image content (wtools:mcp/content), a summary and structured numbers.
    const chart = await call('chart.bar-chart', {
      values: [1, -2, 3],
      options: { width: 64, height: 32, color: '#00aa00' },
    });
    expect(chart.isError).toBe(false);
    expect(chart.content.map((c) => [c.type, c.mimeType])).toEqual([
      ['image', 'image/png'],
      ['text', undefined],
    ]);
    const png = Buffer.from(chart.content[0]!.data!, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([64, 32]);
    expect(chart.structured).toEqual({ width: 64, height: 32, values: 3, min: -2, max: 3 });
    expect((await call('chart.line-chart', { values: [1], options: null })).error).toMatch(
      /expected 2 to 4096 numbers, got 1/,
    );
    expect((await call('chart.bar-chart', { values: [1], options: { color: 'red' } })).error).toMatch(
      /color: expected #rrggbb/,
    );

    // The notebook is per session: its artifact asks for an instance per MCP session.
    expect((await call('memory.set', { key: 'plan', value: 'ship it' })).isError).toBe(false);
    expect((await call('memory.get', { key: 'plan' })).result).toBe('ship it');
    expect((await call('memory.keys')).result).toEqual(['plan']);
    const other = await connect(server);
    expect((await other('memory.get', { key: 'plan' })).result).toBeNull();
    expect((await call('memory.delete', { key: 'plan' })).result).toBe(true);
    expect((await call('memory.keys')).result).toEqual([]);
  }, 180_000);

  it('denies files and the network without grants, and says how to grant', async () => {
    const sb = await sandbox({ trustPolicy: false });
    const dir = sb.path('notes');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'hello');
    const server = await demo(sb);
    const call = await connect(server);
    const read = await call('filesystem.read', { path: path.join(dir, 'a.txt') });
    expect(read.isError).toBe(true);
    expect(read.error).toContain('is outside the granted directories (none are granted)');
    expect((await call('filesystem.roots')).result).toEqual([]);

    const url = `http://127.0.0.1:${webPort}/nope`;
    const fetched = await call('fetch.get', { url, headers: [] });
    expect(fetched.isError).toBe(true);
    expect(server.stderr()).toContain(`http:http://127.0.0.1:${webPort}`);
    expect(server.stderr()).toMatch(/wtools grant \S+fetch http:http:\/\/127\.0\.0\.1:\d+/);
  }, 180_000);

  it('with grants: reads, lists, searches and stats granted files, and fetches the granted origin', async () => {
    const sb = await sandbox({ trustPolicy: false });
    const dir = sb.path('notes');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'a.txt'), 'hello');
    await writeFile(path.join(dir, 'sub', 'b.md'), '# b');
    const server = await demo(sb, [`filesystem=fs:${dir}:rw`, `fetch=http:http://127.0.0.1:${webPort}`]);
    const call = await connect(server);
    expect((await call('filesystem.roots')).result).toEqual([dir]);
    expect((await call('filesystem.read', { path: path.join(dir, 'a.txt') })).result).toBe('hello');
    expect((await call('filesystem.list', { path: dir })).result).toEqual([
      { name: 'a.txt', kind: 'file', size: 5 },
      { name: 'sub', kind: 'directory', size: expect.any(Number) },
    ]);
    expect((await call('filesystem.search', { dir, pattern: '**/*.md' })).result).toEqual([
      path.join(dir, 'sub', 'b.md'),
    ]);
    expect((await call('filesystem.stat', { path: path.join(dir, 'a.txt') })).result).toMatchObject({
      kind: 'file',
      size: 5,
      modified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(
      (await call('filesystem.write', { path: path.join(dir, 'new.txt'), contents: 'made' })).isError,
    ).toBe(false);
    expect(await readFile(path.join(dir, 'new.txt'), 'utf8')).toBe('made');
    // Still nothing outside the grant.
    expect((await call('filesystem.read', { path: '/etc/hostname' })).error).toContain(
      'outside the granted directories',
    );

    const got = await call('fetch.get', {
      url: `http://127.0.0.1:${webPort}/hello`,
      headers: [['x-a', '1']],
    });
    expect(got.isError, got.text).toBe(false);
    expect(got.result).toMatchObject({ status: 200, body: 'GET /hello', truncated: false });
    expect((got.result as { headers: [string, string][] }).headers).toContainEqual(['x-seen-method', 'GET']);
    const posted = await call('fetch.post', {
      url: `http://127.0.0.1:${webPort}/submit`,
      body: 'data',
      'content-type': 'text/csv',
      headers: [],
    });
    expect(posted.result).toMatchObject({ status: 200, body: 'POST /submit text/csv data' });
  }, 180_000);

  it('make publish copies the signed set to a registry; what arrives verifies against the build key', async () => {
    const sb = await sandbox({ trustPolicy: false });
    const namespace = `${inject('registryHost')}/${uniqueRepo('starter')}`;
    await promisify(execFile)('bash', [path.join(REPO_ROOT, 'scripts', 'publish-starter.sh'), namespace], {
      env: { ...process.env, ...sb.env },
    });
    const key = path.join(REPO_ROOT, 'dist', 'starter', 'starter.pub');
    const refs = STARTER_COMPONENTS.map((n) => `${namespace}/${n}:${STARTER_VERSION}`);
    const verified = await sb.run(['verify', ...refs, '--key', key, '--json']);
    expect(verified.code, describeRun(verified)).toBe(0);
    // Signed by exactly that key: another key refuses them.
    await sb.run(['keygen', '--output-prefix', sb.path('other'), '--quiet']);
    const other = await sb.run(['verify', refs[0]!, '--key', sb.path('other.pub')]);
    expect(other.code).toBe(1);
    const pulled = jsonOf<{ annotations: Record<string, string> }>(
      await sb.run(['pull', `${namespace}/memory:${STARTER_VERSION}`, '--key', key, '--json', '--no-prompt']),
    );
    expect(pulled.annotations['dev.wtools.instance']).toBe('per-session');
  }, 180_000);
});
