/**
 * The human's questions on a real terminal (tmux), end to end from the CLI:
 * - at the moment of access: `wtools call` of a component that fetches an ungranted URL pauses, the
 *   question names the component, its signer and the capability, and "allow always" lets the same
 *   call finish and stores the grant, which the next run uses without asking;
 * - in `wtools approvals`: a call in a process with no terminal is answered from another terminal;
 * - at pull: the signer, what the imports and the publisher's policy layer ask for, and a checkbox
 *   whose ticked entries (only those) are stored.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFile, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, type Sandbox, describeRun, jsonOf, sandbox } from '../harness/cli.js';
import { jsComponentPath } from '../harness/js-fixtures.js';
import { shellQuote, tmuxServer } from '../harness/tmux.js';

const terminal = tmuxServer('wtools-grant');

/** A shell command for tmux: wtools with only the sandbox's environment, then its exit code. */
function wtoolsCommand(sb: Sandbox, args: readonly string[], cwd = sb.home): string {
  return [
    `cd ${shellQuote(cwd)} &&`,
    'env -i',
    `PATH=${shellQuote(process.env.PATH ?? '/usr/bin:/bin')}`,
    `WTOOLS_HOME=${shellQuote(sb.wtoolsHome)}`,
    `HOME=${shellQuote(sb.home)}`,
    'NO_COLOR=1 TERM=xterm-256color',
    shellQuote(process.execPath),
    shellQuote(CLI_PATH),
    ...args.map(shellQuote),
    '; echo EXIT=$? ; sleep 30',
  ].join(' ');
}

/** Runs a command in a fresh tmux session, gives the session to `use`, and always ends it. */
async function inTerminal(command: string, use: (session: string) => Promise<void>): Promise<void> {
  const session = `wtools-${randomBytes(4).toString('hex')}`;
  tmux('new-session', '-d', '-s', session, '-x', '220', '-y', '50', command);
  try {
    await use(session);
  } finally {
    tmux('kill-session', '-t', session);
  }
}
const tmux = terminal.run;

let server: Server;
let port: number;

