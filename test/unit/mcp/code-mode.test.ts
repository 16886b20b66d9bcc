/**
 * Code mode's parts: declarations from tool schemas (and that they type-check real scripts), script
 * preparation, the sandbox with each of its limits, and run-code over a fake provider.
 */
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { CodeModeTools } from '../../../lib/mcp/code-mode/code-mode.js';
import { codeModeApi, schemaToType, toIdentifier } from '../../../lib/mcp/code-mode/declarations.js';
import { Sandbox, type SandboxRun } from '../../../lib/mcp/code-mode/sandbox.js';
import { DEFAULT_SANDBOX_LIMITS } from '../../../lib/mcp/code-mode/sandbox-protocol.js';
import { ScriptError, prepareScript } from '../../../lib/mcp/code-mode/script.js';
import type { ToolCallContext, ToolDef, ToolProvider, ToolResult } from '../../../lib/mcp/provider.js';

const object = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

const TOOLS: ToolDef[] = [
  {
    name: 'math.add',
    description: 'Adds two numbers.',
    inputSchema: object({ a: { type: 'integer' }, b: { type: 'integer' } }),
    outputSchema: object({ result: { type: 'integer' } }),
  },
  {
    name: 'math.read-file',
    inputSchema: object({ path: { type: 'string' } }),
    outputSchema: {
      type: 'object',
      properties: { result: { type: 'string' }, error: { type: 'string' } },
      oneOf: [{ required: ['result'] }, { required: ['error'] }],
    },
  },
  {
    name: 'text.split',
    inputSchema: object({ text: { type: 'string' }, sep: { type: ['string', 'null'] } }, ['text']),
    outputSchema: object({ result: { type: 'array', items: { type: 'string' } } }),
  },
  {
    name: 'text.picture',
    inputSchema: object({}),
  },
];

describe('code-mode declarations', () => {
  it('maps the WIT-derived schemas to TypeScript types', () => {
    expect(schemaToType({ type: 'integer', minimum: 0 })).toBe('number');
    expect(schemaToType({ type: ['integer', 'string'] })).toBe('number | string');
    expect(schemaToType({ enum: ['a', 'b'] })).toBe('"a" | "b"');
    expect(schemaToType({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'boolean' }] })).toBe(
      '[string, boolean]',
    );
    expect(schemaToType({ oneOf: [{ const: 'x' }, { type: 'null' }] })).toBe('"x" | null');
    expect(schemaToType({ type: 'array', items: { type: ['string', 'null'] } })).toBe('Array<string | null>');
    expect(schemaToType(object({ 'mime-type': { type: 'string' }, n: { type: 'number' } }, ['n']))).toBe(
      '{\n  "mime-type"?: string;\n  n: number;\n}',
    );
  });

  it('names namespaces and functions as identifiers, with a map back to each tool', () => {
    expect(toIdentifier('read-file')).toBe('readFile');
    expect(toIdentifier('2d')).toBe('_2d');
    expect(toIdentifier('delete')).toBe('delete_');
    const api = codeModeApi([
      ...TOOLS,
      { name: 'console.log', inputSchema: object({}) },
      { name: 'math.read_file', inputSchema: object({}) },
    ]);
    expect(api.bindings).toEqual({
      math: { add: 'math.add', readFile: 'math.read-file', read_file: 'math.read_file' },
      text: { split: 'text.split', picture: 'text.picture' },
      console_: { log: 'console.log' },
    });
    expect(api.declarations).toContain(
      'function add(args: {\n    a: number;\n    b: number;\n  }): Promise<number>;',
    );
    // The error of a result<T, E> is thrown: the function resolves to the ok value only.
    expect(api.declarations).toContain('}): Promise<string>;');
    expect(api.declarations).toContain('@tool math.read-file');
    expect(api.declarations).toContain('Adds two numbers.');
  });

  it('keeps the WIT docs of a component tool and drops the sentence every tool repeats', () => {
    const { declarations } = codeModeApi([
      {
        name: 'enc.sha256',
        title: 'enc: sha256',
        description:
          'The SHA-256 digest.\n\nsha256 of the WebAssembly component /x/enc.wasm, run in the wtools sandbox.',
        inputSchema: object({ text: { type: 'string' } }),
      },
      {
        name: 'enc.get',
        title: 'enc: [method]counter.get',
        description:
          '[method]counter.get of the WebAssembly component /x/enc.wasm, run in the wtools sandbox. Handles stay in this session.',
        inputSchema: object({}),
      },
    ]);
    expect(declarations).not.toContain('/x/enc.wasm');
    expect(declarations).toContain(' * The SHA-256 digest.\n');
    expect(declarations).toContain(' * Handles stay in this session.\n');
  });

  it('type-checks a script written against them, and catches one that misuses a tool', () => {
    const { declarations } = codeModeApi(TOOLS);
    const check = (script: string): string[] => {
      const files: Record<string, string> = {
        'tools.d.ts': declarations,
        'script.ts': `export async function main() {\n${script}\n}\n`,
      };
      const host = ts.createCompilerHost({});
      const read = host.getSourceFile.bind(host);
      host.getSourceFile = (name, version) =>
        name in files ? ts.createSourceFile(name, files[name]!, version) : read(name, version);
      host.fileExists = (name) => name in files || ts.sys.fileExists(name);
      const program = ts.createProgram(
        Object.keys(files),
        { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'], types: [] },
        host,
      );
      return ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    };
    expect(
      check(
        'const sum: number = await math.add({ a: 1, b: 2 });\n' +
          'const parts: string[] = await text.split({ text: "a,b", sep: "," });\n' +
          'const body: string = await math.readFile({ path: "/x" });\n' +
          'const pic = await text.picture();\n' +
          'return [sum, parts.length, body.length, pic.content.length];',
      ),
    ).toEqual([]);
    const wrong = check('const s: string = await math.add({ a: "1", b: 2 });');
    expect(wrong.join('\n')).toMatch(/not assignable to type 'number'/);
    expect(wrong.join('\n')).toMatch(/not assignable to type 'string'/);
  });
});

