/**
 * Resource handles as MCP tools, from the built CLI with real SDK clients: a component exporting a
 * resource (the JS `resources` fixture) gets one instance per MCP session; constructors and
 * functions returning own<counter> give opaque handles kept in that session's table; methods,
 * static functions and borrow parameters take them; an own parameter uses one up; another session
 * cannot use them; and they end with the session.
 */
import { copyFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CLI_PATH, type Sandbox, sandbox } from '../harness/cli.js';
import { jsComponentPath } from '../harness/js-fixtures.js';
import { serveHttpCli } from '../harness/serve.js';

let fixture: string;

beforeAll(async () => {
  fixture = await jsComponentPath('resources');
}, 300_000);

/** A copy named counters.wasm, so the tools are `counters.counters.*`. */
async function countersComponent(sb: Sandbox): Promise<string> {
  const file = sb.path('counters.wasm');
  await copyFile(fixture, file);
  return file;
}

type Call = (
  tool: string,
  args?: Record<string, unknown>,
) => Promise<{ isError: boolean; result: unknown; text: string }>;

function caller(client: Client): Call {
  return async (tool, args = {}) => {
    const reply = await client.callTool({ name: `counters.counters.${tool}`, arguments: args });
    const text = (reply.content as { text?: string }[])[0]?.text ?? '';
    const structured = reply.structuredContent as { result?: unknown } | undefined;
    return { isError: reply.isError === true, result: structured?.result, text };
  };
}

async function httpClient(server: { url: string; token: string }): Promise<Client> {
  const client = new Client({ name: 'wtools-e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { authorization: `Bearer ${server.token}` } },
    }),
  );
  onTestFinished(() => client.close());
  return client;
}

describe('resource handles as tools', () => {
  it('over stdio: constructor, methods, static and plain functions, borrow and own', async () => {
    const sb = await sandbox();
    const client = new Client({ name: 'wtools-e2e', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI_PATH, 'serve', await countersComponent(sb), '--quiet'],
        env: { PATH: process.env.PATH ?? '', ...sb.env },
        stderr: 'pipe',
      }),
    );
    onTestFinished(() => client.close());
    const { tools } = await client.listTools();
    const newTool = tools.find((t) => t.name === 'counters.counters.counter.new')!;
    expect(newTool.inputSchema.properties).toEqual({ start: expect.objectContaining({ type: 'integer' }) });
    expect(newTool.outputSchema?.properties?.result).toMatchObject({ type: 'string' });
    expect(newTool.description).toContain('valid in this MCP session only');
    expect(tools.find((t) => t.name === 'counters.counters.counter.add')!.inputSchema.required).toEqual([
      'self',
      'by',
    ]);

    const call = caller(client);
    const a = await call('counter.new', { start: 5 });
    expect(a).toMatchObject({ isError: false, result: 'counter-1' });
    expect(await call('counter.add', { self: 'counter-1', by: 3 })).toMatchObject({ isError: false });
    expect((await call('counter.get', { self: 'counter-1' })).result).toBe(8);
    const b = await call('make', { start: 2 });
    expect(b.result).toBe('counter-2');
    const merged = await call('counter.merge', { a: 'counter-1', b: 'counter-2' });
    expect(merged.result).toBe('counter-3');
    expect((await call('peek', { c: 'counter-3' })).result).toBe(10);
    expect((await call('live')).result).toBe(3);

    // An own parameter gives the counter to the guest: the handle is used up.
    expect((await call('consume', { c: 'counter-2' })).result).toBe(2);
    const gone = await call('peek', { c: 'counter-2' });
    expect(gone.isError).toBe(true);
    expect(gone.text).toContain(
      'no counter handle "counter-2" in this session; it holds counter-1, counter-3',
    );

    // Made-up and mistyped handles are argument errors, and the instance keeps its counters.
    expect((await call('counter.get', { self: 'counter-99' })).isError).toBe(true);
    expect((await call('counter.get', { self: 42 })).isError).toBe(true);
    expect((await call('counter.get', { self: 'counter-1' })).result).toBe(8);
  }, 120_000);

  it('over HTTP: each session has its own counters and handles; ending a session ends them', async () => {
    const sb = await sandbox();
    const server = await serveHttpCli(sb, [await countersComponent(sb)]);
    const first = await httpClient(server);
    const second = await httpClient(server);
    const one = caller(first);
    const two = caller(second);

    expect((await one('counter.new', { start: 1 })).result).toBe('counter-1');
    expect((await one('counter.new', { start: 2 })).result).toBe('counter-2');
    expect((await two('counter.new', { start: 100 })).result).toBe('counter-1');
    // The same handle text names a different counter in each session.
    expect((await one('counter.get', { self: 'counter-1' })).result).toBe(1);
    expect((await two('counter.get', { self: 'counter-1' })).result).toBe(100);
    const foreign = await two('counter.get', { self: 'counter-2' });
    expect(foreign.isError).toBe(true);
    expect(foreign.text).toContain('no counter handle "counter-2" in this session');
    expect((await one('live')).result).toBe(2);
    expect((await two('live')).result).toBe(1);

    // A session that ends takes its instance and its handles with it; a new one starts empty.
    await (first.transport as StreamableHTTPClientTransport).terminateSession();
    await first.close();
    const third = caller(await httpClient(server));
    expect((await third('live')).result).toBe(0);
    expect((await third('counter.get', { self: 'counter-1' })).isError).toBe(true);
  }, 120_000);
});
