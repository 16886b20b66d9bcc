/**
 * `serveStdio` in a child process (test/harness/mcp-stdio-server.ts under tsx), driven by the SDK's
 * StdioClientTransport, by raw JSON-RPC lines, and by @modelcontextprotocol/inspector-cli.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { inspectorFor } from '../harness/inspector.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SERVER_SCRIPT = path.join(ROOT, 'test/harness/mcp-stdio-server.ts');
/** tsx's loader by URL, so the child finds it whatever its cwd. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SERVER_ARGS = ['--import', TSX_LOADER, SERVER_SCRIPT];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a child to completion, feeding `input` on stdin (then closing it), collecting its output. */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

async function connectClient(): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: SERVER_ARGS,
    cwd: ROOT,
    env: { ...getDefaultEnvironment(), WTOOLS_LOG: 'debug' },
    stderr: 'pipe',
  });
  let stderr = '';
  (transport.stderr as Readable | null)?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const client = new Client({ name: 'stdio-test', version: '0.0.0' });
  await client.connect(transport);
  onTestFinished(() => client.close());
  return { client, stderr: () => stderr };
}

const line = (message: object) => `${JSON.stringify(message)}\n`;
const INITIALIZE = line({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});
const INITIALIZED = line({ jsonrpc: '2.0', method: 'notifications/initialized' });

describe('serveStdio in a child process', () => {
  it('lists and calls tools for the SDK stdio client', async () => {
    const { client, stderr } = await connectClient();
    expect(client.getServerVersion()).toMatchObject({ name: 'wtools-test' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'slow', 'chatty', 'fail']);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'over stdio' } });
    expect(result.structuredContent).toEqual({ text: 'over stdio', length: 10 });

    const progress: Progress[] = [];
    const chatty = await client.callTool({ name: 'chatty', arguments: { steps: 3 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(chatty.content).toEqual([{ type: 'text', text: 'done after 3 steps' }]);
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);

    const failed = await client.callTool({ name: 'fail', arguments: {} });
    expect(failed).toMatchObject({ isError: true, content: [{ type: 'text', text: 'boom' }] });
    await client.close();
    // Diagnostics went to stderr (WTOOLS_LOG=debug), and the server noticed stdin closing.
    await expect.poll(stderr).toContain('mcp-stdio-server: done (stdin closed)');
  });

  it('writes nothing but JSON-RPC messages to stdout and returns when stdin closes', async () => {
    const input =
      INITIALIZE +
      INITIALIZED +
      line({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) +
      line({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'x' } },
      }) +
      line({
        jsonrpc: '2.0',
        id: 4,
        method: 'tools/call',
        params: { name: 'chatty', arguments: { steps: 2 }, _meta: { progressToken: 'tok' } },
      }) +
      line({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'fail', arguments: {} } }) +
      line({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'nope', arguments: {} } });
    // stdin closes right after the input: calls still in flight are cancelled, so answers may be missing.
    // What matters is that every byte on stdout is protocol.
    const exit = await run(process.execPath, SERVER_ARGS, {
      input,
      env: { ...process.env, WTOOLS_LOG: 'debug' },
    });
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stderr).toContain('mcp-stdio-server: done (stdin closed)');
    expect(exit.stdout.endsWith('\n')).toBe(true);
    const messages = exit.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { jsonrpc: string; id?: number; method?: string });
    for (const message of messages) expect(message.jsonrpc).toBe('2.0');
    expect(messages.find((m) => m.id === 1)).toMatchObject({
      result: { serverInfo: { name: 'wtools-test' } },
    });
    expect(messages.every((m) => m.id !== undefined || m.method?.startsWith('notifications/'))).toBe(true);
  });

  it('answers every request before stdin closes when the client waits for the answers', async () => {
    const { client } = await connectClient();
    // Several requests at once over one pipe.
    const results = await Promise.all([
      client.listTools(),
      client.callTool({ name: 'echo', arguments: { text: 'a' } }),
      client.callTool({ name: 'echo', arguments: { text: 'b' } }),
      client.callTool({ name: 'nope', arguments: {} }).catch((e: unknown) => e),
    ]);
    expect(results[1]).toMatchObject({ structuredContent: { text: 'a' } });
    expect(results[2]).toMatchObject({ structuredContent: { text: 'b' } });
    expect(String(results[3])).toContain('Unknown tool: "nope"');
  });

  it('ends on SIGTERM through the AbortSignal the caller passes', async () => {
    const child = spawn(process.execPath, SERVER_ARGS, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.write(INITIALIZE);
    await expect.poll(() => stdout, { timeout: 30_000 }).toContain('"id":1');
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('mcp-stdio-server: done (SIGTERM)');
  });

  it('is driven by @modelcontextprotocol/inspector-cli: tools/list and tools/call', async () => {
    const inspector = await inspectorFor([process.execPath, ...SERVER_ARGS]);

    const list = await inspector('--method', 'tools/list');
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { tools: { name: string; outputSchema?: unknown }[] };
    expect(listed.tools.map((t) => t.name)).toEqual(['echo', 'slow', 'chatty', 'fail']);
    expect(listed.tools[0]?.outputSchema).toMatchObject({ type: 'object' });

    const call = await inspector(
      '--method',
      'tools/call',
      '--tool-name',
      'echo',
      '--tool-arg',
      'text=from inspector',
    );
    expect(call.code, call.stderr).toBe(0);
    expect(JSON.parse(call.stdout)).toEqual({
      content: [{ type: 'text', text: 'from inspector' }],
      structuredContent: { text: 'from inspector', length: 14 },
    });
  });
});
