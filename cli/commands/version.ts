import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { GlobalFlags } from '../common.js';
import { printJson, printLine } from '../output.js';

/** The nearest package.json named wtools above this file: the same from dist/cli and dist/bundle. */
function packageVersion(): string {
  for (let url = new URL('./package.json', import.meta.url); ;) {
    try {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'wtools' && pkg.version) return pkg.version;
    } catch {
      // not here: look one folder up
    }
    const parent = new URL('../package.json', new URL('.', url));
    if (parent.href === url.href) return 'unknown';
    url = parent;
  }
}

export const versionCommand = {
  command: 'version',
  describe: 'Print the version of wtools and of Node.js',
  builder: (yargs: Argv<GlobalFlags>) => yargs,
  handler: async (argv: GlobalFlags) => {
    const info = { wtools: packageVersion(), node: process.versions.node };
    if (argv.json) return printJson(info);
    printLine(`wtools ${info.wtools} (node ${info.node})`);
  },
};
