// A second baseline of the MCP benchmarks: the plain `add` tool of plain-mcp-server.mjs, computed in
// a worker thread, with no sandbox, no validation and no WebAssembly. Its distance from the plain
// tool is the price of the thread hop alone, which every sandboxed call pays (a guest runs in a
// worker so that a call that never returns can be ended), so it is the floor under `wtools serve`.
import { Worker } from 'node:worker_threads';
import { serveStdio } from '../dist/lib/mcp/index.js';
import { addProvider, stopOnSigterm } from './add-tool.mjs';

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

const signal = stopOnSigterm();
signal.addEventListener('abort', () => void worker.terminate());
await serveStdio(addProvider('hop.add', addInWorker), { name: 'hop', version: '1.0.0' }, { signal });
