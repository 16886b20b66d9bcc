/**
 * Code mode end to end: `wtools serve` over stdio with the real SDK client, two real components
 * (the encode starter and the wtools:mcp fixture), and scripts that chain their tools, fan out,
 * catch tool errors, hit limits, and cannot borrow another component's grants.
 */
import { copyFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, describeRun, jsonOf, sandbox } from '../harness/cli.js';
import { connectStdioServe } from '../harness/serve.js';
import { jsComponentPath, starterJsComponentPath } from '../harness/js-fixtures.js';

let encode: string;
let mcp: string;

beforeAll(async () => {
  [encode, mcp] = await Promise.all([starterJsComponentPath('encode'), jsComponentPath('mcp')]);
}, 300_000);

async function components(sb: Sandbox): Promise<string[]> {
  const files = [sb.path('encode.wasm'), sb.path('mcp.wasm')];
  await copyFile(encode, files[0]!);
  await copyFile(mcp, files[1]!);
  return files;
}

async function serve(sb: Sandbox, args: string[] = []) {
  const client = new Client({ name: 'code-mode-e2e', version: '1.0.0' }, { capabilities: { sampling: {} } });
  let sampled = 0;
  client.setRequestHandler(CreateMessageRequestSchema, () => {
    sampled += 1;
    return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'yes' } };
  });
  const { stderr } = await connectStdioServe(sb, client, [...(await components(sb)), '--no-prompt', ...args]);
  const run = async (code: string, language?: 'js' | 'ts') => {
    const result = await client.callTool({
      name: 'run-code',
      arguments: { code, ...(language ? { language } : {}) },
    });
    return {
      isError: result.isError === true,
      ...(result.structuredContent as {
        result: unknown;
        logs: string;
        calls: { tool: string; ok: boolean }[];
        error: string | null;
      }),
    };
  };
  return { client, run, sampled: () => sampled, stderr };
}

describe('e2e: code mode', () => {
  it('offers run-code with typed declarations of both components, and runs scripts that chain them', async () => {
    const sb = await sandbox();
    const { client, run } = await serve(sb, ['--code-limit', 'cpu=500ms']);
    const runCode = (await client.listTools()).tools.find((t) => t.name === 'run-code');
    expect(runCode?.description).toMatch(
      /declare namespace encode \{[\s\S]*function sha256\(args: \{\n\s+text: string;\n\s+\}\): Promise<string>;/,
    );
    expect(runCode?.description).toContain('declare namespace mcp {');
    expect(runCode?.outputSchema).toBeDefined();

    const chained = await run(
      'const steps = await mcp.work({ steps: 2 });\n' +
        'const hash = await encode.sha256({ text: String(steps) });\n' +
        'console.log("steps", steps);\n' +
        '({ steps, hash })',
    );
    expect(chained.isError).toBe(false);
    expect(chained.result).toEqual({
      steps: 2,
      hash: 'd4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35',
    });
    expect(chained.logs).toBe('steps 2\n');
    expect(chained.calls.map((c) => c.tool)).toEqual(['mcp.work', 'encode.sha256']);

    const fanOut = await run(
      'const words: string[] = ["a", "b", "c"];\n' +
        'const hex: string[] = await Promise.all(words.map((text) => encode.hexEncode({ text })));\n' +
        'return hex.join("");',
      'ts',
    );
    expect(fanOut.result).toBe('616263');
    expect(fanOut.calls).toHaveLength(3);

    // A tool's error value is thrown as an Error; not catching it fails the run with its message.
    const caught = await run(
      'try { await encode.hexDecode({ hex: "zz" }) } catch (e) { return [e.name, e.data] }',
    );
    expect(caught.result).toEqual(['ToolError', 'expected an even number of hex digits (0–9, a–f)']);
    const invalid = await run('await encode.sha256({ text: 5 })');
    expect(invalid.isError).toBe(true);
    expect(invalid.error).toMatch(/^SCRIPT_ERROR: ToolError: INVALID_ARGUMENT: .*\/text: must be string/);

    // A limit ends the run with a clear error that keeps the logs; the server serves the next one.
    const busy = await run('console.log("spinning");\nwhile (true) {}');
    expect(busy.isError).toBe(true);
    expect(busy.error).toMatch(/^CPU_LIMIT/);
    expect(busy.logs).toBe('spinning\n');
    expect((await run('await encode.sha256({ text: "" })')).result).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );

    const audit = jsonOf<{ entries: { event: string; detail?: { calls?: { tool: string }[] } }[] }>(
      await sb.run(['audit', '--json']),
    );
    const runs = audit.entries.filter((e) => e.event === 'code-mode-run');
    expect(runs.length).toBeGreaterThanOrEqual(6);
    expect(runs[0]?.detail?.calls?.map((c) => c.tool)).toEqual(['mcp.work', 'encode.sha256']);
  });

  it('gives each tool call its own component’s grants only, and the script no reach into the host', async () => {
    const sb = await sandbox();
    // The grant is encode's: mcp's sampling stays ungranted, whoever's script calls it.
    const { run, sampled } = await serve(sb, ['--grant', 'encode=mcp:sampling']);
    const denied = await run('try { await mcp.askModel({ question: "?" }) } catch (e) { return e.data }');
    expect(denied.result).toBe('not-granted');
    expect(sampled()).toBe(0);
    const reach = await run(
      '[typeof process, typeof require, typeof fetch, typeof setTimeout, await import("fs").then(() => "loaded", (e) => "refused")]',
    );
    expect(reach.result).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'refused']);
  });

  it('is off with --no-code-mode, and codemode-types prints what run-code shows', async () => {
    const sb = await sandbox();
    const { client } = await serve(sb, ['--no-code-mode']);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('run-code');

    const [encodeFile, mcpFile] = await components(sb);
    const printed = await sb.run(['codemode-types', encodeFile!, mcpFile!]);
    expect(printed.code, describeRun(printed)).toBe(0);
    expect(printed.stdout).toContain('declare namespace encode {');
    expect(printed.stdout).toMatch(
      /function askModel\(args: \{\n\s+question: string;\n\s+\}\): Promise<string>;/,
    );
    const bad = await sb.run(['serve', encodeFile!, '--code-limit', 'cpu=fast']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid duration "fast"|invalid code-mode limit/);
  });
});
