/**
 * `wtools serve --http 127.0.0.1:0` from the built CLI, for e2e tests: started with a sandbox's
 * environment, stopped (by its PID) when the test ends, and resolved once it printed its address and
 * bearer token.
 */
import { spawn } from 'node:child_process';
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
