import type { Argv } from 'yargs';
import { WtoolsError, push } from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor, wantsProgress } from '../common.js';
import { formatBytes, printJson, printLine } from '../output.js';
import { createProgress } from '../progress.js';

interface PushArgs extends GlobalFlags {
  file: string;
  ref: string;
  annotation: string[];
  source?: string;
  version?: string;
  created?: string;
}

export function parseAnnotations(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new WtoolsError('USAGE', `expected --annotation KEY=VALUE, found "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export const pushCommand = {
  command: 'push <file> <ref>',
  describe: 'Push a component file as a Wasm OCI artifact to a registry or OCI layout',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'A WebAssembly component (.wasm)' })
      .positional('ref', {
        type: 'string',
        demandOption: true,
        describe: 'REGISTRY/REPO[:TAG] or oci:DIR[:TAG]',
      })
      .option('annotation', {
        alias: 'a',
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'KEY=VALUE manifest annotation',
      })
      .option('source', {
        type: 'string',
        describe: 'org.opencontainers.image.source (e.g. the repository URL)',
      })
      .option('version', { type: 'string', describe: 'org.opencontainers.image.version' })
      .option('created', { type: 'string', describe: 'Creation time (ISO 8601) for reproducible artifacts' }),
  handler: async (argv: PushArgs) => {
    const progress = createProgress(wantsProgress(argv), 'pushing');
    let result;
    try {
      result = await push(contextFor(argv), argv.file, argv.ref, {
        annotations: parseAnnotations(argv.annotation),
        ...(argv.source ? { source: argv.source } : {}),
        ...(argv.version ? { version: argv.version } : {}),
        ...(argv.created ? { created: argv.created } : {}),
        ...(progress.listener ? { onProgress: progress.listener } : {}),
      });
    } finally {
      progress.finish();
    }
    if (argv.json) return printJson(result);
    if (argv.quiet) return printLine(result.pinned);
    const c = colors(argv);
    printLine(`${c.green('✔')} pushed ${c.bold(result.reference)}`);
    printLine(`  digest   ${result.digest}`);
    printLine(`  size     ${formatBytes(result.size)}`);
    if (result.exports.length > 0) printLine(`  exports  ${result.exports.join(', ')}`);
    if (result.imports.length > 0) printLine(`  imports  ${result.imports.join(', ')}`);
  },
};
