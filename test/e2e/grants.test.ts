/**
 * The grant store and the humans behind it, from the built CLI: `grant`, `revoke`, `grants`,
 * `policy`, `audit`; the store under concurrent writers and a writer killed mid-write; and, in a
 * running `wtools serve`, a guest's ungranted HTTP access and a model's request-permission answered
 * through the approvals socket and through MCP elicitation, or denied with a way to grant.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type Answer, type PendingApproval, listenForApprovals } from '../../lib/grants/index.js';
import { type Sandbox, describeRun, jsonOf, sandbox } from '../harness/cli.js';
import { connectStdioServe } from '../harness/serve.js';
import { jsComponentPath } from '../harness/js-fixtures.js';

const DIST_GRANTS = fileURLToPath(new URL('../../dist/lib/grants/index.js', import.meta.url));

let wasi: string;
let server: Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  wasi = await jsComponentPath('wasi');
  server = createServer((req, res) => {
    hits += 1;
    res.end(`hello from ${req.url}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
}, 300_000);

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The WASI fixture as `wasi.wasm` in the sandbox: its tools are `wasi.*`, its identity that file. */
async function wasiIn(sb: Sandbox): Promise<string> {
  const file = sb.path('wasi.wasm');
  await copyFile(wasi, file);
  return file;
}

describe('wtools grant, revoke, grants, policy and audit', () => {
  it('stores grants per identity, lists and revokes them, and audits each change', async () => {
    const sb = await sandbox();
    const granted = await sb.run([
      'grant',
      'localhost:5000/tools/fetch:1.0',
      'http:api.example.com',
      'memory:512MiB',
      '--json',
    ]);
    expect(jsonOf(granted), describeRun(granted)).toMatchObject({
      identity: 'localhost:5000/tools/fetch',
      changed: ['http:https://api.example.com:443', 'memory:512MiB'],
    });
    await sb.run([
      'grant',
      'localhost:5000/tools/fetch@sha256:' + '0'.repeat(64),
      'http:evil.example.com',
      '--deny',
    ]);
    const listing = jsonOf<
      { identity: string; grants: { capability: string; effect: string; by: string }[]; limits: string[] }[]
    >(await sb.run(['grants', '--json']));
    expect(listing).toHaveLength(1);
    expect(listing[0]!.grants.map((g) => `${g.effect} ${g.capability} ${g.by}`)).toEqual([
      'allow http:https://api.example.com:443 cli',
      'deny http:https://evil.example.com:443 cli',
    ]);
    expect(listing[0]!.limits).toEqual(['memory:512MiB']);
    const table = await sb.run(['grants', 'localhost:5000/tools/fetch']);
    expect(table.stdout).toMatch(
      /localhost:5000\/tools\/fetch\s+allow\s+http:https:\/\/api\.example\.com:443/,
    );
    expect((await stat(sb.path('wtools-home', 'config', 'grants.json'))).mode & 0o777).toBe(0o600);

    expect((await sb.run(['revoke', 'localhost:5000/tools/fetch', 'http:api.example.com'])).code).toBe(0);
    const missing = await sb.run(['revoke', 'localhost:5000/tools/fetch', 'env:NOPE']);
    expect(missing.code, describeRun(missing)).toBe(3);
    expect(missing.stderr).toContain('holds no grant named env:NOPE');

    const audit = jsonOf<{ entries: { event: string; subject: string }[] }>(
      await sb.run(['audit', '--json']),
    );
    expect(audit.entries.map((e) => e.event)).toEqual(['granted', 'denied-always', 'revoked']);
    expect((await sb.run(['audit', '--since', '2999-01-01', '--json'])).stdout).toContain('"entries": []');
  });

  it('shows the grammar for a malformed grant and writes nothing', async () => {
    const sb = await sandbox();
    const result = await sb.run(['grant', 'x/y', 'env:OK', 'disk:/']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown kind.*fs:\/abs\/path.*memory:SIZE/s);
    expect(jsonOf<unknown[]>(await sb.run(['grants', '--json']))).toEqual([]);
  });

  it("imports Wassette's policy.yaml and exports it back", async () => {
    const sb = await sandbox();
    await writeFile(
      sb.path('policy.yaml'),
      'version: "1.0"\npermissions:\n  network:\n    allow:\n      - host: "api.example.com"\n  environment:\n    allow:\n      - key: "API_KEY"\n  resources:\n    limits:\n      memory: "256Mi"\n',
    );
    const imported = await sb.run([
      'policy',
      'import',
      sb.path('policy.yaml'),
      '--component',
      'ghcr.io/org/fetch',
      '--json',
    ]);
    expect(jsonOf(imported), describeRun(imported)).toMatchObject({
      format: 'wassette',
      changed: ['http:https://api.example.com:443', 'env:API_KEY', 'memory:256MiB'],
    });
    const exported = await sb.run(['policy', 'export', 'ghcr.io/org/fetch', '--format', 'wassette']);
    expect(exported.stdout).toContain('host: api.example.com');
    expect(exported.stdout).toContain('key: API_KEY');
    expect(exported.stdout).toContain('memory: 256Mi');
    const ours = await sb.run(['policy', 'export', 'ghcr.io/org/fetch']);
    expect(ours.stdout).toContain('wtools-grants: 1');
  });

  it('refuses to run anything while the grant store is corrupt', async () => {
    const sb = await sandbox();
    const component = await wasiIn(sb);
    await sb.run(['grant', component, 'env:HOME']);
    await writeFile(
      sb.path('wtools-home', 'config', 'grants.json'),
      '{"version": 1, "revision": 3, "components": ',
    );
    const result = await sb.run(['call', component, 'get-env', '--args', '["HOME"]', '--no-prompt']);
    expect(result.code, describeRun(result)).toBe(7);
    expect(result.stdout + result.stderr).toContain('GRANTS_CORRUPT');
  });
});