describe('script preparation', () => {
  it('returns the last expression, strips fences and TypeScript types, and keeps explicit returns', () => {
    expect(prepareScript('1 + 1')).toContain('return (1 + 1);');
    expect(prepareScript('```js\nconst a = 2;\na * 3;\n```')).toContain('return (a * 3);');
    expect(
      prepareScript('const a: number = 1;\ninterface X { y: string }\nreturn a as number;', 'ts'),
    ).not.toMatch(/interface|: number|as number/);
    expect(prepareScript('if (x) { 1 }')).not.toContain('return (');
  });

  it('reports syntax errors at the line of the model’s code, and refuses to close the function', () => {
    expect(() => prepareScript('const a = 1;\nlet = ;')).toThrow(/line 2, column 7: Unexpected token/);
    expect(() => prepareScript('}\nfunction f() {')).toThrow(ScriptError);
    expect(() => prepareScript('let a: = 1', 'ts')).toThrow(/TypeScript does not parse at line 1/);
  });
});

describe('the sandbox', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.close());
  const limits = { ...DEFAULT_SANDBOX_LIMITS, cpuMs: 400, wallMs: 4000, calls: 20 };
  const echo: SandboxRun['callTool'] = async (_ns, fn, args) =>
    fn === 'fail' ? { ok: false, error: 'it failed', data: { code: 7 } } : { ok: true, value: args };
  const run = (code: string, extra: Partial<typeof limits> = {}) =>
    sandbox.run({
      source: prepareScript(code),
      namespaces: { t: ['echo', 'fail'] },
      limits: { ...limits, ...extra },
      callTool: echo,
    });

  it('runs a script with tool calls, Promise.all and console, and returns its JSON result', async () => {
    const outcome = await run(
      'const one = await t.echo({ n: 1 });\nconsole.log("got", one);\n' +
        'const all = await Promise.all([2, 3].map((n) => t.echo({ n })));\n[one.n, ...all.map((a) => a.n)]',
    );
    expect(outcome.ok).toBe(true);
    expect(JSON.parse(outcome.resultJson!)).toEqual([1, 2, 3]);
    expect(outcome.logs).toBe('got {"n":1}\n');
  });

  it('throws a tool error into the script as an Error carrying its data', async () => {
    const outcome = await run('try { await t.fail({}) } catch (e) { return [e.name, e.message, e.data] }');
    expect(JSON.parse(outcome.resultJson!)).toEqual(['ToolError', 'it failed', { code: 7 }]);
  });

  it.each([
    ['a busy loop', 'while (true) {}', 'cpu', {}],
    [
      'a JSON.stringify loop',
      'const a = Array.from({ length: 50000 }, (_, i) => i); while (true) JSON.stringify(a)',
      // The interrupt is checked between bytecodes, rarely in a loop of one long built-in call:
      // the wall clock ends this one (the worker is ended).
      'wall',
      { wallMs: 1500 },
    ],
    [
      'a memory bomb',
      'const a = []; while (true) a.push("x".repeat(1 << 20) + a.length)',
      'memory',
      { cpuMs: 20000 },
    ],
    ['deep recursion', 'function f(n) { return f(n + 1) + 1 }\nf(0)', 'stack', {}],
    ['a promise that never settles', 'await new Promise(() => {})', 'never-settles', {}],
    ['too many tool calls', 'for (let i = 0; i < 100; i++) await t.echo({ i })', 'calls', {}],
    ['the wall clock', 'while (true) {}', 'wall', { cpuMs: 60000, wallMs: 500 }],
  ] as const)('ends %s, and the next run works', async (_name, code, failure, extra) => {
    const outcome = await run(`console.log("before");\n${code}`, extra);
    expect(outcome.ok).toBe(false);
    expect(outcome.failure).toBe(failure);
    if (failure !== 'wall') expect(outcome.logs).toBe('before\n');
    const next = await run('40 + 2');
    expect(next.resultJson).toBe('42');
  });

  it('gives the script nothing of Node: no process, require, fetch, timers, WebAssembly or modules', async () => {
    const outcome = await run(
      'const kinds = [typeof process, typeof require, typeof fetch, typeof setTimeout, typeof WebAssembly, typeof std, typeof os];\n' +
        'let imported; try { await import("os"); imported = "yes" } catch (e) { imported = String(e) }\n' +
        '[kinds, imported]',
    );
    const [kinds, imported] = JSON.parse(outcome.resultJson!) as [string[], string];
    expect(kinds.every((k) => k === 'undefined')).toBe(true);
    expect(imported).toMatch(/could not load module/);
  });

  it('cuts console output at its limit, with a marker', async () => {
    const outcome = await run('for (let i = 0; i < 1000; i++) console.log("line " + i)', { logChars: 100 });
    expect(outcome.ok).toBe(true);
    expect(outcome.logs.length).toBeLessThan(200);
    expect(outcome.logs).toMatch(/console output cut at 100 characters/);
  });
});

