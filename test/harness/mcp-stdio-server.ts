/**
 * A child process for the stdio tests: serves the FakeProvider over stdin/stdout with serveStdio.
 * Run with `node --import tsx test/harness/mcp-stdio-server.ts`. SIGINT/SIGTERM end it the way the CLI
 * will: through the AbortSignal. It prints one line to stderr when serveStdio has returned.
 */
import { serveStdio } from '../../lib/mcp/index.js';
import { FakeProvider } from './mcp-fake-provider.js';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort('SIGINT'));
process.once('SIGTERM', () => stop.abort('SIGTERM'));

await serveStdio(
  new FakeProvider(),
  { name: 'wtools-test', version: '0.0.0', instructions: 'Test tools.' },
  { signal: stop.signal },
);
process.stderr.write(
  `mcp-stdio-server: done (${stop.signal.aborted ? String(stop.signal.reason) : 'stdin closed'})\n`,
);
// stdin may still hold the event loop open after the transport paused it.
process.stdin.destroy();