beforeAll(async () => {
  await jsComponentPath('wasi');
  server = createServer((req, res) => res.end(`hello from ${req.url}`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
}, 300_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await terminal.close();
});

describe('the permission question on a terminal', () => {
  it('pauses the call, asks, and "allow always" finishes it and is stored', async () => {
    const sb = await sandbox();
    const component = sb.path('wasi.wasm');
    await copyFile(await jsComponentPath('wasi'), component);
    const url = `http://127.0.0.1:${port}/asked`;
    const command = wtoolsCommand(sb, [
      'call',
      component,
      'fetch-text',
      '--args',
      JSON.stringify([url]),
      ...['--timeout', '2s'], // shorter than the human takes: the clock must wait for the answer
    ]);
    await inTerminal(command, async (session) => {
      const prompt = await terminal.waitForPane(
        session,
        (s) => s.includes('deny always'),
        'the permission question',
        60_000,
      );
      expect(prompt).toContain(
        `wasi (file:${component}, signed unsigned) wants http:http://127.0.0.1:${port}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 2500)); // past the call's own timeout
      // The cursor starts on "deny" (the default); "allow always" is just above it.
      tmux('send-keys', '-t', session, 'Up');
      tmux('send-keys', '-t', session, 'Enter');
      const screen = await terminal.waitForPane(session, (s) => s.includes('EXIT='), 'the result', 60_000);
      expect(screen).toContain('EXIT=0');
      expect(screen.replace(/\s+/g, '')).toContain('"result":"status200:hellofrom/asked"');
    });
    const listing = jsonOf<{ grants: { capability: string; by: string }[] }[]>(
      await sb.run(['grants', component, '--json']),
    );
    expect(listing[0]?.grants).toMatchObject([
      { capability: `http:http://127.0.0.1:${port}`, by: 'terminal' },
    ]);
    const again = await sb.run([
      'call',
      component,
      'fetch-text',
      '--args',
      JSON.stringify([url]),
      '--no-prompt',
    ]);
    expect(jsonOf(again), describeRun(again)).toMatchObject({
      ok: true,
      result: `status 200: hello from /asked`,
    });
  }, 120_000);

  it('wtools approvals answers a call that has no terminal of its own', async () => {
    const sb = await sandbox();
    const component = sb.path('wasi.wasm');
    await copyFile(await jsComponentPath('wasi'), component);
    await inTerminal(wtoolsCommand(sb, ['approvals']), async (session) => {
      await terminal.waitForPane(session, (s) => s.includes('waiting for requests'), 'approvals to start');
      // No controlling terminal for this one (and --no-prompt besides): only `approvals` can answer.
      const call = sb.run([
        'call',
        component,
        'fetch-text',
        '--args',
        JSON.stringify([`http://127.0.0.1:${port}/approved`]),
        '--no-prompt',
      ]);
      const screen = await terminal.waitForPane(
        session,
        (s) => s.includes('deny always'),
        'the question in wtools approvals',
      );
      expect(screen.replace(/\s+/g, ' ')).toContain(
        `wasi (file:${component}, signed unsigned) wants http:http://127.0.0.1:${port}`,
      );
      // From "deny" (the default) up to "allow once".
      for (const key of ['Up', 'Up', 'Up', 'Enter']) tmux('send-keys', '-t', session, key);
      const result = await call;
      expect(jsonOf(result), describeRun(result)).toMatchObject({
        ok: true,
        result: 'status 200: hello from /approved',
      });
    });
    const audit = jsonOf<{ entries: { event: string; detail?: { answer?: string; by?: string } }[] }>(
      await sb.run(['audit', '--json']),
    );
    expect(audit.entries.filter((e) => e.event === 'permission-answered').map((e) => e.detail)).toMatchObject(
      [{ answer: 'once', by: 'approvals' }],
    );
  }, 120_000);

  it('at pull, shows what the component and its publisher ask for, and stores only what is ticked', async () => {
    const sb = await sandbox();
    const component = sb.path('wasi.wasm');
    await copyFile(await jsComponentPath('wasi'), component);
    const policy = sb.path('policy.yaml');
    await writeFile(
      policy,
      [
        'version: "1.0"',
        'permissions:',
        '  network:',
        '    allow:',
        '      - host: "api.example.com"',
        '  environment:',
        '    allow:',
        '      - key: "API_KEY"',
        '',
      ].join('\n'),
    );
    const layout = sb.path('layout');
    const pushed = await sb.run(['push', component, `oci:${layout}:1`, '--policy-layer', policy]);
    expect(pushed.code, describeRun(pushed)).toBe(0);

    await inTerminal(wtoolsCommand(sb, ['pull', `oci:${layout}:1`], sb.root), async (session) => {
      const screen = await terminal.waitForPane(
        session,
        (s) => s.includes('Grant before it runs'),
        'the pre-grant checkbox',
      );
      const text = screen.replace(/\s+/g, ' ');
      expect(text).toContain('signed: unsigned');
      expect(text).toContain('files (only granted directories');
      expect(text).toContain('outgoing HTTP (only granted origins');
      expect(text).toContain(
        "its publisher's policy asks for: http:https://api.example.com:443, env:API_KEY (a request, not a grant)",
      );
      // The choices, all unticked: the current directory read-only, read-write, then the policy's two.
      expect(text).toContain(`fs:${sb.root}:ro`);
      expect(text).toContain('env:API_KEY');
      // Tick the third (the HTTP origin) only.
      for (const key of ['Down', 'Down', 'Space', 'Enter']) tmux('send-keys', '-t', session, key);
      const done = await terminal.waitForPane(session, (s) => s.includes('EXIT='), 'pull to finish');
      expect(done).toContain('EXIT=0');
      expect(done).toContain('granted  http:https://api.example.com:443 (always)');
    });
    const listing = jsonOf<{ identity: string; grants: { capability: string; by: string }[] }[]>(
      await sb.run(['grants', `oci:${layout}`, '--json']),
    );
    expect(listing).toMatchObject([
      {
        identity: `oci:${layout}`,
        grants: [{ capability: 'http:https://api.example.com:443', by: 'prompt' }],
      },
    ]);
    expect(listing[0]!.grants).toHaveLength(1);
  }, 120_000);
});
