/**
 * Code mode: the built-in tool `run-code`, whose description carries TypeScript declarations of the
 * loaded components' tools, runs the model's script in the WebAssembly sandbox. Every tool call of
 * the script goes through the same path as an MCP tools/call (argument validation, the component's
 * instance, its grants, its prompts): code mode adds no capability the tools do not have.
 *
 * With many tools, the declarations go behind `search-tools` and `describe-tool` instead.
 */
import type { ToolCallContext, ToolDef, ToolProvider, ToolResult } from '../provider.js';
import { type CodeModeApi, codeModeApi, declareTool, resolvesTo } from './declarations.js';
import { Sandbox, type SandboxOutcome, type ToolCallOutcome } from './sandbox.js';
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from './sandbox-protocol.js';
import { ScriptError, type ScriptLanguage, prepareScript } from './script.js';

export interface CodeModeCall {
  tool: string;
  ms: number;
  ok: boolean;
}

/** What one run did, for the audit log. */
export interface CodeModeRecord {
  ok: boolean;
  error?: string;
  calls: CodeModeCall[];
  cpuMs: number;
  wallMs: number;
}

export interface CodeModeOptions {
  limits?: Partial<SandboxLimits>;
  /** With more tools than this, declarations are found with search-tools and describe-tool. */
  maxDeclaredTools?: number;
  onRun?(record: CodeModeRecord): Promise<void> | void;
}

/** The tools a script may call: those of the loaded components, not the built-ins. */
export interface ScriptableTools {
  listTools(): ToolDef[];
}

const RUN_CODE = 'run-code';
const SEARCH_TOOLS = 'search-tools';
const DESCRIBE_TOOL = 'describe-tool';
const DEFAULT_MAX_DECLARED_TOOLS = 40;

const FAILURE_CODES: Record<string, string> = {
  error: 'SCRIPT_ERROR',
  cpu: 'CPU_LIMIT',
  wall: 'WALL_LIMIT',
  memory: 'MEMORY_LIMIT',
  stack: 'STACK_LIMIT',
  calls: 'CALL_LIMIT',
  'never-settles': 'NEVER_SETTLES',
  cancelled: 'CANCELLED',
  internal: 'SANDBOX_FAILED',
};

const OUTPUT_SCHEMA = {
  type: 'object',
  properties: {
    result: { description: 'the value the script returned (its last expression), as JSON' },
    logs: { type: 'string', description: 'what the script wrote with console.*' },
    calls: {
      type: 'array',
      items: {
        type: 'object',
        properties: { tool: { type: 'string' }, ms: { type: 'number' }, ok: { type: 'boolean' } },
        required: ['tool', 'ms', 'ok'],
      },
    },
    error: { type: ['string', 'null'] },
  },
  required: ['result', 'logs', 'calls', 'error'],
} as const;

const INPUT_SCHEMA = {
  type: 'object',
  properties: {
    code: {
      type: 'string',
      minLength: 1,
      description: 'the body of an async function: await the tools, return (or end with) the result',
    },
    language: {
      type: 'string',
      enum: ['js', 'ts'],
      description: 'TypeScript types are stripped (default js)',
    },
  },
  required: ['code'],
  additionalProperties: false,
} as const;

function describeRunCode(api: CodeModeApi | undefined, limits: SandboxLimits): string {
  const intro =
    'Run a JavaScript or TypeScript script that calls the tools below, in a WebAssembly sandbox. ' +
    'The script is the body of an async function: `await` tool calls, use Promise.all to run them ' +
    'side by side, and `return` the result (or end with an expression). A tool error is thrown as an ' +
    'Error (its structured error in `error.data`). The script sees ECMAScript built-ins, `console` ' +
    'and the namespaces below: no Node, fetch, timers or modules. Limits: ' +
    `${limits.cpuMs / 1000} s of CPU, ${limits.wallMs / 1000} s in all, ${limits.memoryMiB} MiB, ` +
    `${limits.calls} tool calls (${limits.inFlight} at once), result ${limits.resultChars} characters.`;
  if (!api) {
    return `${intro}\n\nThere are many tools: find them with ${SEARCH_TOOLS} {query} and read a tool's declaration with ${DESCRIBE_TOOL} {name} before calling it as namespace.function(args).`;
  }
  return `${intro}\n\n\`\`\`ts\n${api.declarations}\n\`\`\``;
}

/** What a tool's function resolves to in the script (declarations.ts resolvesTo). */
function scriptValue(tool: ToolDef | undefined, result: ToolResult): unknown {
  const structured = result.structuredContent;
  const shape = structured ? resolvesTo(tool) : 'content';
  if (shape === 'result') return structured!.result;
  if (shape === 'structured') return structured;
  return { content: result.content, ...(structured ? { structuredContent: structured } : {}) };
}