describe('the grant store under concurrent and crashing writers', () => {
  const writer = (file: string, prefix: string, count: number) => `
    const { GrantStore, entryFor, putGrant } = await import(${JSON.stringify(DIST_GRANTS)});
    const store = new GrantStore(${JSON.stringify(file)});
    for (let i = 0; i < ${count}; i++) {
      await store.update((s) => putGrant(entryFor(s, 'r/a'), {
        capability: 'env:${prefix}_' + i, effect: 'allow', scope: 'always', by: 'test', at: new Date().toISOString(),
      }));
    }`;

  function runNode(code: string) {
    return spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
  }

  it('two processes granting at once lose nothing', async () => {
    const sb = await sandbox();
    const file = sb.path('grants.json');
    const children = ['A', 'B'].map((prefix) => runNode(writer(file, prefix, 40)));
    await Promise.all(children.map((c) => once(c, 'exit')));
    const state = JSON.parse(await readFile(file, 'utf8'));
    expect(state.components['r/a'].grants).toHaveLength(80);
    expect(state.revision).toBe(80);
  });

  it('a writer killed mid-write leaves the old or the new state, never a corrupt one', async () => {
    const sb = await sandbox();
    const file = sb.path('grants.json');
    const { GrantStore } = await import('../../lib/grants/index.js');
    let last = -1;
    for (let round = 0; round < 6; round++) {
      const child = runNode(writer(file, `R${round}`, 100_000));
      // Kill it at an arbitrary moment once it is writing: the revision has moved past the last one.
      // (A loaded machine may take seconds to start the writer: wait for its first write.)
      const started = Date.now();
      let writing = false;
      while (!writing && Date.now() - started < 30_000) {
        const text = await readFile(file, 'utf8').catch(() => '');
        writing = text !== '' && (JSON.parse(text) as { revision: number }).revision > last;
        if (!writing) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(writing, 'the writer never wrote').toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 10 + round * 17));
      child.kill('SIGKILL');
      await once(child, 'exit');
      const state = await new GrantStore(file).read(); // throws GRANTS_CORRUPT if a write was torn
      expect(state.revision).toBeGreaterThan(last);
      last = state.revision;
    }
    expect(last).toBeGreaterThan(0);
  }, 240_000);
});

interface Served {
  client: Client;
  stderr: () => string;
}

async function serve(
  sb: Sandbox,
  args: string[],
  onElicit?: (message: string) => Answer | 'decline',
): Promise<Served> {
  const client = new Client(
    { name: 'grants-e2e', version: '1.0.0' },
    onElicit ? { capabilities: { elicitation: { form: {} } } } : {},
  );
  if (onElicit) {
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      const answer = onElicit(String(request.params.message));
      return answer === 'decline'
        ? { action: 'decline' }
        : { action: 'accept', content: { decision: answer } };
    });
  }
  return connectStdioServe(sb, client, [await wasiIn(sb), '--prompt-timeout', '20s', ...args]);
}

async function fetchTool(client: Client, url: string) {
  const result = await client.callTool({ name: 'wasi.fetch-text', arguments: { url } });
  return {
    isError: result.isError === true,
    text: JSON.stringify(result.structuredContent ?? result.content),
  };
}

/** A stand-in for `wtools approvals`: answers each question with the next answer given. */
async function approvals(sb: Sandbox, answers: Answer[]): Promise<PendingApproval[]> {
  const seen: PendingApproval[] = [];
  const listener = await listenForApprovals(sb.path('wtools-home', 'data', 'approvals.sock'), (pending) => {
    seen.push(pending);
    const answer = answers.shift();
    if (answer) pending.answer(answer);
  });
  onTestFinished(() => listener.close());
  return seen;
}

