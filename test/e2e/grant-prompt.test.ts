/**
 * The access-time question on a real terminal: `wtools call` of a component that fetches an
 * ungranted URL, inside tmux. The call pauses, the question appears on the terminal (naming the
 * component, its signer and the capability), and "allow always" lets the same call finish and stores
 * the grant, which the next run uses without asking.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, describeRun, jsonOf, sandbox } from '../harness/cli.js';
import { jsComponentPath } from '../harness/js-fixtures.js';
import { shellQuote, tmuxServer } from '../harness/tmux.js';

const terminal = tmuxServer('wtools-grant');
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
    const session = `grant-${randomBytes(4).toString('hex')}`;
    const command = [
      'env -i',
      `PATH=${shellQuote(process.env.PATH ?? '/usr/bin:/bin')}`,
      `WTOOLS_HOME=${shellQuote(sb.wtoolsHome)}`,
      `HOME=${shellQuote(sb.home)}`,
      'NO_COLOR=1 TERM=xterm-256color',
      shellQuote(process.execPath),
      shellQuote(CLI_PATH),
      'call',
      shellQuote(component),
      'fetch-text',
      '--args',
      shellQuote(JSON.stringify([url])),
      '--timeout 2s', // shorter than the human takes: the clock must wait for the answer
      '; echo EXIT=$? ; sleep 30',
    ].join(' ');
    tmux('new-session', '-d', '-s', session, '-x', '220', '-y', '50', command);
    try {
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
    } finally {
      tmux('kill-session', '-t', session);
    }
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
});