function errorText(result: ToolResult): string {
  return result.content
    .map((c) => (c.type === 'text' ? c.text : `[${c.type}]`))
    .join('\n')
    .trim();
}

export class CodeModeTools implements ToolProvider {
  readonly #inner: ToolProvider;
  readonly #scriptable: ScriptableTools;
  readonly #limits: SandboxLimits;
  readonly #maxDeclared: number;
  readonly #onRun: CodeModeOptions['onRun'];
  readonly #sandbox = new Sandbox();
  /**
   * What the current tool list gives code mode, made once per list (tools/call looks tools up on
   * every call): the tools, their declarations, and the built-ins to list beside them.
   */
  #current: { tools: ToolDef[]; api: CodeModeApi; builtins: ToolDef[] } | undefined;

  constructor(inner: ToolProvider, scriptable: ScriptableTools, options: CodeModeOptions = {}) {
    this.#inner = inner;
    this.#scriptable = scriptable;
    this.#limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.limits };
    this.#maxDeclared = options.maxDeclaredTools ?? DEFAULT_MAX_DECLARED_TOOLS;
    this.#onRun = options.onRun;
    inner.onToolsChanged(() => (this.#current = undefined));
  }

  /** Starts the sandbox's first worker ahead of the first script, when run-code is offered. */
  warm(): void {
    if (this.#state().builtins.length > 0) this.#sandbox.warm();
  }

  #state(): { tools: ToolDef[]; api: CodeModeApi; builtins: ToolDef[] } {
    if (!this.#current) {
      const tools = this.#scriptable.listTools();
      const api = codeModeApi(tools);
      this.#current = { tools, api, builtins: this.#builtinsFor(tools, api) };
    }
    return this.#current;
  }

  listTools(sessionId: string | undefined): ToolDef[] {
    const tools = this.#inner.listTools(sessionId);
    const { builtins } = this.#state();
    return builtins.length ? [...tools, ...builtins] : tools;
  }

  /** run-code once two tools are loaded; with many tools, search-tools and describe-tool too. */
  #builtinsFor(tools: ToolDef[], api: CodeModeApi): ToolDef[] {
    if (tools.length < 2) return [];
    const many = tools.length > this.#maxDeclared;
    const runCode: ToolDef = {
      name: RUN_CODE,
      title: 'Run a script that calls the tools',
      description: describeRunCode(many ? undefined : api, this.#limits),
      inputSchema: INPUT_SCHEMA as unknown as Record<string, unknown>,
      outputSchema: OUTPUT_SCHEMA as unknown as Record<string, unknown>,
    };
    const search: ToolDef[] = many
      ? [
          {
            name: SEARCH_TOOLS,
            description:
              'Find tools for run-code scripts: names and summaries matching every word of the query',
            inputSchema: {
              type: 'object',
              properties: { query: { type: 'string' } },
              required: ['query'],
              additionalProperties: false,
            },
          },
          {
            name: DESCRIBE_TOOL,
            description:
              'The TypeScript declaration of one tool, as run-code scripts call it (name: tool or namespace.function)',
            inputSchema: {
              type: 'object',
              properties: { name: { type: 'string' } },
              required: ['name'],
              additionalProperties: false,
            },
          },
        ]
      : [];
    return [runCode, ...search];
  }

  onToolsChanged(listener: () => void): () => void {
    return this.#inner.onToolsChanged(listener);
  }

  async endSession(sessionId: string): Promise<void> {
    await this.#inner.endSession?.(sessionId);
  }

  async close(): Promise<void> {
    await this.#sandbox.close();
  }

  async callTool(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    // Only the built-ins this tool list offers are ours; any other name is the inner provider's.
    if (this.#state().builtins.some((b) => b.name === name)) {
      if (name === RUN_CODE) return this.#runCode(args, context);
      if (name === SEARCH_TOOLS) return this.#search(String(args.query ?? ''));
      return this.#describe(String(args.name ?? ''));
    }
    return this.#inner.callTool(name, args, context);
  }

  #search(query: string): ToolResult {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const { tools, api } = this.#state();
    const found = tools
      .filter((t) => {
        const text = `${t.name} ${t.title ?? ''} ${t.description ?? ''}`.toLowerCase();
        return words.every((w) => text.includes(w));
      })
      .slice(0, 50)
      .map((t) => ({
        name: t.name,
        call: callName(api, t.name),
        summary: (t.description ?? '').split('\n')[0],
      }));
    return {
      content: [{ type: 'text', text: JSON.stringify(found, null, 2) }],
      structuredContent: { tools: found },
    };
  }

  #describe(name: string): ToolResult {
    const { tools, api } = this.#state();
    for (const [namespace, fns] of Object.entries(api.bindings)) {
      for (const [fn, tool] of Object.entries(fns)) {
        if (tool !== name && `${namespace}.${fn}` !== name) continue;
        const def = tools.find((t) => t.name === tool)!;
        const text = `declare namespace ${namespace} {\n  ${declareTool(def, fn).replace(/\n/g, '\n  ')}\n}`;
        return {
          content: [{ type: 'text', text }],
          structuredContent: { tool, call: `${namespace}.${fn}`, declaration: text },
        };
      }
    }
    return {
      content: [{ type: 'text', text: `no tool named ${name}; find tools with ${SEARCH_TOOLS}` }],
      isError: true,
    };
  }

