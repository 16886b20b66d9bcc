import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  ErrorCode,
  LoggingMessageNotificationSchema,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { LoggingMessageNotification, Progress } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createMcpServer } from '../../../lib/mcp/index.js';
import type { ToolDef } from '../../../lib/mcp/index.js';
import { FakeProvider } from '../../harness/mcp-fake-provider.js';

const INFO = { name: 'wtools-test', version: '1.2.3', instructions: 'Tools for tests.' };

/** A real SDK client connected to createMcpServer(provider) over an in-memory transport pair. */
async function connect(provider = new FakeProvider()) {
  const server = createMcpServer(provider, INFO);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'test-client', version: '0.0.0' });
  const clientErrors: Error[] = [];
  client.onerror = (err) => clientErrors.push(err);
  await client.connect(clientTransport);
  onTestFinished(() => client.close());
  return { client, server, provider, clientErrors };
}

function text(result: object): string {
  const content = (result as { content: { type: string; text?: string }[] }).content;
  return content.map((c) => c.text ?? '').join('');
}

describe('createMcpServer', () => {
  it('announces tools with listChanged, logging and the instructions', async () => {
    const { client } = await connect();
    expect(client.getServerCapabilities()).toMatchObject({ tools: { listChanged: true }, logging: {} });
    expect(client.getServerVersion()).toMatchObject({ name: 'wtools-test', version: '1.2.3' });
    expect(client.getInstructions()).toBe('Tools for tests.');
  });

  it('lists the provider tools with their raw JSON Schemas and annotations', async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'slow', 'chatty', 'fail']);
    const echo = tools[0]!;
    expect(echo.title).toBe('Echo');
    expect(echo.inputSchema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['text'],
      additionalProperties: false,
    });
    expect(echo.outputSchema).toMatchObject({ type: 'object', required: ['text', 'length'] });
    expect(echo.annotations).toEqual({ readOnlyHint: true, idempotentHint: true });
  });

  it('leaves out tools that clients would reject', async () => {
    const provider = new FakeProvider();
    const bad: ToolDef[] = [
      { name: 'has space', inputSchema: { type: 'object' } },
      { name: 'x'.repeat(129), inputSchema: { type: 'object' } },
      { name: 'scalar-in', inputSchema: { type: 'string' } },
      { name: 'scalar-out', inputSchema: { type: 'object' }, outputSchema: { type: 'array' } },
      { name: 'echo', inputSchema: { type: 'object' } }, // a duplicate
    ];
    const listTools = provider.listTools.bind(provider);
    provider.listTools = (sessionId) => [...listTools(sessionId), ...bad];
    const { client } = await connect(provider);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'slow', 'chatty', 'fail']);
    await expect(client.callTool({ name: 'has space', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });

  it('calls a tool and round-trips structuredContent (validated by the client against outputSchema)', async () => {
    const { client, provider } = await connect();
    await client.listTools(); // the client caches output validators from the list
    const result = await client.callTool({ name: 'echo', arguments: { text: 'héllo' } });
    expect(result.isError).toBeUndefined();
    expect(text(result)).toBe('héllo');
    expect(result.structuredContent).toEqual({ text: 'héllo', length: 5 });
    expect(provider.calls).toEqual([{ name: 'echo', args: { text: 'héllo' }, sessionId: undefined }]);
  });

  it('passes {} when the client sends no arguments', async () => {
    const { client, provider } = await connect();
    await client.callTool({ name: 'chatty' });
    expect(provider.calls[0]?.args).toEqual({});
  });

  it('delivers a client cancellation to the provider through the AbortSignal', async () => {
    const { client, provider } = await connect();
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: controller.signal });
    const signal = await provider.slowStarted.promise;
    expect(signal.aborted).toBe(false);
    controller.abort('user pressed stop');
    await expect(call).rejects.toThrow(/user pressed stop/);
    expect(await provider.slowCancelled.promise).toBe('user pressed stop');
    expect(signal.aborted).toBe(true);
    // The server is still serving.
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'after' } }))).toBe('after');
  });

  it('aborts in-flight calls when the connection closes', async () => {
    const { client, provider } = await connect();
    const call = client.callTool({ name: 'slow', arguments: {} });
    await provider.slowStarted.promise;
    await client.close();
    await expect(call).rejects.toThrow(/closed/i);
    await provider.slowCancelled.promise;
  });

  it('sends progress notifications when the client gave a progressToken, even right before the result', async () => {
    const { client, clientErrors } = await connect();
    const progress: Progress[] = [];
    const result = await client.callTool({ name: 'chatty', arguments: { steps: 4 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(text(result)).toBe('done after 4 steps');
    // Not increasing values are dropped; all four arrive although the tool returned right after them.
    expect(progress).toEqual([1, 2, 3, 4].map((i) => ({ progress: i, total: 4, message: `step ${i}` })));
    expect(clientErrors).toEqual([]);
  });

  it('sends no progress without a progressToken', async () => {
    const { client, clientErrors } = await connect();
    await client.callTool({ name: 'chatty', arguments: {} });
    await new Promise((resolve) => setImmediate(resolve));
    // A progress notification for an unknown token would reach client.onerror.
    expect(clientErrors).toEqual([]);
  });

  it('sends log messages and filters them by the level set with logging/setLevel', async () => {
    const { client } = await connect();
    const messages: LoggingMessageNotification['params'][] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params);
    });

    await client.callTool({ name: 'chatty', arguments: {} });
    await vi.waitFor(() => expect(messages).toHaveLength(5));
    expect(messages.map((m) => m.level)).toEqual(['debug', 'info', 'notice', 'warning', 'error']);
    expect(messages[1]).toEqual({
      level: 'info',
      data: { step: 'info', structured: true },
      logger: 'chatty',
    });

    messages.length = 0;
    await client.setLoggingLevel('warning');
    await client.callTool({ name: 'chatty', arguments: {} });
    await vi.waitFor(() => expect(messages).toHaveLength(2));
    expect(messages.map((m) => m.level)).toEqual(['warning', 'error']);

    messages.length = 0;
    await client.setLoggingLevel('emergency');
    await client.callTool({ name: 'chatty', arguments: {} });
    await client.setLoggingLevel('debug'); // a round trip after the call: anything sent has arrived
    expect(messages).toEqual([]);
  });

  it('answers an unknown tool with a JSON-RPC InvalidParams error naming it', async () => {
    const { client, provider } = await connect();
    const error = await client.callTool({ name: 'no-such-tool', arguments: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
    expect((error as McpError).message).toContain('"no-such-tool"');
    expect(provider.calls).toEqual([]);
  });

  it('turns a provider throw into an isError result and keeps serving', async () => {
    const { client } = await connect();
    const plain = await client.callTool({ name: 'fail', arguments: {} });
    expect(plain.isError).toBe(true);
    expect(text(plain)).toBe('boom');

    const coded = await client.callTool({ name: 'fail', arguments: { code: true } });
    expect(coded.isError).toBe(true);
    expect(text(coded)).toBe('GUEST_TRAP: the guest trapped: unreachable');

    expect((await client.listTools()).tools).toHaveLength(4);
  });

  it('answers a provider whose listTools throws with a JSON-RPC error', async () => {
    const provider = new FakeProvider();
    provider.listTools = () => {
      throw new Error('catalog unavailable');
    };
    const { client } = await connect(provider);
    await expect(client.listTools()).rejects.toThrow(/catalog unavailable/);
    await client.ping();
  });

  it('sends tools/list_changed when the provider fires, once per burst', async () => {
    const { client, provider } = await connect();
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++;
    });
    expect(provider.listenerCount).toBe(1);

    provider.addTool('added-1');
    provider.addTool('added-2');
    await vi.waitFor(() => expect(changes).toBe(1));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('added-2');
    expect(text(await client.callTool({ name: 'added-1', arguments: { a: 1 } }))).toBe('{"a":1}');

    provider.addTool('added-3');
    await vi.waitFor(() => expect(changes).toBe(2));
  });

  it('unsubscribes from the provider when the session closes', async () => {
    const { client, provider } = await connect();
    expect(provider.listenerCount).toBe(1);
    await client.close();
    expect(provider.listenerCount).toBe(0);
    provider.addTool('after-close'); // must not throw
  });

  it('subscribes only once the client has initialized', async () => {
    const provider = new FakeProvider();
    const server = createMcpServer(provider, INFO);
    const [, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    expect(provider.listenerCount).toBe(0);
    provider.addTool('before-initialize'); // nothing to send yet
    await server.close();
  });
});
