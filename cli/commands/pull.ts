import type { Argv } from 'yargs';
import { pull } from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor, wantsProgress } from '../common.js';
import { formatBytes, printJson, printLine } from '../output.js';
import { createProgress } from '../progress.js';

interface PullArgs extends GlobalFlags {
  ref: string;
}

export const pullCommand = {
  command: 'pull <ref>',
  describe: 'Fetch a component from a registry or OCI layout into the local store, pinned by digest',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('ref', {
        type: 'string',
        demandOption: true,
        describe: 'REGISTRY/REPO[:TAG][@DIGEST] or oci:DIR[:TAG]',
      })
      .example('$0 pull ghcr.io/org/tool:1.0', 'pull by tag; the digest is printed and pinned')
      .example('$0 pull oci:./layout:1.0 --json', 'pull from an OCI layout directory'),
  handler: async (argv: PullArgs) => {
    const progress = createProgress(wantsProgress(argv), 'pulling');
    let result;
    try {
      result = await pull(
        contextFor(argv),
        argv.ref,
        progress.listener ? { onProgress: progress.listener } : {},
      );
    } finally {
      progress.finish();
    }
    if (argv.json) return printJson(result);
    if (argv.quiet) return printLine(result.pinned);
    const c = colors(argv);
    printLine(`${c.green('✔')} ${result.cached ? 'already stored' : 'pulled'} ${c.bold(result.reference)}`);
    printLine(`  digest   ${result.digest}`);
    printLine(`  size     ${formatBytes(result.size)} (component ${formatBytes(result.component.size)})`);
    if (result.indexDigest) printLine(`  index    ${result.indexDigest}`);
    if (result.exports.length > 0) printLine(`  exports  ${result.exports.join(', ')}`);
    if (result.imports.length > 0) printLine(`  imports  ${result.imports.join(', ')}`);
    printLine(`  pinned   ${result.pinned}`);
  },
};
