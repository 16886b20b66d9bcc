// Issue 5's and 8's figures: tools/call round trips over stdio, and throughput with 1, 4 and 8
// concurrent HTTP clients, for `wtools serve` with the C fixture against wtools' own MCP server offering a plain
// JavaScript tool (bench/plain-mcp-server.mjs), measured side by side in one run.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cComponentPath } from '../../test/harness/c-fixtures.js';
import { type Bench, REPO_ROOT, type Scenario, percentile, summarize } from '../measure.js';

const PLAIN = path.join(REPO_ROOT, 'bench', 'plain-mcp-server.mjs');
const WORKER_HOP = path.join(REPO_ROOT, 'bench', 'worker-hop-mcp-server.mjs');
const CALLS = 2000;
/** Issue 8: throughput with 1, 4 and 8 concurrent clients; 2000 calls in all at each level. */
const HTTP_CLIENT_COUNTS = [1, 4, 8];
const HTTP_CALLS = 2000;

interface Target {
  args: string[];
  tool: string;
}

async function stdioClient(
  target: Target,
  env: NodeJS.ProcessEnv,
): Promise<{ client: Client; tool: string }> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: target.args,
      env: env as Record<string, string>,
      stderr: 'ignore',
    }),
  );
  const tool = (await client.listTools()).tools.find((t) => t.name.endsWith(target.tool))!.name;
  return { client, tool };
}

/** The servers run at once and calls rotate between them, so drift in the machine's load touches all alike. */
async function stdioLatencies(targets: Target[], env: NodeJS.ProcessEnv): Promise<number[][]> {
  const clients = [];
  for (const target of targets) clients.push(await stdioClient(target, env));
  const times = targets.map(() => [] as number[]);
  try {
    for (let i = -200; i < CALLS; i++) {
      for (const [index, { client, tool }] of clients.entries()) {
        const started = performance.now();
        await client.callTool({ name: tool, arguments: { a: i, b: 1 } });
        if (i >= 0) times[index]!.push(performance.now() - started);
      }
    }
  } finally {
    await Promise.all(clients.map(({ client }) => client.close()));
  }
  return times;
}

async function httpThroughput(target: Target, env: NodeJS.ProcessEnv, clientCount: number): Promise<number> {
  const child = spawn(process.execPath, target.args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let stderr = '';
    const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const found = /serving MCP at (\S+)/.exec(stderr)?.[1];
        const bearer = /bearer token (\S+)/.exec(stderr)?.[1];
        if (found && bearer) resolve({ url: found, token: bearer });
      });
      child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
    });
    const clients = await Promise.all(
      Array.from({ length: clientCount }, async () => {
        const client = new Client({ name: 'bench', version: '1.0.0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(url), {
            requestInit: { headers: { authorization: `Bearer ${token}` } },
          }),
        );
        return client;
      }),
    );
    const tool = (await clients[0]!.listTools()).tools.find((t) => t.name.endsWith(target.tool))!.name;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < HTTP_CALLS / clientCount; i++)
          await client.callTool({ name: tool, arguments: { a: i, b: 1 } });
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(clients.map((c) => c.close()));
    return HTTP_CALLS / seconds;
  } finally {
    child.kill('SIGTERM');
  }
}

export async function mcpScenarios(bench: Bench): Promise<Scenario[]> {
  const basic = await cComponentPath('c/basic');
  const env = { ...process.env, WTOOLS_HOME: path.join(bench.scratch, 'mcp') };
  const wtools: Target = { args: [bench.cli, 'serve', basic, '--quiet', '--no-builtin-tools'], tool: '.add' };
  const plain: Target = { args: [PLAIN], tool: 'plain.add' };

  const hop: Target = { args: [WORKER_HOP], tool: 'hop.add' };
  const [subjectTimes, baselineTimes, hopTimes] = (await stdioLatencies([wtools, plain, hop], env)) as [
    number[],
    number[],
    number[],
  ];
  const subject = summarize(subjectTimes);
  const baseline = summarize(baselineTimes);
  const floor = summarize(hopTimes);
  const ratio = subject.median / baseline.median;
  const roundTrip: Scenario = {
    name: `tools/call round trip over stdio, small export (C add, ${CALLS} calls)`,
    goal: 'p50 ≤ 1.5 × a plain JS tool on the same SDK server',
    met: ratio <= 1.5,
    subject: { ...subject, runs: [] },
    baseline: { name: 'a plain JS tool on wtools’ MCP server', sample: { ...baseline, runs: [] } },
    ratio,
    note:
      `p99 ${percentile(subjectTimes, 0.99).toFixed(3)} ms vs ${percentile(baselineTimes, 0.99).toFixed(3)} ms ` +
      `(${(percentile(subjectTimes, 0.99) / percentile(baselineTimes, 0.99)).toFixed(2)}×); the same plain tool ` +
      `computed in a worker thread (the hop every sandboxed call pays) took p50 ${floor.median.toFixed(3)} ms ` +
      `(${(floor.median / baseline.median).toFixed(2)}× plain), so wtools adds ` +
      `${(subject.median - floor.median).toFixed(3)} ms above that floor`,
  };
  const workerHop: Scenario = {
    name: 'tools/call round trip over stdio: the worker-thread hop alone (the floor under any sandboxed call)',
    goal: 'measure only (explains the round-trip ratio)',
    met: true,
    subject: { ...floor, runs: [] },
    baseline: { name: 'a plain JS tool on wtools’ MCP server', sample: { ...baseline, runs: [] } },
    ratio: floor.median / baseline.median,
  };

  const throughput: Scenario[] = [];
  for (const clients of HTTP_CLIENT_COUNTS) {
    const wtoolsRate = await httpThroughput(
      { ...wtools, args: [...wtools.args, '--http', '127.0.0.1:0', '--pool', '2'] },
      env,
      clients,
    );
    const plainRate = await httpThroughput({ ...plain, args: [...plain.args, '--http'] }, env, clients);
    throughput.push({
      name: `throughput, ${clients} concurrent Streamable HTTP client${clients > 1 ? 's' : ''} (higher is better)`,
      goal: 'measure only',
      met: true,
      subject: summarize([wtoolsRate]),
      baseline: { name: 'a plain JS tool on wtools’ MCP server', sample: summarize([plainRate]) },
      ratio: wtoolsRate / plainRate,
      unit: 'calls/s',
    });
  }
  return [roundTrip, workerHop, ...throughput];
}
