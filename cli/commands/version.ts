import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { GlobalFlags } from '../common.js';
import { printJson, printLine } from '../output.js';

function packageVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
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
