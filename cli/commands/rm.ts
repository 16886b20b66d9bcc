import type { Argv } from 'yargs';
import { removeStored } from '../../lib/index.js';
import { type GlobalFlags, contextFor } from '../common.js';
import { printJson, printLine } from '../output.js';

interface RmArgs extends GlobalFlags {
  target: string[];
}

export const rmCommand = {
  command: 'rm <target..>',
  describe: 'Remove components from the local store by reference or digest (blobs go at the next gc)',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs.positional('target', {
      type: 'string',
      array: true,
      demandOption: true,
      describe: 'REF, DIGEST or a 12+ digit digest prefix',
    }),
  handler: async (argv: RmArgs) => {
    const context = contextFor(argv);
    const removed = [];
    for (const target of argv.target) removed.push(...(await removeStored(context, target)));
    if (argv.json) return printJson(removed);
    for (const entry of removed)
      printLine(argv.quiet ? entry.name : `removed ${entry.name} (${entry.digest})`);
  },
};
