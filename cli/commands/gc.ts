import type { Argv } from 'yargs';
import { WtoolsError, collectGarbage } from '../../lib/index.js';
import { type GlobalFlags, contextFor } from '../common.js';
import { formatBytes, printJson, printLine } from '../output.js';

interface GcArgs extends GlobalFlags {
  'grace-minutes': number;
}

export const gcCommand = {
  command: 'gc',
  describe: 'Delete blobs that no stored component references',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs.option('grace-minutes', {
      type: 'number',
      default: 10,
      describe: 'Keep unreferenced blobs younger than this (a pull may be in progress)',
    }),
  handler: async (argv: GcArgs) => {
    // NaN (a typo) or a negative number would make every unreferenced blob old enough to delete.
    if (!(argv['grace-minutes'] >= 0)) {
      throw new WtoolsError(
        'USAGE',
        `--grace-minutes expects a number of minutes >= 0, found ${argv['grace-minutes']}`,
      );
    }
    const result = await collectGarbage(contextFor(argv), { graceMs: argv['grace-minutes'] * 60_000 });
    if (argv.json) return printJson(result);
    if (argv.quiet) return;
    printLine(`removed ${result.removedBlobs} blob(s), freed ${formatBytes(result.freedBytes)}`);
    if (result.keptRecent > 0)
      printLine(`kept ${result.keptRecent} recent unreferenced blob(s); see --grace-minutes`);
  },
};
