// The baseline of the MCP benchmarks: wtools' own MCP server (same SDK, same transports) offering a
// plain JavaScript `add` tool, so that the difference to `wtools serve` is the sandbox alone.
import process from 'node:process';
import { serveHttp, serveStdio } from '../dist/lib/mcp/index.js';
import { addProvider, stopOnSigterm } from './add-tool.mjs';

const provider = addProvider('plain.add', (a, b) => a + b);
const info = { name: 'plain', version: '1.0.0' };
const signal = stopOnSigterm();
if (process.argv[2] === '--http') {
  const handle = await serveHttp(provider, info, { host: '127.0.0.1', port: 0, signal });
  process.stderr.write(`serving MCP at ${handle.url}\nbearer token ${handle.token}\n`);
  signal.addEventListener('abort', () => void handle.close());
} else {
  await serveStdio(provider, info, { signal });
}
