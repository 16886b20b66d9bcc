import type { Argv } from 'yargs';
import {
  PermissionCenter,
  type PullResult,
  type TrustOptions,
  type VerifiedSigner,
  type WtoolsContext,
  askAfterPull,
  declaredRequests,
  describeSigner,
  formatCapability,
  isWtoolsError,
  loadTrustContext,
  pull,
  requirementFor,
  trustAlways,
} from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor, wantsProgress } from '../common.js';
import { formatBytes, printJson, printLine } from '../output.js';
import { createProgress } from '../progress.js';
import { openTerminal, terminalLoadPrompts } from '../prompts.js';
import { type TrustFlags, trustOptions, trustOptionsFrom } from './verify.js';

interface PullArgs extends GlobalFlags, TrustFlags {
  ref: string;
  prompt: boolean;
}

/**
 * A signed artifact that no rule covers: on a terminal the human decides (once, always, or no);
 * anywhere else the error stands, naming the flags and the rule to add.
 */
async function askToTrust(
  context: WtoolsContext,
  subject: string,
  signers: VerifiedSigner[],
): Promise<TrustOptions['signers'] | undefined> {
  const signer = signers.find((s) => requirementFor(s));
  const requirement = signer && requirementFor(signer);
  if (!signer || !requirement || !process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const { select } = await import('@inquirer/prompts');
  const answer = await select(
    {
      message: `${subject} is signed by ${describeSigner(signer)}, which no trust rule names. Trust this signer?`,
      choices: [
        { name: 'Yes, this time', value: 'once' },
        { name: `Yes, always for ${subject} (adds a rule to your trust policy)`, value: 'always' },
        { name: 'No', value: 'no' },
      ],
      default: 'no',
    },
    { output: process.stderr },
  );
  if (answer === 'no') return undefined;
  if (answer === 'always') {
    const file = await trustAlways(context, subject, requirement);
    process.stderr.write(`added a rule for ${subject} to ${file}\n`);
  }
  return [requirement];
}

/**
 * With a human at a terminal: the signer, what the component may ask for, and a checkbox of grants
 * to store before it ever runs. Without a terminal nothing is asked and nothing is granted.
 */
async function offerGrants(context: WtoolsContext, result: PullResult): Promise<void> {
  const terminal = openTerminal();
  if (!terminal) return;
  try {
    const center = new PermissionCenter(context, {});
    const granted = await askAfterPull(context, result, center, terminalLoadPrompts(terminal));
    for (const capability of granted) printLine(`  granted  ${formatCapability(capability)} (always)`);
  } finally {
    terminal.close();
  }
}

export const pullCommand = {
  command: 'pull <ref>',
  describe: 'Fetch a component into the local store: verified against the trust policy, pinned by digest',
  builder: (yargs: Argv<GlobalFlags>) =>
    trustOptions(
      yargs
        .positional('ref', {
          type: 'string',
          demandOption: true,
          describe: 'REGISTRY/REPO[:TAG][@DIGEST] or oci:DIR[:TAG]',
        })
        .option('prompt', {
          type: 'boolean',
          default: true,
          describe: 'on a terminal, offer to grant what it will ask for (--no-prompt: never ask)',
        }),
    )
      .example('$0 pull ghcr.io/org/tool:1.0', 'pull by tag; the signer is verified, the digest pinned')
      .example(
        '$0 pull oci:./layout:1.0 --key cosign.pub --json',
        'pull from an OCI layout, signed by a key',
      ),
  handler: async (argv: PullArgs) => {
    const context = contextFor(argv);
    let options = await trustOptionsFrom(argv);
    const progress = createProgress(wantsProgress(argv), 'pulling');
    let result: PullResult;
    try {
      const trust = await loadTrustContext(context, options);
      const run = () =>
        pull(context, argv.ref, {
          trust,
          trustOptions: options,
          ...(progress.listener ? { onProgress: progress.listener } : {}),
        });
      try {
        result = await run();
      } catch (err) {
        if (argv.json || !isWtoolsError(err, 'NO_MATCHING_RULE')) throw err;
        progress.finish();
        const details = err.details as { subject: string; signers: VerifiedSigner[] };
        const signers = await askToTrust(context, details.subject, details.signers);
        if (!signers) throw err;
        options = { ...options, signers };
        result = await run();
      }
    } finally {
      progress.finish();
    }
    if (argv.json) return printJson(result);
    if (argv.quiet) return printLine(result.pinned);
    const c = colors(argv);
    const t = result.trust;
    printLine(`${c.green('✔')} ${result.cached ? 'already stored' : 'pulled'} ${c.bold(result.reference)}`);
    printLine(`  digest   ${result.digest}`);
    printLine(`  size     ${formatBytes(result.size)} (component ${formatBytes(result.component.size)})`);
    if (result.indexDigest) printLine(`  index    ${result.indexDigest}`);
    printLine(
      `  signer   ${t.signer ? describeSigner(t.signer) : c.yellow('unsigned, accepted')} (${t.rule})`,
    );
    if (result.exports.length > 0) printLine(`  exports  ${result.exports.join(', ')}`);
    if (result.imports.length > 0) printLine(`  imports  ${result.imports.join(', ')}`);
    const declared = result.declaredPolicy;
    if (declared?.problem) printLine(`  policy   ${c.yellow(`unreadable, ignored: ${declared.problem}`)}`);
    else if (declared) {
      const asks = declaredRequests(declared).join(', ') || 'nothing';
      printLine(`  requests ${asks} (its publisher's policy; nothing is granted)`);
    }
    printLine(`  pinned   ${result.pinned}`);
    if (argv.prompt) await offerGrants(context, result);
  },
};
