import type { Argv } from 'yargs';
import {
  GRANT_TEXT_SYNTAX,
  auditLog,
  confirmSigner,
  exportPolicy,
  grant,
  importPolicy,
  listGrants,
  parseDurationMs,
  revoke,
  WtoolsError,
} from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor } from '../common.js';
import { printJson, printLine, table } from '../output.js';

export const COMPONENT_HELP = 'a reference (any tag or digest of the repository) or a .wasm file';

interface GrantArgs extends GlobalFlags {
  component: string;
  capability: string[];
  deny: boolean;
  'confirm-signer': boolean;
  reason?: string;
}

export const grantCommand = {
  command: 'grant <component> [capability..]',
  describe: 'Allow a component something for good (stored against its repository and signer)',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('component', { type: 'string', demandOption: true, describe: COMPONENT_HELP })
      .positional('capability', { type: 'string', array: true, default: [], describe: GRANT_TEXT_SYNTAX })
      .option('deny', {
        type: 'boolean',
        default: false,
        describe: 'Refuse these for good instead (a deny wins)',
      })
      .option('confirm-signer', {
        type: 'boolean',
        default: false,
        describe: 'Accept the new signer of a component whose grants were suspended by a signer change',
      })
      .option('reason', { type: 'string', describe: 'Kept with the grant and in the audit log' })
      .example('$0 grant ghcr.io/org/fetch http:api.example.com', 'HTTPS to one host, port 443')
      .example(
        '$0 grant ./tool.wasm fs:./data:ro memory:512MiB timeout:1m',
        'a folder read-only, more memory and time',
      ),
  handler: async (argv: GrantArgs) => {
    const context = contextFor(argv);
    if (argv['confirm-signer']) {
      const confirmed = await confirmSigner(context, argv.component);
      if (argv.json && argv.capability.length === 0) return printJson(confirmed);
      if (!argv.quiet) printLine(`${confirmed.identity}: grants now belong to ${confirmed.signer}`);
      if (argv.capability.length === 0) return;
    }
    const change = await grant(context, argv.component, argv.capability, {
      deny: argv.deny,
      ...(argv.reason ? { reason: argv.reason } : {}),
    });
    if (argv.json) return printJson(change);
    if (argv.quiet) return;
    for (const item of change.changed)
      printLine(`${argv.deny ? 'denied' : 'granted'} ${item} to ${change.identity}`);
  },
};

interface RevokeArgs extends GlobalFlags {
  component: string;
  capability: string[];
  all: boolean;
}

export const revokeCommand = {
  command: 'revoke <component> [capability..]',
  describe: 'Remove stored grants (or denials) of a component',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('component', { type: 'string', demandOption: true, describe: COMPONENT_HELP })
      .positional('capability', {
        type: 'string',
        array: true,
        default: [],
        describe: 'exactly as listed by `wtools grants`',
      })
      .option('all', {
        type: 'boolean',
        default: false,
        describe: 'Remove everything stored for the component',
      }),
  handler: async (argv: RevokeArgs) => {
    const change = await revoke(contextFor(argv), argv.component, argv.capability, { all: argv.all });
    if (argv.json) return printJson(change);
    if (argv.quiet) return;
    for (const item of change.changed) printLine(`revoked ${item} from ${change.identity}`);
  },
};

interface GrantsArgs extends GlobalFlags {
  component?: string;
}

