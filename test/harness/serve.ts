/**
 * `wtools serve` from the built CLI, for e2e tests, with a sandbox's environment: over HTTP
 * (`--http 127.0.0.1:0`, stopped by its PID when the test ends, resolved once it printed its
 * address and bearer token) or over stdio with an SDK client.
 */
import { spawn } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { onTestFinished } from 'vitest';
import { CLI_PATH, type Sandbox } from './cli.js';

export interface ServedHttp {
  url: string;
  token: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

export function serveHttpCli(sb: Sandbox, args: readonly string[]): Promise<ServedHttp> {
  const child = spawn(process.execPath, [CLI_PATH, 'serve', ...args, '--http', '127.0.0.1:0'], {
    env: { PATH: process.env.PATH ?? '', ...sb.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    child.kill('SIGTERM');
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = (signal: NodeJS.Signals) => {
    child.kill(signal);
    return exited;
  };
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const url = /serving MCP at (\S+)/.exec(stderr)?.[1];
      const token = /bearer token (\S+)/.exec(stderr)?.[1];
      if (url && token) resolve({ url, token, stderr: () => stderr, stop });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

/**
 * `wtools serve ARGS` over stdio, connected to `client` (set its handlers first); the client is
 * closed, and the server with it, when the test finishes.
 */
export async function connectStdioServe(
  sb: Sandbox,
  client: Client,
  args: readonly string[],
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_PATH, 'serve', ...args],
    env: { PATH: process.env.PATH ?? '', ...sb.env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await client.connect(transport);
  onTestFinished(() => client.close());
  return { client, stderr: () => stderr };
}
