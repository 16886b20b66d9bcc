import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import {
  PUBLIC_GOOD_FULCIO_URL,
  PUBLIC_GOOD_REKOR_URL,
  type SignReferenceOptions,
  type SignResult,
  WtoolsError,
  describeError,
  signReference,
} from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor, readStdinText } from '../common.js';
import { printJson, printLine } from '../output.js';

/** The signing flags `wtools sign` and `wtools push --sign` share. */
export interface SigningFlags {
  key?: string;
  'passphrase-stdin': boolean;
  'identity-token'?: string;
  'fulcio-url'?: string;
  'rekor-url'?: string;
  'tsa-url'?: string;
}

interface SignArgs extends GlobalFlags, SigningFlags {
  ref: string;
}

const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/;

async function passphraseFor(file: string, pem: string, fromStdin: boolean): Promise<string | undefined> {
  if (fromStdin) return readStdinText();
  if (!ENCRYPTED_PEM.test(pem)) return undefined;
  if (!process.stdin.isTTY) {
    throw new WtoolsError(
      'KEY_PASSPHRASE',
      `${file} is encrypted: give its passphrase on stdin with --passphrase-stdin`,
    );
  }
  const { password } = await import('@inquirer/prompts');
  return password({ message: `Passphrase for ${file}:`, mask: '*' }, { output: process.stderr });
}

/** Reads the key (and its passphrase) or the identity token the flags name; `command` names the command in errors. */
export async function signOptions(argv: SigningFlags, command = 'sign'): Promise<SignReferenceOptions> {
  const token = argv['identity-token'];
  if (argv.key !== undefined) {
    if (token !== undefined) {
      throw new WtoolsError('USAGE', 'give --key or --identity-token, not both');
    }
    if (argv['fulcio-url'] !== undefined) {
      throw new WtoolsError(
        'USAGE',
        '--fulcio-url is for keyless signing; a --key signature needs no certificate',
      );
    }
    let pem: string;
    try {
      pem = await readFile(argv.key, 'utf8');
    } catch (err) {
      throw new WtoolsError('USAGE', `cannot read private key ${argv.key}: ${describeError(err)}`, {
        cause: err,
      });
    }
    const passphrase = await passphraseFor(argv.key, pem, argv['passphrase-stdin']);
    return {
      key: {
        pem,
        name: argv.key,
        ...(passphrase !== undefined ? { passphrase } : {}),
        ...(argv['rekor-url'] ? { rekorURL: argv['rekor-url'] } : {}),
        ...(argv['tsa-url'] ? { tsaServerURL: argv['tsa-url'] } : {}),
      },
    };
  }
  if (argv['passphrase-stdin']) throw new WtoolsError('USAGE', '--passphrase-stdin goes with --key');
  const identityToken = token ?? process.env.SIGSTORE_ID_TOKEN;
  if (!identityToken) {
    throw new WtoolsError(
      'USAGE',
      `${command} needs --key KEY.pem, or an OIDC identity token for keyless signing (--identity-token or SIGSTORE_ID_TOKEN)`,
    );
  }
  return {
    keyless: {
      identityToken,
      fulcioURL: argv['fulcio-url'] ?? PUBLIC_GOOD_FULCIO_URL,
      rekorURL: argv['rekor-url'] ?? PUBLIC_GOOD_REKOR_URL,
      ...(argv['tsa-url'] ? { tsaServerURL: argv['tsa-url'] } : {}),
    },
  };
}

/** Defines the flags of {@link SigningFlags}, for `wtools sign` and `wtools push --sign`. */
export function signingFlagOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('key', { type: 'string', describe: 'Sign with this PEM private key (from `wtools keygen`)' })
    .option('passphrase-stdin', {
      type: 'boolean',
      default: false,
      describe: "Read the private key's passphrase from stdin",
    })
    .option('identity-token', {
      type: 'string',
      describe: 'OIDC token for keyless signing (prefer SIGSTORE_ID_TOKEN: flags show in process lists)',
    })
    .option('fulcio-url', {
      type: 'string',
      describe: `Fulcio for keyless signing (default ${PUBLIC_GOOD_FULCIO_URL})`,
    })
    .option('rekor-url', {
      type: 'string',
      describe: `Rekor transparency log (keyless default ${PUBLIC_GOOD_REKOR_URL}; with --key: none unless given)`,
    })
    .option('tsa-url', { type: 'string', describe: 'RFC 3161 timestamp authority (default: none)' });
}

/** The lines that say who signed what, after `signed …`. */
export function printSignature(result: SignResult): void {
  const who =
    result.signer.method === 'key'
      ? `key ${result.signer.keyId}`
      : `${result.signer.identity} from ${result.signer.issuer}`;
  printLine(`  signer    ${who}`);
  printLine(`  referrer  ${result.referrer.digest}`);
}

export const signCommand = {
  command: 'sign <ref>',
  describe: 'Sign an artifact: push a Sigstore bundle (v0.3, DSSE) as a referrer of the digest REF names now',
  builder: (yargs: Argv<GlobalFlags>) =>
    signingFlagOptions(yargs)
      .positional('ref', {
        type: 'string',
        demandOption: true,
        describe: 'REGISTRY/REPO[:TAG|@DIGEST] or oci:DIR[:TAG|@DIGEST]; a tag is resolved once',
      })
      .example('$0 sign localhost:5000/tools/hello:1 --key wtools.key', 'keyed; verify with --key wtools.pub')
      .example('SIGSTORE_ID_TOKEN=… $0 sign ghcr.io/org/tool:1.0', 'keyless, public-good Fulcio and Rekor'),
  handler: async (argv: SignArgs) => {
    const options = await signOptions(argv);
    const result = await signReference(contextFor(argv), argv.ref, options);
    if (argv.json) return printJson(result);
    if (argv.quiet) return printLine(result.pinned);
    const c = colors(argv);
    printLine(`${c.green('✔')} signed ${c.bold(result.pinned)}`);
    printSignature(result);
  },
};