export const grantsCommand = {
  command: 'grants [component]',
  describe: 'List stored grants, per component identity',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs.positional('component', { type: 'string', describe: COMPONENT_HELP }),
  handler: async (argv: GrantsArgs) => {
    const listing = await listGrants(contextFor(argv), argv.component);
    if (argv.json) return printJson(listing);
    const c = colors(argv);
    if (listing.length === 0) {
      if (!argv.quiet) printLine('no stored grants');
      return;
    }
    const rows: string[][] = [];
    for (const entry of listing) {
      const signer = entry.pendingSigner
        ? c.yellow(`${entry.signer ?? '?'} (suspended: now signed by ${entry.pendingSigner})`)
        : (entry.signer ?? 'bound at next load');
      for (const g of entry.grants) {
        rows.push([
          entry.identity,
          g.effect === 'allow' ? c.green('allow') : c.red('deny'),
          g.capability,
          g.by,
          g.at.slice(0, 19),
          signer,
        ]);
      }
      for (const limit of entry.limits) rows.push([entry.identity, 'limit', limit, '', '', signer]);
    }
    printLine(table(['COMPONENT', 'EFFECT', 'CAPABILITY', 'BY', 'WHEN', 'SIGNER'], rows));
  },
};

interface AuditArgs extends GlobalFlags {
  since?: string;
}

/** `--since 1h` (a duration back from now) or an ISO date. */
function sinceDate(text: string): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  try {
    return new Date(Date.now() - parseDurationMs(text));
  } catch {
    throw new WtoolsError(
      'USAGE',
      `invalid --since "${text}": expected a duration such as 30m or 2h… or an ISO date`,
    );
  }
}

export const auditCommand = {
  command: 'audit',
  describe:
    'Print the audit log: grants, revokes, prompts and answers, denials, unsigned loads, signer changes',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs.option('since', {
      type: 'string',
      describe: 'Only records newer than a duration (90m) or an ISO date',
    }),
  handler: async (argv: AuditArgs) => {
    const { entries, unreadable } = await auditLog(
      contextFor(argv),
      argv.since ? { since: sinceDate(argv.since) } : {},
    );
    if (argv.json) return printJson({ entries, unreadable });
    if (unreadable > 0)
      process.stderr.write(`warning: ${unreadable} line(s) of the audit log could not be read\n`);
    printLine(
      table(
        ['TIME', 'EVENT', 'SUBJECT', 'DETAIL'],
        entries.map((e) => [
          e.time.slice(0, 19),
          e.event,
          e.subject,
          e.detail
            ? Object.entries(e.detail)
                .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
                .join(' ')
            : '',
        ]),
      ),
    );
  },
};

interface PolicyArgs extends GlobalFlags {
  action: 'import' | 'export';
  file?: string;
  component?: string;
  format: 'wtools' | 'wassette';
}

export const policyCommand = {
  command: 'policy <action> [file]',
  describe: "Import a grant policy (ours or Wassette's policy.yaml) for a component, or export one",
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('action', { choices: ['import', 'export'] as const, demandOption: true })
      .positional('file', { type: 'string', describe: 'import: the policy file; export: the component' })
      .option('component', {
        type: 'string',
        describe: `import: the component it is for (${COMPONENT_HELP})`,
      })
      .option('format', {
        choices: ['wtools', 'wassette'] as const,
        default: 'wtools' as const,
        describe: 'export format',
      })
      .example('$0 policy import policy.yaml --component ghcr.io/org/fetch', 'store its grants')
      .example('$0 policy export ghcr.io/org/fetch --format wassette > policy.yaml', 'share them'),
  handler: async (argv: PolicyArgs) => {
    const context = contextFor(argv);
    if (argv.action === 'import') {
      if (!argv.file || !argv.component) {
        throw new WtoolsError('USAGE', 'expected `wtools policy import FILE --component COMPONENT`');
      }
      const result = await importPolicy(context, argv.file, argv.component);
      if (argv.json) return printJson(result);
      for (const item of result.changed)
        printLine(`granted ${item} to ${result.identity} (from ${result.format} policy)`);
      for (const why of result.skipped) process.stderr.write(`skipped ${why}\n`);
      return;
    }
    const component = argv.file ?? argv.component;
    if (!component) throw new WtoolsError('USAGE', 'expected `wtools policy export COMPONENT`');
    const { text, skipped } = await exportPolicy(context, component, argv.format);
    if (argv.json) return printJson({ text, skipped });
    process.stdout.write(text);
    for (const why of skipped) process.stderr.write(`not exported: ${why}\n`);
  },
};
