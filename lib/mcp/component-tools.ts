/**
 * Loaded components as MCP tools: one tool per exported function, with schemas from its WIT types.
 * Arguments are validated against the input schema before the guest is touched; results come back
 * as structuredContent `{result: …}`; an error result, a trap or a timeout is an isError result,
 * never a protocol error and never the server's end.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { type WitFunction, argumentsToGuest, fromGuest } from '../component/index.js';
import { isWtoolsError } from '../core/index.js';
import { ContentError, toolResultContent } from './content.js';
import { elicitationApprovers } from './elicitation.js';
import { guestMcpClient } from './guest-client.js';
import { SessionHandles } from './handles.js';
import type { ToolCallContext, ToolDef, ToolProvider, ToolResult } from './provider.js';
import { type DescribedTool, type ToolComponent, describeTools } from './tool-catalog.js';

interface Tool<C extends ToolComponent> extends DescribedTool<C> {
  validate: ValidateFunction;
}

const ajv = new Ajv2020({ strict: true, allErrors: true });
/**
 * One compiled validator per WIT function, kept as long as its component's world is: the tool list
 * is rebuilt on every load and unload, and ajv would otherwise compile (and keep) a copy each time.
 */
const validators = new WeakMap<WitFunction, ValidateFunction>();

function validatorFor(tool: DescribedTool): ValidateFunction {
  let validate = validators.get(tool.fn);
  if (!validate) {
    validate = ajv.compile(tool.def.inputSchema);
    validators.set(tool.fn, validate);
  }
  return validate;
}

/** The problems ajv finds with `args` for `validate`, one `path: message (keyword)` each. */
function problems(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'} (${e.keyword})`,
  );
}

const otherValidators = new WeakMap<object, ValidateFunction>();
const PROGRESS_INTERVAL_MS = 1000;

export class ComponentTools<C extends ToolComponent = ToolComponent> implements ToolProvider {
  readonly #components: C[] = [];
  #tools = new Map<string, Tool<C>>();
  readonly #listeners = new Set<() => void>();
  /**
   * Resource handles by session, then by component. Keyed by the component object: a restarted or
   * reloaded component is a new object with new instances, so handles to the old ones are gone.
   */
  readonly #handles = new Map<string, WeakMap<C, SessionHandles>>();

