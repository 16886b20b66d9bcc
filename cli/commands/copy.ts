import type { Argv } from 'yargs';
import { copyReference } from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor, wantsProgress } from '../common.js';
import { printJson, printLine } from '../output.js';
import { createProgress } from '../progress.js';

interface CopyArgs extends GlobalFlags {
  source: string;
  destination: string;
  'with-referrers': boolean;
}

export const copyCommand = {
  command: 'copy <source> <destination>',
  describe: 'Copy an artifact between registries and OCI layouts, byte for byte',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('source', { type: 'string', demandOption: true })
      .positional('destination', { type: 'string', demandOption: true })
      .option('with-referrers', {
        type: 'boolean',
        default: false,
        describe: 'Also copy signatures and other referrers',
      })
      .example('$0 copy ghcr.io/org/tool:1.0 oci:./mirror:1.0 --with-referrers', 'mirror with signatures'),
  handler: async (argv: CopyArgs) => {
    const progress = createProgress(wantsProgress(argv), 'copying');
    let result;
    try {
      result = await copyReference(contextFor(argv), argv.source, argv.destination, {
        withReferrers: argv['with-referrers'],
        ...(progress.listener ? { onProgress: progress.listener } : {}),
      });
    } finally {
      progress.finish();
    }
    if (argv.json) return printJson(result);
    if (argv.quiet) return printLine(result.destination);
    printLine(`${colors(argv).green('✔')} copied ${result.source} → ${result.destination}`);
  },
};