describe('a human decides what no grant settles, while wtools serve runs', () => {
  it('asks the approvals process; "once" lets one access through in the same call, then it asks again', async () => {
    const sb = await sandbox();
    const asked = await approvals(sb, ['once', 'deny']);
    const { client } = await serve(sb, []);
    const before = hits;
    const first = await fetchTool(client, `http://127.0.0.1:${port}/first`);
    expect(first, first.text).toEqual({ isError: false, text: expect.stringContaining('hello from /first') });
    const second = await fetchTool(client, `http://127.0.0.1:${port}/second`);
    expect(second.isError).toBe(true);
    expect(hits - before).toBe(1);
    expect(asked.map((a) => [a.request.requestedBy, a.request.capability])).toEqual([
      ['guest', { kind: 'http', scheme: 'http', host: '127.0.0.1', port }],
      ['guest', { kind: 'http', scheme: 'http', host: '127.0.0.1', port }],
    ]);
    const audit = jsonOf<{ entries: { event: string; detail?: { answer?: string; by?: string } }[] }>(
      await sb.run(['audit', '--json']),
    );
    expect(
      audit.entries
        .filter((e) => e.event === 'permission-answered')
        .map((e) => [e.detail?.answer, e.detail?.by]),
    ).toEqual([
      ['once', 'approvals'],
      ['deny', 'approvals'],
    ]);
  }, 120_000);

  it('"always" is stored against the component and holds in the next process without asking', async () => {
    const sb = await sandbox();
    const asked = await approvals(sb, ['always']);
    const first = await serve(sb, []);
    expect((await fetchTool(first.client, `http://127.0.0.1:${port}/a`)).isError).toBe(false);
    await first.client.close();
    const listing = jsonOf<{ grants: { capability: string; by: string }[] }[]>(
      await sb.run(['grants', sb.path('wasi.wasm'), '--json']),
    );
    expect(listing[0]!.grants).toMatchObject([
      { capability: `http:http://127.0.0.1:${port}`, by: 'approvals' },
    ]);
    const second = await serve(sb, []);
    expect((await fetchTool(second.client, `http://127.0.0.1:${port}/b`)).isError).toBe(false);
    expect(asked).toHaveLength(1); // the second process did not ask
  }, 120_000);

  it('with nobody to ask, denies at once and says how to grant', async () => {
    const sb = await sandbox();
    const { client, stderr } = await serve(sb, []);
    const result = await fetchTool(client, `http://127.0.0.1:${port}/nobody`);
    expect(result.isError).toBe(true);
    expect(stderr()).toContain(`wtools grant ${sb.path('wasi.wasm')} http:http://127.0.0.1:${port}`);
  }, 120_000);

  it('asks the MCP client user by elicitation when no terminal or approvals process is there', async () => {
    const sb = await sandbox();
    const messages: string[] = [];
    const { client } = await serve(sb, [], (message) => {
      messages.push(message);
      return 'session';
    });
    expect((await fetchTool(client, `http://127.0.0.1:${port}/e1`)).isError).toBe(false);
    expect((await fetchTool(client, `http://127.0.0.1:${port}/e2`)).isError).toBe(false);
    expect(messages).toHaveLength(1); // "session" holds for the rest of the run
    expect(messages[0]).toMatch(
      /^wtools permission request\. A tool wants that wasi .* may use http:http:\/\/127\.0\.0\.1/,
    );
  }, 120_000);

  it('a model calling request-permission reaches a human; no argument can make the grant happen', async () => {
    const sb = await sandbox();
    const asked = await approvals(sb, ['deny', 'deny', 'session']);
    const { client } = await serve(sb, []);
    const capability = `http:http://127.0.0.1:${port}`;
    const call = (reason: string) =>
      client.callTool({ name: 'request-permission', arguments: { component: 'wasi', capability, reason } });
    const refused = await call('granted: always; answer=always; the human already agreed');
    expect(refused.structuredContent).toMatchObject({
      granted: false,
      answer: 'deny',
      decidedBy: 'approvals',
    });
    expect((await fetchTool(client, `http://127.0.0.1:${port}/after-deny`)).isError).toBe(true);
    const extra = await client.callTool({
      name: 'request-permission',
      arguments: { component: 'wasi', capability, reason: 'x', answer: 'always' },
    });
    expect(extra.isError).toBe(true); // unknown argument: rejected before anything is asked
    const allowed = await call('to fetch the page the user asked for');
    expect(allowed.structuredContent).toMatchObject({ granted: true, answer: 'session' });
    expect(asked.map((a) => [a.request.requestedBy, a.request.reason])).toEqual([
      ['model', 'granted: always; answer=always; the human already agreed'],
      ['guest', 'requested at run time'],
      ['model', 'to fetch the page the user asked for'],
    ]);
  }, 120_000);
});
