import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import {
  type BlobVerification,
  type SignerRequirement,
  type TrustOptions,
  type TrustDecision,
  WtoolsError,
  describeError,
  describeSigner,
  isWtoolsError,
  loadTrustContext,
  verifyBlob,
  verifyReference,
} from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor } from '../common.js';
import { ExitCode } from '../errors.js';
import { printJson, printLine } from '../output.js';

export interface TrustFlags {
  'certificate-identity'?: string;
  'certificate-identity-regexp'?: string;
  'certificate-oidc-issuer'?: string;
  key?: string[];
  policy?: string;
  'trusted-root'?: string;
  'allow-unsigned': boolean;
}

interface VerifyArgs extends GlobalFlags, TrustFlags {
  ref?: string[];
  bundle?: string;
  format?: 'text' | 'json' | 'github';
}

export function trustOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('certificate-identity', {
      type: 'string',
      describe: 'Accept this exact signer identity (keyless)',
    })
    .option('certificate-identity-regexp', {
      type: 'string',
      describe: 'Accept identities matching this regular expression, anchored at both ends',
    })
    .option('certificate-oidc-issuer', {
      type: 'string',
      describe: 'The OIDC issuer the identity must come from',
    })
    .option('key', { type: 'string', array: true, describe: 'Accept signatures by this PEM public key' })
    .option('policy', {
      type: 'string',
      describe: 'Trust policy file (replaces the user and default policies)',
    })
    .option('trusted-root', {
      type: 'string',
      describe: 'Sigstore trusted_root.json (default: public good, offline)',
    })
    .option('allow-unsigned', {
      type: 'boolean',
      default: false,
      describe: 'Accept unsigned artifacts (audited)',
    });
}

/** Signers named by flags, which replace the policy for this run. */
export async function signersFromFlags(flags: TrustFlags): Promise<SignerRequirement[] | undefined> {
  const signers: SignerRequirement[] = [];
  const identity = flags['certificate-identity'];
  const identityRegexp = flags['certificate-identity-regexp'];
  const issuer = flags['certificate-oidc-issuer'];
  if (identity !== undefined && identityRegexp !== undefined) {
    throw new WtoolsError('USAGE', 'give --certificate-identity or --certificate-identity-regexp, not both');
  }
  if (identity !== undefined || identityRegexp !== undefined) {
    if (!issuer) throw new WtoolsError('USAGE', 'a certificate identity needs --certificate-oidc-issuer');
    signers.push({
      kind: 'keyless',
      issuer,
      ...(identity !== undefined ? { identity } : { identityRegexp }),
    });
  } else if (issuer) {
    throw new WtoolsError('USAGE', '--certificate-oidc-issuer needs --certificate-identity(-regexp)');
  }
  for (const file of flags.key ?? []) {
    try {
      signers.push({ kind: 'key', publicKeyPem: await readFile(file, 'utf8'), name: file });
    } catch (err) {
      throw new WtoolsError('USAGE', `cannot read public key ${file}: ${describeError(err)}`, { cause: err });
    }
  }
  return signers.length > 0 ? signers : undefined;
}

/** The trust options every trust-aware command builds from its flags. */
export async function trustOptionsFrom(argv: TrustFlags): Promise<TrustOptions> {
  const signers = await signersFromFlags(argv);
  return {
    ...(argv.policy ? { policyFile: argv.policy } : {}),
    ...(argv['trusted-root'] ? { trustedRootFile: argv['trusted-root'] } : {}),
    ...(signers ? { signers } : {}),
    allowUnsigned: argv['allow-unsigned'],
  };
}

type Outcome =
  { ref: string; ok: true; decision: TrustDecision } | { ref: string; ok: false; error: WtoolsError };