  /** The handle table of a session and component, or why a call with handles cannot be made. */
  #handlesFor(tool: Tool<C>, sessionId: string | undefined): SessionHandles | string {
    if (sessionId === undefined) {
      return 'resource handles live in an MCP session, and this connection has none (stateless HTTP)';
    }
    if (tool.component.runtime.lifetime !== 'per-session') {
      return `resource handles need one instance per session; ${tool.component.name} runs ${tool.component.runtime.lifetime}`;
    }
    let bySession = this.#handles.get(sessionId);
    if (!bySession) this.#handles.set(sessionId, (bySession = new WeakMap()));
    let table = bySession.get(tool.component);
    if (!table) bySession.set(tool.component, (table = new SessionHandles()));
    return table;
  }

  add(component: C): void {
    this.#components.push(component);
    this.#rebuild();
  }

  /** Removes a component by name; returns it so the caller can close its runtime. */
  remove(name: string): C | undefined {
    const index = this.#components.findIndex((c) => c.name === name);
    if (index < 0) return undefined;
    const [removed] = this.#components.splice(index, 1);
    this.#rebuild();
    return removed;
  }

  components(): readonly C[] {
    return this.#components;
  }

  /**
   * Checks arguments of a tool that is not a component's (the built-in ones) with the same validator
   * rules; undefined when valid, else the problems. Each schema object is compiled once.
   */
  checkArguments(schema: Record<string, unknown>, args: unknown): string[] | undefined {
    let validate = otherValidators.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      otherValidators.set(schema, validate);
    }
    return validate(args) ? undefined : problems(validate);
  }

  /** Replaces every component at once (a profile switch): one rebuild, one tools/list_changed. */
  replaceAll(components: readonly C[]): C[] {
    const old = this.#components.splice(0, this.#components.length, ...components);
    this.#rebuild();
    return old;
  }

  /** Swaps a component for a fresh one of the same name (a restarted runtime), in one rebuild. */
  replace(old: C, fresh: C): void {
    const index = this.#components.indexOf(old);
    if (index < 0) throw new Error(`${old.name} is not loaded`);
    this.#components[index] = fresh;
    this.#rebuild();
  }

  /** The tools of one component, by the component they came from (not by name prefix). */
  toolsOf(component: C): ToolDef[] {
    return [...this.#tools.values()].filter((t) => t.component === component).map((t) => t.def);
  }

  #rebuild(): void {
    const { tools } = describeTools(this.#components);
    this.#tools = new Map(tools.map((t) => [t.def.name, { ...t, validate: validatorFor(t) }]));
    for (const listener of this.#listeners) listener();
  }

  listTools(): ToolDef[] {
    return [...this.#tools.values()].map((t) => t.def);
  }

  onToolsChanged(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async callTool(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const tool = this.#tools.get(name);
    if (!tool) return errorResult('NO_SUCH_TOOL', `no tool named ${name}`);
    if (!tool.validate(args)) {
      return errorResult(
        'INVALID_ARGUMENT',
        `invalid arguments for ${name}: ${problems(tool.validate).join('; ')}`,
      );
    }
    const handles = tool.handles ? this.#handlesFor(tool, context.sessionId) : undefined;
    if (typeof handles === 'string') return errorResult('NO_SESSION', handles);
    let guestArgs: unknown[];
    try {
      guestArgs = argumentsToGuest(tool.fn, args, handles);
    } catch (err) {
      return errorResult('INVALID_ARGUMENT', `invalid arguments for ${name}: ${(err as Error).message}`);
    }
    // Until a guest reports progress of its own (wtools:mcp/progress), a long call tells the client
    // once a second that it is still running (and for how long), so clients do not give up on it.
    const started = Date.now();
    const heartbeat = setInterval(() => {
      const seconds = Math.round((Date.now() - started) / 1000);
      context.progress(seconds, undefined, `${name} running for ${seconds} s`);
    }, PROGRESS_INTERVAL_MS);
    try {
      const result = await tool.component.runtime.call(tool.exportName, guestArgs, {
        signal: context.signal,
        approvers: elicitationApprovers(context),
        mcp: guestMcpClient(context, tool.component.name, () => clearInterval(heartbeat)),
        ...(context.sessionId ? { sessionId: context.sessionId } : {}),
      });
      clearInterval(heartbeat);
      forwardOutput(context, result.stdout, result.stderr, tool.component.name);
      const returned = tool.fn.result?.kind === 'result' ? tool.fn.result.ok : tool.fn.result;
      if (!tool.fn.result) return { content: [{ type: 'text', text: 'done' }] };
      if (tool.content) {
        try {
          return toolResultContent(tool.content, result.value);
        } catch (err) {
          if (!(err instanceof ContentError)) throw err;
          return errorResult('GUEST_ERROR', `${name} returned content that MCP cannot carry: ${err.message}`);
        }
      }
      const json = returned ? fromGuest(returned, result.value, handles) : null;
      return { content: [{ type: 'text', text: JSON.stringify(json) }], structuredContent: { result: json } };
    } catch (err) {
      clearInterval(heartbeat);
      if (!isWtoolsError(err)) throw err;
      const details = (err.details ?? {}) as { value?: unknown; stdout?: Uint8Array; stderr?: Uint8Array };
      forwardOutput(context, details.stdout, details.stderr, tool.component.name);
      if (err.code === 'GUEST_ERROR' && tool.fn.result?.kind === 'result') {
        const error = tool.fn.result.err ? fromGuest(tool.fn.result.err, details.value, handles) : null;
        return {
          content: [{ type: 'text', text: JSON.stringify({ error }) }],
          structuredContent: { error },
          isError: true,
        };
      }
      return errorResult(err.code, err.message);
    }
  }

  async endSession(sessionId: string): Promise<void> {
    this.#handles.delete(sessionId);
    await Promise.all(
      this.#components.map((c) =>
        c.runtime.lifetime === 'per-session' ? c.runtime.endSession(sessionId) : undefined,
      ),
    );
  }
}

function errorResult(code: string, message: string): ToolResult {
  return { content: [{ type: 'text', text: `${code}: ${message}` }], isError: true };
}

function forwardOutput(
  context: ToolCallContext,
  stdout: Uint8Array | undefined,
  stderr: Uint8Array | undefined,
  component: string,
): void {
  const decoder = new TextDecoder();
  if (stdout?.length) context.log('info', decoder.decode(stdout), `${component}/stdout`);
  if (stderr?.length) context.log('warning', decoder.decode(stderr), `${component}/stderr`);
}
