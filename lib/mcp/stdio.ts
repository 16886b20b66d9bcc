/**
 * `wtools serve` over stdio: one session, JSON-RPC on stdin/stdout. Nothing else may write to stdout
 * while this runs; diagnostics go to stderr.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createLogger, describeError } from '../core/index.js';
import type { ToolProvider } from './provider.js';
import { type ServerInfo, createMcpServer } from './server.js';

const log = createLogger('mcp-stdio');

/** The one session of a stdio connection. */
export const STDIO_SESSION = 'stdio';

export interface StdioOptions {
  /** Ends the session (the caller maps SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
  /** Defaults to process.stdin. */
  stdin?: Readable;
  /** Defaults to process.stdout: the one place lib/ writes to it. */
  stdout?: Writable;
}

/**
 * Serves `provider` on stdin/stdout until the client closes stdin, stdout breaks, or `signal` aborts.
 * In-flight calls see their signal aborted when the session ends.
 */
export async function serveStdio(
  provider: ToolProvider,
  info: ServerInfo,
  options: StdioOptions = {},
): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  // eslint-disable-next-line no-restricted-properties -- the MCP stdio transport owns stdout
  const stdout = options.stdout ?? process.stdout;
  if (options.signal?.aborted) return;

  const server = createMcpServer(provider, info, { sessionId: STDIO_SESSION });
  const transport = new StdioServerTransport(stdin, stdout);
  let finish!: () => void;
  const closed = new Promise<void>((resolve) => (finish = resolve));
  let ending = false;
  const end = (why: string) => {
    if (ending) return;
    ending = true;
    log.debug(`stdio session ends: ${why}`);
    server.close().catch((err: unknown) => log.debug(`closing the server: ${describeError(err)}`));
  };

  const onEnd = () => end('stdin closed');
  const onAbort = () => end('aborted');
  // A client that goes away turns our next write into EPIPE; unhandled, that would crash the process.
  const onStdoutError = (err: Error) => end(`stdout: ${describeError(err)}`);
  const onStdinError = (err: Error) => end(`stdin: ${describeError(err)}`);
  transport.onclose = () => finish();
  transport.onerror = (err) => log.debug(`stdio transport: ${describeError(err)}`);
  stdin.once('end', onEnd);
  stdin.once('close', onEnd);
  stdin.on('error', onStdinError);
  stdout.on('error', onStdoutError);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await server.connect(transport);
    await closed;
  } finally {
    stdin.off('end', onEnd);
    stdin.off('close', onEnd);
    stdin.off('error', onStdinError);
    // onStdoutError stays: a write still in flight may fail after the session ended.
    options.signal?.removeEventListener('abort', onAbort);
    await provider.endSession?.(STDIO_SESSION);
  }
}
