// Bundles the CLI: Node's ESM loader costs ~1 ms per module, and start-up is paid by every
// command. Code behind a dynamic import (lib/trust with the Sigstore libraries and the YAML
// parser) goes into chunks that only the commands needing it load. The tiny bin stays separate so
// that Node 22+ can switch on its compile cache before the rest loads. lib/ is also compiled file
// by file (dist/lib) for programmatic use.
import { rmSync } from 'node:fs';
import process from 'node:process';
import { build } from 'esbuild';
import { directImports } from './direct-imports.mjs';

rmSync('dist/bundle', { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // Loaded only when needed (prompts, signing) or too large to inline (jco); resolved from node_modules.
  // @sigstore/sign brings an HTTP stack of ~1.4 MB that would cost every command ~40 ms of start-up.
  external: ['@inquirer/prompts', '@bytecodealliance/*', '@sigstore/sign'],
};

await build({
  ...common,
  entryPoints: { main: 'cli/main.ts' },
  outdir: 'dist/bundle',
  // Each command's chunk holds what it uses, not all that lib/index.ts re-exports.
  plugins: [directImports(process.cwd())],
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS dependencies (yargs) call require(): give the ESM bundle one.
  banner: {
    js: "import { createRequire as __wtoolsRequire } from 'node:module'; const require = __wtoolsRequire(import.meta.url);",
  },
});
await build({
  ...common,
  entryPoints: ['cli/bin.ts'],
  outfile: 'dist/bundle/bin.js',
  external: ['./main.js'],
});
// Code mode's sandbox worker: QuickJS stays in node_modules (its loader finds its .wasm beside it).
await build({
  ...common,
  entryPoints: ['lib/mcp/code-mode/sandbox-worker.ts'],
  outfile: 'dist/bundle/code-mode-worker.js',
  external: [...common.external, '@jitl/*', 'quickjs-emscripten-core'],
});
// The sandbox's worker thread: a separate entry, started by the runtime with new Worker().
await build({
  ...common,
  entryPoints: ['lib/runtime/worker.ts'],
  outfile: 'dist/bundle/runtime-worker.js',
});
