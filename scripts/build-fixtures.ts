// Builds every fixture component once; later runs find them in .cache/fixtures by content hash.
import { readdir } from 'node:fs/promises';
import { bigComponentPath, fixturePath } from '../test/harness/fixtures.js';

const started = Date.now();
const names = (await readdir(new URL('../components/fixtures/', import.meta.url)))
  .filter((f) => f.endsWith('.wat'))
  .map((f) => f.slice(0, -4));
for (const name of names) await fixturePath(name);
await bigComponentPath(12 * 1024 * 1024);
process.stderr.write(
  `fixtures ready (${names.length} components + 12 MiB component) in ${Date.now() - started} ms\n`,
);