/** Components' tools as a provider would serve them, answering from a table. */
class FakeTools implements ToolProvider {
  calls: string[] = [];
  constructor(readonly tools: ToolDef[]) {}
  listTools(): ToolDef[] {
    return this.tools;
  }
  onToolsChanged(): () => void {
    return () => {};
  }
  async callTool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    this.calls.push(name);
    if (name === 'math.add') {
      const sum = (args.a as number) + (args.b as number);
      return { content: [{ type: 'text', text: String(sum) }], structuredContent: { result: sum } };
    }
    if (name === 'math.read-file') {
      return {
        content: [{ type: 'text', text: '{"error":"no such file"}' }],
        structuredContent: { error: 'no such file' },
        isError: true,
      };
    }
    return { content: [{ type: 'text', text: `no tool ${name}` }], isError: true };
  }
}

const context: ToolCallContext = {
  signal: new AbortController().signal,
  sessionId: undefined,
  progress: () => {},
  log: () => {},
};

describe('run-code', () => {
  it('is offered with the declarations once two tools are loaded, and runs scripts against them', async () => {
    const fake = new FakeTools(TOOLS);
    const records: unknown[] = [];
    const codeMode = new CodeModeTools(fake, fake, { onRun: (r) => void records.push(r) });
    try {
      const runCode = codeMode.listTools(undefined).find((t) => t.name === 'run-code');
      expect(runCode?.description).toContain('declare namespace math');
      const result = await codeMode.callTool(
        'run-code',
        {
          code: 'const s: number = await math.add({ a: 2, b: 3 });\ntry { await math.readFile({ path: "x" }) } catch (e) { return [s, e.message] }',
          language: 'ts',
        },
        context,
      );
      expect(result.isError).toBeUndefined();
      expect(result.structuredContent).toMatchObject({
        result: [5, 'no such file'],
        error: null,
        calls: [
          { tool: 'math.add', ok: true },
          { tool: 'math.read-file', ok: false },
        ],
      });
      expect(records).toHaveLength(1);
      const syntax = await codeMode.callTool('run-code', { code: 'let = ;' }, context);
      expect(syntax.isError).toBe(true);
      expect(syntax.structuredContent?.error).toMatch(/^SYNTAX_ERROR: the script does not parse at line 1/);
    } finally {
      await codeMode.close();
    }
  });

  it('is not offered for fewer than two tools; with many, declarations go behind search-tools and describe-tool', async () => {
    const one = new FakeTools(TOOLS.slice(0, 1));
    const single = new CodeModeTools(one, one);
    expect(single.listTools(undefined).map((t) => t.name)).toEqual(['math.add']);
    await single.close();

    const fake = new FakeTools(TOOLS);
    const many = new CodeModeTools(fake, fake, { maxDeclaredTools: 2 });
    try {
      const names = many.listTools(undefined).map((t) => t.name);
      expect(names).toEqual([...TOOLS.map((t) => t.name), 'run-code', 'search-tools', 'describe-tool']);
      expect(many.listTools(undefined).find((t) => t.name === 'run-code')?.description).not.toContain(
        'declare namespace',
      );
      const found = await many.callTool('search-tools', { query: 'adds numbers' }, context);
      expect(found.structuredContent).toEqual({
        tools: [{ name: 'math.add', call: 'math.add', summary: 'Adds two numbers.' }],
      });
      const described = await many.callTool('describe-tool', { name: 'math.read-file' }, context);
      expect(described.structuredContent).toMatchObject({ tool: 'math.read-file', call: 'math.readFile' });
      expect(String(described.structuredContent?.declaration)).toContain('function readFile(args: {');
    } finally {
      await many.close();
    }
  });
});
