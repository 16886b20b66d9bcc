import type { Argv } from 'yargs';
import {
  type PushOptions,
  type PushResult,
  type PushSignedResult,
  type SignResult,
  WtoolsError,
  push,
  pushSigned,
} from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor, wantsProgress } from '../common.js';
import { formatBytes, printJson, printLine } from '../output.js';
import { createProgress } from '../progress.js';
import { type SigningFlags, printSignature, signOptions, signingFlagOptions } from './sign.js';

interface PushArgs extends GlobalFlags, SigningFlags {
  sign: boolean;
  file: string;
  ref: string;
  annotation: string[];
  source?: string;
  version?: string;
  created?: string;
  'policy-layer'?: string;
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

/** Signing flags without --sign would push an unsigned artifact its author believes signed. */
function checkSignFlags(argv: PushArgs): void {
  if (argv.sign) return;
  const given = [
    ...(['key', 'identity-token', 'fulcio-url', 'rekor-url', 'tsa-url'] as const).filter(
      (flag) => argv[flag] !== undefined,
    ),
    ...(argv['passphrase-stdin'] ? ['passphrase-stdin'] : []),
  ];
  if (given.length > 0) throw new WtoolsError('USAGE', `--${given[0]} is for signing: add --sign`);
}

export const pushCommand = {
  command: 'push <file> <ref>',
  describe: 'Push a component file as a Wasm OCI artifact to a registry or OCI layout',
  builder: (yargs: Argv<GlobalFlags>) =>
    signingFlagOptions(yargs)
      .option('sign', {
        type: 'boolean',
        default: false,
        describe: 'Then sign the pushed digest (with --key, or keyless like `wtools sign`)',
      })
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
      .option('created', { type: 'string', describe: 'Creation time (ISO 8601) for reproducible artifacts' })
      .option('policy-layer', {
        type: 'string',
        describe:
          'Ship a policy file (wtools or Wassette format) as the policy layer: what the component asks for, shown to users, never granted',
      })
      .example('$0 push hello.wasm localhost:5000/tools/hello:1 --sign --key wtools.key', 'push and sign'),
  handler: async (argv: PushArgs) => {
    checkSignFlags(argv);
    // Read the key (and ask for its passphrase) before anything is pushed or drawn.
    const signing = argv.sign ? await signOptions(argv, 'push --sign') : undefined;
    const progress = createProgress(wantsProgress(argv), 'pushing');
    const options: PushOptions = {
      annotations: parseAnnotations(argv.annotation),
      ...(argv.source ? { source: argv.source } : {}),
      ...(argv.version ? { version: argv.version } : {}),
      ...(argv.created ? { created: argv.created } : {}),
      ...(argv['policy-layer'] ? { policyFile: argv['policy-layer'] } : {}),
      ...(progress.listener ? { onProgress: progress.listener } : {}),
    };
    let result: PushResult | PushSignedResult;
    let signature: SignResult | undefined;
    try {
      if (signing) {
        const signed = await pushSigned(contextFor(argv), argv.file, argv.ref, options, signing);
        result = signed;
        signature = signed.signature;
      } else {
        result = await push(contextFor(argv), argv.file, argv.ref, options);
      }
    } finally {
      progress.finish();
    }
    if (argv.json) return printJson(result);
    if (argv.quiet) return printLine(result.pinned);
    const c = colors(argv);
    printLine(`${c.green('✔')} pushed ${c.bold(result.reference)}`);
    printLine(`  digest   ${result.digest}`);
    printLine(`  size     ${formatBytes(result.size)}`);
    if (result.policy) printLine(`  policy   ${result.policy.digest} (what it asks for; grants nothing)`);
    if (result.exports.length > 0) printLine(`  exports  ${result.exports.join(', ')}`);
    if (result.imports.length > 0) printLine(`  imports  ${result.imports.join(', ')}`);
    if (signature) {
      printLine(`${c.green('✔')} signed ${c.bold(signature.pinned)}`);
      printSignature(signature);
    }
  },
};
