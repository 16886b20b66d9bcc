/**
 * wasi:cli — environment, arguments, exit, and the standard streams. The environment holds only
 * granted keys; stdout and stderr go to per-call capture buffers, never to the host's streams (in
 * MCP stdio mode the host's stdout is the protocol); exit ends the call, not the process.
 */
import { EMPTY_SOURCE, InputStream, OutputStream, type OutputSink } from './io.js';
import { GuestExit } from './result.js';

export interface CliOptions {
  env: ReadonlyArray<readonly [string, string]>;
  args: readonly string[];
  stdout: OutputSink;
  stderr: OutputSink;
}

export function cliImports(options: CliOptions): Record<string, Record<string, unknown>> {
  const env = options.env.map(([k, v]) => [k, v] as [string, string]);
  const stdout = new OutputStream(options.stdout);
  const stderr = new OutputStream(options.stderr);
  const stdin = new InputStream(EMPTY_SOURCE);
  class TerminalInput {}
  class TerminalOutput {}
  return {
    'wasi:cli/environment': {
      getEnvironment: () => env.map(([k, v]) => [k, v]),
      getArguments: () => [...options.args],
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit(status: { tag: 'ok' | 'err' }): never {
        throw new GuestExit(status.tag === 'ok' ? 0 : 1);
      },
      exitWithCode(code: number): never {
        throw new GuestExit(code);
      },
    },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    // None of the guest's streams is a terminal.
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
  };
}