  async #runCode(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const calls: CodeModeCall[] = [];
    const language = (args.language as ScriptLanguage | undefined) ?? 'js';
    if (typeof args.code !== 'string' || !args.code.trim()) {
      return this.#failed('INVALID_ARGUMENT', 'code: expected the script as a non-empty string', '', calls);
    }
    let source: string;
    try {
      source = prepareScript(args.code, language);
    } catch (err) {
      if (!(err instanceof ScriptError)) throw err;
      return this.#failed('SYNTAX_ERROR', err.message, '', calls);
    }
    const { tools, api } = this.#state();
    const byName = new Map(tools.map((t) => [t.name, t]));
    const namespaces = Object.fromEntries(
      Object.entries(api.bindings).map(([ns, fns]) => [ns, Object.keys(fns)]),
    );
    const callTool = async (namespace: string, fn: string, callArgs: unknown): Promise<ToolCallOutcome> => {
      const tool = api.bindings[namespace]?.[fn];
      if (!tool) return { ok: false, error: `no tool ${namespace}.${fn}` };
      if (!callArgs || typeof callArgs !== 'object' || Array.isArray(callArgs)) {
        return { ok: false, error: `${namespace}.${fn}: expected an object of arguments` };
      }
      const started = performance.now();
      const result = await this.#inner.callTool(tool, callArgs as Record<string, unknown>, {
        signal: context.signal,
        sessionId: context.sessionId,
        // The run reports its own progress; a tool's would not increase with it.
        progress: () => {},
        log: (level, data, logger) => context.log(level, data, logger),
        ...(context.elicit ? { elicit: context.elicit } : {}),
        ...(context.sample ? { sample: context.sample } : {}),
      });
      calls.push({ tool, ms: Math.round((performance.now() - started) * 100) / 100, ok: !result.isError });
      context.progress(calls.length, undefined, `${calls.length} tool calls`);
      if (result.isError) {
        // A result<T, E>'s error value: the Error's data, and its message when it is text.
        const data = (result.structuredContent as { error?: unknown } | undefined)?.error;
        const message = typeof data === 'string' ? data : errorText(result) || `${tool} failed`;
        return { ok: false, error: message, ...(data !== undefined ? { data } : {}) };
      }
      return { ok: true, value: scriptValue(byName.get(tool), result) };
    };
    const outcome = await this.#sandbox.run({
      source,
      namespaces,
      limits: this.#limits,
      callTool,
      signal: context.signal,
    });
    return this.#result(outcome, calls);
  }

  async #result(outcome: SandboxOutcome, calls: CodeModeCall[]): Promise<ToolResult> {
    const record: CodeModeRecord = {
      ok: outcome.ok,
      calls,
      cpuMs: Math.round(outcome.cpuMs),
      wallMs: Math.round(outcome.wallMs),
      ...(outcome.error !== undefined ? { error: outcome.error.split('\n')[0]! } : {}),
    };
    await this.#onRun?.(record);
    if (!outcome.ok) {
      const code = FAILURE_CODES[outcome.failure ?? 'internal'] ?? 'SANDBOX_FAILED';
      return this.#failed(code, outcome.error ?? 'the script failed', outcome.logs, calls);
    }
    const text = outcome.resultJson ?? 'null';
    const cap = this.#limits.resultChars;
    const cut = text.length > cap;
    const result: unknown = cut
      ? `${text.slice(0, cap)}… [result cut at ${cap} of ${text.length} characters]`
      : (JSON.parse(text) as unknown);
    const shown = cut ? (result as string) : text;
    return {
      content: [
        { type: 'text', text: shown },
        ...(outcome.logs ? [{ type: 'text' as const, text: `console:\n${outcome.logs}` }] : []),
      ],
      structuredContent: { result, logs: outcome.logs, calls, error: null },
    };
  }

  #failed(code: string, message: string, logs: string, calls: CodeModeCall[]): ToolResult {
    const error = `${code}: ${message}`;
    return {
      content: [
        { type: 'text', text: error },
        ...(logs ? [{ type: 'text' as const, text: `console:\n${logs}` }] : []),
      ],
      structuredContent: { result: null, logs, calls, error },
      isError: true,
    };
  }
}

function callName(api: CodeModeApi, tool: string): string | undefined {
  for (const [namespace, fns] of Object.entries(api.bindings)) {
    for (const [fn, name] of Object.entries(fns)) if (name === tool) return `${namespace}.${fn}`;
  }
  return undefined;
}
