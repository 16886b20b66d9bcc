// The `add` tool both MCP baselines offer (plain-mcp-server.mjs and worker-hop-mcp-server.mjs), the
// same in schema and result as the C fixture's, so only where the sum is computed differs.
import process from 'node:process';

/* global AbortController */

/** A ToolProvider with one tool, `name`, whose result is `await compute(a, b)`. */
export function addProvider(name, compute) {
  const add = {
    name,
    inputSchema: {
      type: 'object',
      properties: { a: { type: 'integer' }, b: { type: 'integer' } },
      required: ['a', 'b'],
      additionalProperties: false,
    },
    outputSchema: { type: 'object', properties: { result: { type: 'integer' } }, required: ['result'] },
  };
  return {
    listTools: () => [add],
    callTool: async (_name, args) => {
      const result = await compute(args.a, args.b);
      return { content: [{ type: 'text', text: String(result) }], structuredContent: { result } };
    },
    onToolsChanged: () => () => {},
  };
}

/** Aborted on SIGTERM: how the benchmark ends a baseline server. */
export function stopOnSigterm() {
  const abort = new AbortController();
  process.once('SIGTERM', () => abort.abort());
  return abort.signal;
}
