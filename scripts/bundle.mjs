// Bundles the CLI into one file: Node's ESM loader costs ~1 ms per module, and start-up is paid by
// every command. The tiny bin stays separate so that Node 22+ can switch on its compile cache
// before the bundle loads. lib/ is also compiled file by file (dist/lib) for programmatic use.
import { build } from 'esbuild';

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
  entryPoints: ['cli/main.ts'],
  outfile: 'dist/bundle/main.js',
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
