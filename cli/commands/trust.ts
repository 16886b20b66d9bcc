import type { Argv } from 'yargs';
import { PUBLIC_GOOD_TUF_MIRROR, updateTrustRoot } from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor } from '../common.js';
import { printJson, printLine } from '../output.js';

interface TrustArgs extends GlobalFlags {
  action: 'update';
  'mirror-url'?: string;
  'tuf-root'?: string;
}

export const trustCommand = {
  command: 'trust <action>',
  describe: 'Manage the Sigstore trusted root: `trust update` refreshes it through TUF (needs the network)',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('action', {
        choices: ['update'] as const,
        demandOption: true,
        describe: 'update: fetch trusted_root.json through TUF into the data dir',
      })
      .option('mirror-url', {
        type: 'string',
        describe: `TUF repository (default: Sigstore public good, ${PUBLIC_GOOD_TUF_MIRROR})`,
      })
      .option('tuf-root', {
        type: 'string',
        describe: "Initial root.json of a private TUF repository (public good's ships with wtools)",
      })
      .example('$0 trust update', 'refresh the public-good trusted root')
      .example(
        '$0 trust update --mirror-url https://tuf.example.com --tuf-root root.json',
        'use a private Sigstore instance',
      ),
  handler: async (argv: TrustArgs) => {
    const result = await updateTrustRoot(contextFor(argv), {
      ...(argv['mirror-url'] ? { mirrorURL: argv['mirror-url'] } : {}),
      ...(argv['tuf-root'] ? { tufRootFile: argv['tuf-root'] } : {}),
    });
    if (argv.json) return printJson({ ok: true, ...result });
    if (argv.quiet) return printLine(result.file);
    const c = colors(argv);
    printLine(
      `${c.green('✔')} trusted root from ${result.mirrorURL} ${result.changed ? 'updated' : 'unchanged'} (${result.fingerprint})`,
    );
    printLine(`  written to ${result.file}; used when no --trusted-root is given`);
  },
};
