/**
 * `wtools serve` from the built CLI, driven by real MCP clients: the SDK client over stdio and over
 * Streamable HTTP, and @modelcontextprotocol/inspector-cli. Tools come from the WIT types of real
 * components (the 12 MB JS types fixture and the C fixture).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CLI_PATH, sandbox } from '../harness/cli.js';
import { cComponentPath } from '../harness/c-fixtures.js';
import { jsComponentPath } from '../harness/js-fixtures.js';
import { inspectorFor } from '../harness/inspector.js';
import { serveHttpCli } from '../harness/serve.js';

let types: string;
let basic: string;

beforeAll(async () => {
  types = await jsComponentPath('types');
  basic = await cComponentPath('c/basic');
}, 300_000);

async function stdioClient(args: string[], env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'wtools-e2e', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_PATH, 'serve', ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  await client.connect(transport);
  onTestFinished(() => client.close());
  return client;
}

describe('wtools serve', () => {
  it('offers every export of the types fixture with exact schemas, over stdio', async () => {
    const sb = await sandbox();
    const client = await stdioClient([types, '--quiet'], sb.env);
    const { tools } = await client.listTools();
    const componentTools = tools.filter((t) => t.name.includes('.'));
    const byName = new Map(componentTools.map((t) => [t.name.replace(/^[^.]+\./, ''), t]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining([
        'greet',
        'u64-echo',
        'reverse-bytes',
        'shapes.classify',
        'shapes.divide',
        'shapes.toggle',
        'shapes.nested',
      ]),
    );
    expect(byName.get('u64-echo')?.inputSchema.properties).toMatchObject({
      x: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
    });

    const prefix = componentTools[0]!.name.split('.')[0]!;
    const call = (name: string, args: Record<string, unknown>) =>
      client.callTool({ name: `${prefix}.${name}`, arguments: args });

    expect((await call('greet', { name: 'mcp' })).structuredContent).toEqual({ result: 'Hello, mcp!' });
    expect((await call('u64-echo', { x: '18446744073709551615' })).structuredContent).toEqual({
      result: '18446744073709551615',
    });
    expect((await call('reverse-bytes', { b: 'AQID' })).structuredContent).toEqual({ result: 'AwIB' });
    expect((await call('shapes.classify', { n: -3 })).structuredContent).toEqual({
      result: { tag: 'negative', val: 3 },
    });
    expect((await call('shapes.toggle', { f: ['read'] })).structuredContent).toEqual({
      result: ['write', 'execute'],
    });
    expect((await call('shapes.nested', { x: { some: null } })).structuredContent).toEqual({
      result: { some: null },
    });
    expect((await call('float-echo', { x: 'NaN' })).structuredContent).toEqual({ result: 'NaN' });

    const divided = await call('shapes.divide', { a: 1, b: 0 });
    expect(divided).toMatchObject({ isError: true, structuredContent: { error: 'division by zero' } });

    const invalid = await call('shapes.classify', { n: 'three' });
    expect(invalid.isError).toBe(true);
    expect(JSON.stringify(invalid.content)).toMatch(/\/n: must be integer/);
    // Still serving after refusals.
    expect((await call('negate', { b: true })).structuredContent).toEqual({ result: false });

    // Built-in tools: the model can look and ask, never grant.
    const listed = await client.callTool({ name: 'list-components', arguments: {} });
    expect(listed.structuredContent).toMatchObject({
      components: [{ name: prefix, tools: componentTools.length }],
    });
    const asked = await client.callTool({
      name: 'request-permission',
      arguments: { component: prefix, capability: 'fs:/etc:rw', reason: 'I want to' },
    });
    expect(asked.structuredContent).toMatchObject({ granted: false });
    const permissions = await client.callTool({ name: 'list-permissions', arguments: {} });
    expect(permissions.structuredContent).toEqual({ permissions: { [prefix]: [] } });
    const inspected = await client.callTool({ name: 'inspect-component', arguments: { name: prefix } });
    expect(JSON.stringify(inspected.structuredContent)).toContain('variant classification');
  });

  it('serves Streamable HTTP with a bearer token, and gives components their grants', async () => {
    const sb = await sandbox();
    const data = sb.path('data');
    await mkdir(data);
    await writeFile(`${data}/note.txt`, 'served');
    const ready = await serveHttpCli(sb, [basic, '--grant', `fs:${data}:ro`]);
    const unauthorised = await fetch(ready.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unauthorised.status).toBe(401);

    const client = new Client({ name: 'wtools-e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(ready.url), {
        requestInit: { headers: { authorization: `Bearer ${ready.token}` } },
      }),
    );
    onTestFinished(() => client.close());
    const { tools } = await client.listTools();
    const read = tools.find((t) => t.name.endsWith('.read-file'))!;
    const result = await client.callTool({ name: read.name, arguments: { path: `${data}/note.txt` } });
    expect(result.structuredContent).toEqual({ result: 'served' });
    const write = tools.find((t) => t.name.endsWith('.write-file'))!;
    const refused = await client.callTool({
      name: write.name,
      arguments: { path: `${data}/x`, contents: 'x' },
    });
    expect(refused).toMatchObject({ isError: true, structuredContent: { error: 'Read-only file system' } });

    // A third-party client over the same HTTP endpoint.
    const inspector = await inspectorFor([
      ready.url,
      '--transport',
      'http',
      '--header',
      `Authorization: Bearer ${ready.token}`,
    ]);
    const listed = await inspector('--method', 'tools/list');
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain(
      read.name,
    );
    const called = await inspector(
      '--method',
      'tools/call',
      '--tool-name',
      read.name,
      '--tool-arg',
      `path=${data}/note.txt`,
    );
    expect(called.code, called.stderr).toBe(0);
    expect(JSON.parse(called.stdout)).toMatchObject({ structuredContent: { result: 'served' } });

    expect(await ready.stop('SIGINT')).toBe(0);
  });

  it('is driven by @modelcontextprotocol/inspector-cli over stdio', async () => {
    const sb = await sandbox();
    const inspector = await inspectorFor([process.execPath, CLI_PATH, 'serve', basic, '--quiet'], {
      ...process.env,
      ...sb.env,
    });
    const list = await inspector('--method', 'tools/list');
    expect(list.code, list.stderr).toBe(0);
    const names = (JSON.parse(list.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
    const add = names.find((n) => n.endsWith('.add'))!;
    expect(add).toBeDefined();
    const call = await inspector(
      '--method',
      'tools/call',
      '--tool-name',
      add,
      '--tool-arg',
      'a=40',
      '--tool-arg',
      'b=2',
    );
    expect(call.code, call.stderr).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({ structuredContent: { result: 42 } });
  });
});

describe('wtools inspect and mcp-config', () => {
  it('prints the world, the asks and the tools with schemas as JSON', async () => {
    const sb = await sandbox();
    const result = await sb.run(['inspect', types, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as {
      wit: string;
      asks: unknown[];
      tools: { name: string; interface?: string; inputSchema: unknown }[];
    };
    expect(json.wit).toContain('export wtools:fixtures/shapes@0.1.0;');
    expect(json.wit).toMatch(/variant classification \{/);
    expect(json.asks).toEqual([]);
    expect(json.tools.find((t) => t.name.endsWith('.shapes.classify'))?.interface).toBe(
      'wtools:fixtures/shapes@0.1.0',
    );
  });

  it('prints client snippets', async () => {
    const sb = await sandbox();
    const claude = await sb.run([
      'mcp-config',
      '--client',
      'claude-code',
      'ghcr.io/org/files:1.0',
      '--grant',
      'fs:/data:ro',
    ]);
    expect(claude.stdout.trim()).toBe(
      'claude mcp add wtools -- wtools serve ghcr.io/org/files:1.0 --grant fs:/data:ro',
    );
    const vscode = JSON.parse(
      (await sb.run(['mcp-config', '--client', 'vscode', 'x.wasm'])).stdout,
    ) as unknown;
    expect(vscode).toEqual({
      servers: { wtools: { type: 'stdio', command: 'wtools', args: ['serve', 'x.wasm'] } },
    });
  });
});
