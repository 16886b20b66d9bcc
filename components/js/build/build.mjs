// Builds one JavaScript fixture component. Run in a child process of its own (a build peaks at
// ~0.8 GB), with the preload that makes componentize-js work offline:
//
//   node --import ./preload.mjs build.mjs <component folder> <output file>
//
// The component folder holds build.json ({ source, world, wit?, witDeps?, disableFeatures? }), the JS source
// and a wit/ folder (or `wit`, a path relative to the folder). Paths must be absolute: componentize-js resolves them on the shim's "/" preopen.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { componentize, version } from '@bytecodealliance/componentize-js';

const [dir, out] = process.argv.slice(2).map((p) => path.resolve(p));
if (!dir || !out) throw new Error('usage: build.mjs <component folder> <output file>');
const config = JSON.parse(await readFile(path.join(dir, 'build.json'), 'utf8'));

// `wit` in build.json names a WIT folder elsewhere (the starter components share wit/starter).
let witPath = config.wit ? path.resolve(dir, config.wit) : path.join(dir, 'wit');
// `witDeps` names packages of ours (wit/mcp) that the world uses: staged beside it as deps/<name>,
// so that no copy of them is kept in the component's folder.
let staged;
if (config.witDeps?.length) {
  staged = await mkdtemp(path.join(tmpdir(), 'wtools-wit-'));
  await cp(witPath, staged, { recursive: true });
  for (const dep of config.witDeps) {
    await cp(path.resolve(dir, dep), path.join(staged, 'deps', path.basename(dep)), { recursive: true });
  }
  witPath = staged;
}

const started = Date.now();
const { component } = await componentize({
  sourcePath: path.join(dir, config.source),
  witPath,
  worldName: config.world,
  disableFeatures: config.disableFeatures ?? [],
});
if (staged) await rm(staged, { recursive: true, force: true });
await writeFile(out, component);
process.stderr.write(
  `componentize-js ${version}: ${path.basename(dir)} -> ${component.length} bytes in ${Date.now() - started} ms\n`,
);
