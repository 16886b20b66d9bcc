import type { Argv } from 'yargs';
import { packageVersion } from '../../lib/index.js';
import type { GlobalFlags } from '../common.js';
import { printJson, printLine } from '../output.js';

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
