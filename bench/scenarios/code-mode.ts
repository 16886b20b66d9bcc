// Issue 11's figures: a fresh sandbox running a trivial script, against a fresh node:vm context
// running the same; and 1000 sequential tool calls made by one run-code script, against 1000
// tools/call requests from an MCP client over stdio, to the same `wtools serve` in the same run.
import { createContext, runInContext } from 'node:vm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
// The built library (make bench builds it): its sandbox runs the compiled worker, as users get it.
import { toIdentifier } from '../../dist/lib/mcp/code-mode/declarations.js';
import { Sandbox } from '../../dist/lib/mcp/code-mode/sandbox.js';
import { DEFAULT_SANDBOX_LIMITS } from '../../dist/lib/mcp/code-mode/sandbox-protocol.js';
import { prepareScript } from '../../dist/lib/mcp/code-mode/script.js';
import { cComponentPath } from '../../test/harness/c-fixtures.js';
import { type Bench, type Scenario, summarize } from '../measure.js';

const FRESH_RUNS = 300;
const CALLS = 1000;

async function freshSandbox(): Promise<Scenario> {
  const sandbox = new Sandbox();
  const source = prepareScript('1 + 1');
  const run = () =>
    sandbox.run({
      source,
      namespaces: {},
      limits: DEFAULT_SANDBOX_LIMITS,
      callTool: async () => ({ ok: true }),
    });
  const sandboxTimes: number[] = [];
  const vmTimes: number[] = [];
  try {
    for (let i = -30; i < FRESH_RUNS; i++) {
      let started = performance.now();
      const outcome = await run();
      if (outcome.resultJson !== '2')
        throw new Error(`the trivial script returned ${JSON.stringify(outcome)}`);
      if (i >= 0) sandboxTimes.push(performance.now() - started);
      started = performance.now();
      runInContext('(async () => 1 + 1)()', createContext({}));
      if (i >= 0) vmTimes.push(performance.now() - started);
    }
  } finally {
    await sandbox.close();
  }
  const subject = summarize(sandboxTimes);
  const baseline = summarize(vmTimes);
  return {
    name: `code mode: fresh sandbox (engine instance, 64 MiB memory, runtime) + trivial script, ${FRESH_RUNS} runs`,
    goal: 'median ≤ 5 ms',
    met: subject.median <= 5,
    subject: { ...subject, runs: [] },
    baseline: { name: 'a fresh node:vm context running the same', sample: { ...baseline, runs: [] } },
    ratio: subject.median / baseline.median,
    note: 'timed from the host thread: the message to the warm worker and back is included',
  };
}

async function scriptVsClient(bench: Bench): Promise<Scenario[]> {
  const basic = await cComponentPath('c/basic');
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      // The C fixture exports several functions: enough tools for code mode to be offered.
      args: [bench.cli, 'serve', basic, '--quiet', '--no-builtin-tools', '--no-prompt'],
      env: { ...process.env, WTOOLS_HOME: `${bench.scratch}/code-mode` } as Record<string, string>,
      stderr: 'ignore',
    }),
  );
  const script: number[] = [];
  const requests: number[] = [];
  try {
    const add = (await client.listTools()).tools.find((t) => t.name.endsWith('.add'))!.name;
    const namespace = toIdentifier(add.slice(0, add.indexOf('.')));
    const code = `let s = 0;\nfor (let i = 0; i < ${CALLS}; i++) s = await ${namespace}.add({ a: s, b: 1 });\ns`;
    for (let round = -1; round < bench.runs; round++) {
      let started = performance.now();
      const result = await client.callTool({ name: 'run-code', arguments: { code } });
      const value = (result.structuredContent as { result?: unknown } | undefined)?.result;
      if (value !== CALLS) throw new Error(`the script returned ${JSON.stringify(result).slice(0, 300)}`);
      if (round >= 0) script.push(performance.now() - started);
      started = performance.now();
      let s = 0;
      for (let i = 0; i < CALLS; i++) {
        const reply = await client.callTool({ name: add, arguments: { a: s, b: 1 } });
        s = (reply.structuredContent as { result: number }).result;
      }
      if (round >= 0) requests.push(performance.now() - started);
    }
  } finally {
    await client.close();
  }
  const subject = summarize(script);
  const baseline = summarize(requests);
  const speedup = baseline.median / subject.median;
  return [
    {
      name: `code mode: ${CALLS} sequential tool calls from one run-code script (C add)`,
      goal: `≥ 5 × faster end to end than ${CALLS} tools/call requests over stdio`,
      met: speedup >= 5,
      subject,
      baseline: { name: `${CALLS} tools/call requests from an SDK client over stdio`, sample: baseline },
      ratio: subject.median / baseline.median,
      note: `speed-up ${speedup.toFixed(1)}× (baseline / code mode)`,
    },
  ];
}

export async function codeModeScenarios(bench: Bench): Promise<Scenario[]> {
  return [await freshSandbox(), ...(await scriptVsClient(bench))];
}
