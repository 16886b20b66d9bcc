// Builds every fixture component once; later runs find them in .cache/fixtures by content hash.
import { readdir } from 'node:fs/promises';
import { bigComponentPath, fixturePath } from '../test/harness/fixtures.js';

const started = Date.now();
const names = (await readdir(new URL('../components/fixtures/', import.meta.url)))
  .filter((f) => f.endsWith('.wat'))
  .map((f) => f.slice(0, -4));
for (const name of names) await fixturePath(name);
await bigComponentPath(12 * 1024 * 1024);
// C builds take about a second each, the two JS ones 20 s each: run the families side by side.
const [c, js] = await Promise.all([
  import('../test/harness/c-fixtures.js').then((m) => m.buildCComponents()),
  import('../test/harness/js-fixtures.js').then((m) => m.buildJsComponents()),
]);
process.stderr.write(
  `fixtures ready (${names.length} WAT, ${c.length} C, ${js.length} JS components + 12 MiB component) ` +
    `in ${Date.now() - started} ms\n`,
);
