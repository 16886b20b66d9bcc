// Builds one JavaScript fixture component. Run in a child process of its own (a build peaks at
// ~0.8 GB), with the preload that makes componentize-js work offline:
//
//   node --import ./preload.mjs build.mjs <component folder> <output file>
//
// The component folder holds build.json ({ source, world, wit?, disableFeatures? }), the JS source
// and a wit/ folder (or `wit`, a path relative to the folder). Paths must be absolute: componentize-js resolves them on the shim's "/" preopen.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { componentize, version } from '@bytecodealliance/componentize-js';

const [dir, out] = process.argv.slice(2).map((p) => path.resolve(p));
if (!dir || !out) throw new Error('usage: build.mjs <component folder> <output file>');
const config = JSON.parse(await readFile(path.join(dir, 'build.json'), 'utf8'));

const started = Date.now();
const { component } = await componentize({
  sourcePath: path.join(dir, config.source),
  // `wit` in build.json names a WIT folder elsewhere (the starter components share wit/starter).
  witPath: config.wit ? path.resolve(dir, config.wit) : path.join(dir, 'wit'),
  worldName: config.world,
  disableFeatures: config.disableFeatures ?? [],
});
await writeFile(out, component);
process.stderr.write(
  `componentize-js ${version}: ${path.basename(dir)} -> ${component.length} bytes in ${Date.now() - started} ms\n`,
);
