import type { Argv } from 'yargs';
import { describeSigner, listStored } from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor } from '../common.js';
import { formatBytes, printJson, printLine, shortDigest, table } from '../output.js';

export const lsCommand = {
  command: 'ls',
  describe: 'List the components in the local store',
  builder: (yargs: Argv<GlobalFlags>) => yargs,
  handler: async (argv: GlobalFlags) => {
    const entries = await listStored(contextFor(argv));
    if (argv.json) return printJson(entries);
    if (argv.quiet) return entries.forEach((e) => printLine(e.name));
    if (entries.length === 0) return printLine('The store is empty; `wtools pull REF` adds a component.');
    const c = colors(argv);
    printLine(
      table(
        ['NAME', 'DIGEST', 'SIZE', 'PULLED', 'SIGNER'],
        entries.map((e) => [
          e.complete ? e.name : `${e.name} ${c.red('(incomplete)')}`,
          shortDigest(e.digest),
          formatBytes(e.size),
          e.pulled ? e.pulled.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '',
          e.trust?.signer
            ? describeSigner(e.trust.signer)
            : e.trust?.status === 'unsigned-allowed'
              ? c.yellow('unsigned (accepted)')
              : '',
        ]),
      ),
    );
  },
};