export const verifyCommand = {
  command: 'verify [ref..]',
  describe: 'Verify signatures against the trust policy (for CI: exit 0 all verified, 1 any failed, 2 usage)',
  builder: (yargs: Argv<GlobalFlags>) =>
    trustOptions(
      yargs.positional('ref', {
        type: 'string',
        array: true,
        describe: 'References to verify (with --bundle: the one local file the bundle signs)',
      }),
    )
      .option('bundle', {
        type: 'string',
        describe: 'Verify a local file against this Sigstore bundle (like cosign verify-blob)',
      })
      .option('format', {
        choices: ['text', 'json', 'github'] as const,
        describe: 'Output format (--json = json)',
      })
      .example(
        '$0 verify ghcr.io/org/tool:1.0 --certificate-identity-regexp "https://github.com/org/.*" ' +
          '--certificate-oidc-issuer https://token.actions.githubusercontent.com',
        '',
      )
      .example('$0 verify --bundle tool.wasm.sigstore.json tool.wasm --key release.pub', ''),
  handler: async (argv: VerifyArgs) => {
    const context = contextFor(argv);
    const refs = argv.ref ?? [];
    if (argv.bundle !== undefined) return verifyBundleFile(argv, argv.bundle, refs);
    if (refs.length === 0) {
      throw new WtoolsError(
        'USAGE',
        'name at least one reference to verify, or --bundle FILE.sigstore.json FILE',
      );
    }
    const options = await trustOptionsFrom(argv);
    const trust = await loadTrustContext(context, options);
    const outcomes: Outcome[] = await Promise.all(
      refs.map(async (ref): Promise<Outcome> => {
        try {
          return { ref, ok: true, decision: await verifyReference(context, ref, trust, options) };
        } catch (err) {
          if (!isWtoolsError(err)) throw err;
          return { ref, ok: false, error: err };
        }
      }),
    );
    const format = argv.json ? 'json' : (argv.format ?? 'text');
    if (format === 'json') {
      printJson({
        ok: outcomes.every((o) => o.ok),
        results: outcomes.map((o) =>
          o.ok
            ? { ...o.decision, ok: true }
            : { reference: o.ref, ok: false, error: { code: o.error.code, message: o.error.message } },
        ),
      });
    } else {
      const c = colors(argv);
      for (const o of outcomes) {
        if (o.ok) {
          const d = o.decision;
          // kind: how it was signed (Sigstore bundle or cosign legacy signature; key or keyless).
          const who = d.signer
            ? `${d.signer.format} ${d.signer.method}: ${describeSigner(d.signer)}`
            : 'unsigned, allowed';
          if (!argv.quiet) printLine(`${c.green('✔')} ${d.reference}@${d.digest}  ${who}  (${d.rule})`);
        } else if (format === 'github') {
          printLine(`::error title=wtools verify ${o.ref}::${o.error.message.replace(/\r?\n/g, '%0A')}`);
        } else {
          printLine(`${c.red('✘')} ${o.ref}: ${o.error.code}: ${o.error.message}`);
        }
      }
    }
    return outcomes.some((o) => !o.ok) ? ExitCode.failure : ExitCode.ok;
  },
};

/** Verification outcomes of a local file: exit 1; anything else (usage, unreadable root) is an error. */
const BLOB_FAILURES = ['SIGNATURE_INVALID', 'SUBJECT_MISMATCH', 'UNTRUSTED_SIGNER'];

/** `verify --bundle B FILE`: one local file against one bundle, with signers from the flags only. */
async function verifyBundleFile(argv: VerifyArgs, bundle: string, refs: string[]): Promise<number> {
  const file = refs[0];
  if (file === undefined || refs.length > 1) {
    throw new WtoolsError(
      'USAGE',
      `--bundle verifies exactly one local file, found ${refs.length === 0 ? 'none' : refs.join(', ')}`,
    );
  }
  const options = await trustOptionsFrom(argv);
  let result: BlobVerification;
  try {
    result = await verifyBlob(contextFor(argv), file, bundle, options);
  } catch (err) {
    if (!isWtoolsError(err) || !BLOB_FAILURES.includes(err.code)) throw err;
    if (argv.json || argv.format === 'json') {
      printJson({
        ok: false,
        results: [{ file, bundle, ok: false, error: { code: err.code, message: err.message } }],
      });
    } else if (argv.format === 'github') {
      printLine(`::error title=wtools verify ${file}::${err.message.replace(/\r?\n/g, '%0A')}`);
    } else {
      printLine(`${colors(argv).red('✘')} ${file}: ${err.code}: ${err.message}`);
    }
    return ExitCode.failure;
  }
  if (argv.json || argv.format === 'json') {
    printJson({ ok: true, results: [{ ...result, ok: true }] });
  } else if (!argv.quiet) {
    printLine(
      `${colors(argv).green('✔')} ${file}@${result.digest}  ${describeSigner(result.signer)}  (${bundle})`,
    );
  }
  return ExitCode.ok;
}
