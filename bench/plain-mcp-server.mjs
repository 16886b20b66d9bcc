// The baseline of the MCP benchmarks: wtools' own MCP server (same SDK, same transports) offering a
// plain JavaScript `add` tool, so that the difference to `wtools serve` is the sandbox alone.
import process from 'node:process';
import { serveHttp, serveStdio } from '../dist/lib/mcp/index.js';

/* global AbortController */

const add = {
  name: 'plain.add',
  inputSchema: {
    type: 'object',
    properties: { a: { type: 'integer' }, b: { type: 'integer' } },
    required: ['a', 'b'],
    additionalProperties: false,
  },
  outputSchema: { type: 'object', properties: { result: { type: 'integer' } }, required: ['result'] },
};
const provider = {
  listTools: () => [add],
  callTool: async (_name, args) => {
    const result = args.a + args.b;
    return { content: [{ type: 'text', text: String(result) }], structuredContent: { result } };
  },
  onToolsChanged: () => () => {},
};
const info = { name: 'plain', version: '1.0.0' };
const abort = new AbortController();
process.once('SIGTERM', () => abort.abort());
if (process.argv[2] === '--http') {
  const handle = await serveHttp(provider, info, { host: '127.0.0.1', port: 0, signal: abort.signal });
  process.stderr.write(`serving MCP at ${handle.url}\nbearer token ${handle.token}\n`);
  abort.signal.addEventListener('abort', () => void handle.close());
} else {
  await serveStdio(provider, info, { signal: abort.signal });
}
