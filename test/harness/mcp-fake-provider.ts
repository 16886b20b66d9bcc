/**
 * A ToolProvider for the MCP protocol tests: an echo tool with an outputSchema, a slow tool that
 * waits for its AbortSignal, a chatty tool that reports progress and logs, and a tool that throws.
 * It records what reached it (calls, cancellations, ended sessions) for the tests to assert on.
 */
import { WtoolsError } from '../../lib/core/index.js';
import type { ToolCallContext, ToolDef, ToolProvider, ToolResult } from '../../lib/mcp/index.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const BASE_TOOLS: ToolDef[] = [
  {
    name: 'echo',
    title: 'Echo',
    description: 'Returns its text and the text length.',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { text: { type: 'string' } },
      required: ['text'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: { text: { type: 'string' }, length: { type: 'integer' } },
      required: ['text', 'length'],
    },
    annotations: { readOnlyHint: true, idempotentHint: true },
  },
  {
    name: 'slow',
    description: 'Runs until cancelled.',
    inputSchema: { type: 'object', properties: {} },
  },
  {
    name: 'chatty',
    description: 'Reports progress 1..steps and logs at every level, then returns.',
    inputSchema: { type: 'object', properties: { steps: { type: 'integer' } } },
  },
  {
    name: 'fail',
    description: 'Always throws.',
    inputSchema: { type: 'object', properties: { code: { type: 'boolean' } } },
  },
];

export class FakeProvider implements ToolProvider {
  readonly calls: { name: string; args: Record<string, unknown>; sessionId: string | undefined }[] = [];
  readonly endedSessions: string[] = [];
  /** Resolves with the slow call's signal when it starts. */
  slowStarted = deferred<AbortSignal>();
  /** Resolves with the abort reason when the slow call sees its signal abort. */
  slowCancelled = deferred<unknown>();
  sessionEnded = deferred<string>();
  private extraTools: ToolDef[] = [];
  private readonly listeners = new Set<() => void>();

  listTools(_sessionId: string | undefined): ToolDef[] {
    return [...BASE_TOOLS, ...this.extraTools];
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Adds a tool (it echoes like `echo` without outputSchema) and tells the listeners. */
  addTool(name: string): void {
    this.extraTools.push({ name, description: `added ${name}`, inputSchema: { type: 'object' } });
    for (const listener of this.listeners) listener();
  }

  async callTool(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    this.calls.push({ name, args, sessionId: context.sessionId });
    switch (name) {
      case 'echo': {
        const text = String(args['text']);
        return {
          content: [{ type: 'text', text }],
          structuredContent: { text, length: text.length },
        };
      }
      case 'slow': {
        this.slowStarted.resolve(context.signal);
        const reason = await new Promise<unknown>((resolve) => {
          if (context.signal.aborted) resolve(context.signal.reason);
          context.signal.addEventListener('abort', () => resolve(context.signal.reason), { once: true });
        });
        this.slowCancelled.resolve(reason);
        throw new WtoolsError('CALL_CANCELLED', 'the call was cancelled');
      }
      case 'chatty': {
        const steps = typeof args['steps'] === 'number' ? args['steps'] : 3;
        context.log('debug', 'debug message');
        context.log('info', { step: 'info', structured: true }, 'chatty');
        context.log('notice', 'notice message');
        context.log('warning', 'warning message');
        context.log('error', 'error message');
        // Progress is the last thing before the result: the server must still get it delivered.
        for (let i = 1; i <= steps; i++) context.progress(i, steps, `step ${i}`);
        context.progress(1, steps, 'not increasing: dropped');
        return { content: [{ type: 'text', text: `done after ${steps} steps` }] };
      }
      case 'fail':
        if (args['code'] === true) throw new WtoolsError('GUEST_TRAP', 'the guest trapped: unreachable');
        throw new Error('boom');
      default: {
        if (this.extraTools.some((t) => t.name === name)) {
          return { content: [{ type: 'text', text: JSON.stringify(args) }] };
        }
        throw new Error(`FakeProvider has no tool ${name}`);
      }
    }
  }

  onToolsChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async endSession(sessionId: string): Promise<void> {
    this.endedSessions.push(sessionId);
    this.sessionEnded.resolve(sessionId);
  }
}
