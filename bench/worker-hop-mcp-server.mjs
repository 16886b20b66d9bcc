// A second baseline of the MCP benchmarks: the plain `add` tool of plain-mcp-server.mjs, computed in
// a worker thread, with no sandbox, no validation and no WebAssembly. Its distance from the plain
// tool is the price of the thread hop alone, which every sandboxed call pays (a guest runs in a
// worker so that a call that never returns can be ended), so it is the floor under `wtools serve`.
import process from 'node:process';
import { Worker } from 'node:worker_threads';
import { serveStdio } from '../dist/lib/mcp/index.js';

/* global AbortController */

const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', ({ id, a, b }) => parentPort.postMessage({ id, result: a + b }));`,
  { eval: true },
);
worker.unref(); // the server ends when its stdin does
const pending = new Map();
let nextId = 0;
worker.on('message', ({ id, result }) => {
  pending.get(id)?.(result);
  pending.delete(id);
});
const addInWorker = (a, b) =>
  new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    worker.postMessage({ id, a, b });
  });

const add = {
  name: 'hop.add',
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
    const result = await addInWorker(args.a, args.b);
    return { content: [{ type: 'text', text: String(result) }], structuredContent: { result } };
  },
  onToolsChanged: () => () => {},
};
const abort = new AbortController();
process.once('SIGTERM', () => abort.abort());
abort.signal.addEventListener('abort', () => void worker.terminate());
await serveStdio(provider, { name: 'hop', version: '1.0.0' }, { signal: abort.signal });
