/**
 * Real components behind the real MCP server, over the SDK's in-memory transport: guest output as
 * log messages, cancellation reaching the runtime, progress while a call runs, and the tool list
 * changing when the model loads and unloads a component through the built-in tools.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { ServeTools, WtoolsContext, closeTools, loadTools, push } from '../../lib/index.js';
import { createMcpServer } from '../../lib/mcp/index.js';
import { cComponentPath } from '../harness/c-fixtures.js';
import { fixturePath } from '../harness/fixtures.js';
import { grants } from '../harness/runtime.js';
import { tempDir } from '../harness/unit.js';
import { LOOPBACK_UNSIGNED_POLICY, uniqueRepo } from '../harness/cli.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const registry = inject('registryHost');

async function serve(inputs: string[], grantTexts: string[] = []) {
  const home = await tempDir('wtools-mcp-');
  await mkdir(path.join(home, 'config'), { recursive: true });
  await writeFile(path.join(home, 'config', 'trust-policy.yaml'), LOOPBACK_UNSIGNED_POLICY);
  const context = new WtoolsContext({ env: { WTOOLS_HOME: home, HOME: home } });
  const options = { inputs, grants: grants(...grantTexts), limits: { timeoutMs: 10_000 } };
  const components = await loadTools(context, options);
  onTestFinished(() => closeTools(components));
  const provider = new ServeTools(context, components, { ...options, builtins: true });
  const server = createMcpServer(provider, { name: 'wtools', version: 'test' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);
  onTestFinished(() => client.close());
  return { client, context };
}

describe('components as MCP tools', () => {
  it('sends guest stdout and stderr as log messages', async () => {
    const { client } = await serve([await cComponentPath('c/basic')]);
    const messages: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(n.params));
    await client.setLoggingLevel('debug');
    const print = (await client.listTools()).tools.find((t) => t.name.endsWith('.print'))!;
    await client.callTool({ name: print.name, arguments: { text: 'hello log' } });
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'info', data: 'hello log' }),
        expect.objectContaining({ level: 'warning', data: 'err:hello log' }),
      ]),
    );
  });

  it('cancellation ends the call in the runtime, progress arrives while it runs, and the server keeps serving', async () => {
    const { client } = await serve([await fixturePath('counter')]);
    const { tools } = await client.listTools();
    const spin = tools.find((t) => t.name.endsWith('.spin'))!;
    const next = tools.find((t) => t.name.endsWith('.next'))!;
    const progress: number[] = [];
    const controller = new AbortController();
    const call = client.callTool({ name: spin.name, arguments: {} }, undefined, {
      signal: controller.signal,
      onprogress: (p) => {
        progress.push(p.progress);
        if (progress.length === 2) controller.abort();
      },
    });
    await expect(call).rejects.toThrow();
    expect(progress).toEqual([1, 2]);
    // The runtime replaced the spinning worker: the next call answers from a fresh instance.
    const answered = await client.callTool({ name: next.name, arguments: {} });
    expect(answered.structuredContent).toEqual({ result: 1 });
  });

  it('the model loads a component by reference through the trust policy; the tool list changes', async () => {
    const { client, context } = await serve([]);
    const ref = `${registry}/${uniqueRepo('mcp-load')}:1.0`;
    await push(context, await fixturePath('hello'), ref);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    const loaded = await client.callTool({ name: 'load-component', arguments: { ref } });
    expect(loaded.isError).toBeFalsy();
    const { tools } = await client.listTools();
    const add = tools.find((t) => t.name.endsWith('.add'))!;
    expect((await client.callTool({ name: add.name, arguments: { a: 2, b: 3 } })).structuredContent).toEqual({
      result: 5,
    });
    const name = add.name.split('.')[0]!;
    await client.callTool({ name: 'unload-component', arguments: { name } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changed).toBeGreaterThanOrEqual(2);
    expect((await client.listTools()).tools.some((t) => t.name === add.name)).toBe(false);

    // The registry's catalog finds it again by name, with its tag.
    const repository = ref.slice(registry.length + 1, -':1.0'.length);
    const found = await client.callTool({
      name: 'search-components',
      arguments: { registry, query: repository },
    });
    expect(found.structuredContent).toEqual({
      results: [{ repository: `${registry}/${repository}`, tags: ['1.0'] }],
    });

    const refused = await client.callTool({
      name: 'load-component',
      arguments: { ref: 'example.invalid/nothing:1' },
    });
    expect(refused.isError).toBe(true);
  });
});
