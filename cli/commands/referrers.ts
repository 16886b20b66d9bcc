import type { Argv } from 'yargs';
import { listReferrersOf } from '../../lib/index.js';
import { type GlobalFlags, contextFor } from '../common.js';
import { formatBytes, printJson, printLine, table } from '../output.js';

interface ReferrersArgs extends GlobalFlags {
  ref: string;
  'artifact-type'?: string;
}

export const referrersCommand = {
  command: 'referrers <ref>',
  describe: 'List what refers to an artifact: signatures, attestations, SBOMs (referrers API or tag schema)',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('ref', { type: 'string', demandOption: true })
      .option('artifact-type', { type: 'string', describe: 'Only referrers of this artifact type' }),
  handler: async (argv: ReferrersArgs) => {
    const listing = await listReferrersOf(contextFor(argv), argv.ref, argv['artifact-type']);
    if (argv.json) return printJson(listing);
    if (argv.quiet) return listing.referrers.forEach((r) => printLine(r.digest));
    if (listing.referrers.length === 0)
      return printLine(`nothing refers to ${listing.reference}@${listing.digest}`);
    printLine(
      table(
        ['DIGEST', 'ARTIFACT TYPE', 'SIZE'],
        listing.referrers.map((r) => [r.digest, r.artifactType ?? r.mediaType, formatBytes(r.size)]),
      ),
    );
  },
};
