import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { setLogLevel } from '../lib/index.js';
import { type GlobalFlags, globalOptions } from './common.js';
import { ExitCode, reportError } from './errors.js';

interface CommandSpec<A> {
  command: string;
  describe: string;
  builder: (yargs: Argv<GlobalFlags>) => Argv<unknown>;
  /** May return an exit code for outcomes that are not errors (verify: some refs failed). */
  handler: (argv: A) => void | number | Promise<void | number>;
}

/**
 * Each command's module, loaded only when that command runs: start-up is paid by every command,
 * and most of the code (the sandbox, MCP, Sigstore, YAML) serves only a few of them. The order
 * here is the order of `wtools --help`.
 */
const COMMAND_MODULES: readonly [
  names: readonly string[],
  load: () => Promise<readonly CommandSpec<never>[]>,
][] = [
  [['pull'], async () => [(await import('./commands/pull.js')).pullCommand]],
  [['call'], async () => [(await import('./commands/call.js')).callCommand]],
  [['serve'], async () => [(await import('./commands/serve.js')).serveCommand]],
  [['inspect'], async () => [(await import('./commands/inspect.js')).inspectCommand]],
  [['mcp-config'], async () => [(await import('./commands/mcp-config.js')).mcpConfigCommand]],
  [['codemode-types'], async () => [(await import('./commands/codemode-types.js')).codeModeTypesCommand]],
  [
    ['grant', 'revoke', 'grants', 'policy', 'audit'],
    async () => {
      const m = await import('./commands/grant.js');
      return [m.grantCommand, m.revokeCommand, m.grantsCommand, m.policyCommand, m.auditCommand];
    },
  ],
  [['approvals'], async () => [(await import('./commands/approvals.js')).approvalsCommand]],
  [
    ['secret', 'config'],
    async () => {
      const m = await import('./commands/secret.js');
      return [m.secretCommand, m.configCommand];
    },
  ],
  [['profile'], async () => [(await import('./commands/profile.js')).profileCommand]],
  [['push'], async () => [(await import('./commands/push.js')).pushCommand]],
  [['copy'], async () => [(await import('./commands/copy.js')).copyCommand]],
  [['ls'], async () => [(await import('./commands/ls.js')).lsCommand]],
  [['rm'], async () => [(await import('./commands/rm.js')).rmCommand]],
  [['gc'], async () => [(await import('./commands/gc.js')).gcCommand]],
  [
    ['login', 'logout'],
    async () => {
      const m = await import('./commands/login.js');
      return [m.loginCommand, m.logoutCommand];
    },
  ],
  [['referrers'], async () => [(await import('./commands/referrers.js')).referrersCommand]],
  [['verify'], async () => [(await import('./commands/verify.js')).verifyCommand]],
  [['sign'], async () => [(await import('./commands/sign.js')).signCommand]],
  [['trust'], async () => [(await import('./commands/trust.js')).trustCommand]],
  [['keygen'], async () => [(await import('./commands/keygen.js')).keygenCommand]],
  [['version'], async () => [(await import('./commands/version.js')).versionCommand]],
];

/**
 * The commands to register: only the one named (the first word that is not a flag), or all of them
 * when none is named or the word is not a command (help, suggestions and errors then list them all).
 */
async function commandsFor(args: readonly string[]): Promise<CommandSpec<never>[]> {
  const word = args.find((arg) => !arg.startsWith('-'));
  const named = COMMAND_MODULES.find(([names]) => word !== undefined && names.includes(word));
  const modules = named ? [named] : COMMAND_MODULES;
  return (await Promise.all(modules.map(([, load]) => load()))).flat();
}

// The single error boundary: every handler's failure becomes one message and an exit code here.
let failure: { err: unknown; flags: GlobalFlags } | undefined;
let handlerExitCode: number = ExitCode.ok;

function register<A extends GlobalFlags>(parser: Argv<GlobalFlags>, spec: CommandSpec<A>): Argv<GlobalFlags> {
  return parser.command({
    command: spec.command,
    describe: spec.describe,
    builder: spec.builder as never,
    handler: async (argv: unknown) => {
      const flags = argv as A;
      if (flags.debug) setLogLevel('debug');
      try {
        handlerExitCode = (await spec.handler(flags)) ?? ExitCode.ok;
      } catch (err) {
        failure = { err, flags };
      }
    },
  });
}

async function main(): Promise<number> {
  let parser = globalOptions(yargs(hideBin(process.argv)))
    .scriptName('wtools')
    .usage('$0 <command> [options]\n\nRun WebAssembly components from OCI registries as sandboxed MCP tools.')
    // push has --version (the artifact's); the CLI's own version is `wtools version`.
    .version(false)
    .strict()
    .demandCommand(1, 'Name a command; `wtools --help` lists them.')
    .recommendCommands()
    .epilogue(
      'Exit codes: 0 ok · 1 failure · 2 usage · 3 not found · 4 auth · 5 content refused · 6 network · 7 local state · 8 refused by trust policy · 9 the component failed (trap, exit, timeout, limit, error result)',
    )
    // yargs' ESM build wraps by cutting words in half; unwrapped help reads better.
    .wrap(null) as unknown as Argv<GlobalFlags>;
  for (const spec of await commandsFor(hideBin(process.argv))) {
    parser = register(parser, spec as CommandSpec<GlobalFlags>);
  }
  let usageError: string | undefined;
  parser = parser.fail((message, err) => {
    if (err) throw err;
    usageError = message;
  });
  await parser.parseAsync();
  if (usageError !== undefined) {
    // yargs failed before any handler ran, but --json still promises a JSON error on stdout.
    if (hideBin(process.argv).some((arg) => arg === '--json' || arg === '--json=true')) {
      const error = { code: 'USAGE', message: usageError };
      process.stdout.write(`${JSON.stringify({ ok: false, exitCode: ExitCode.usage, error }, null, 2)}\n`);
    }
    process.stderr.write(`wtools: ${usageError}\nRun \`wtools --help\` for usage.\n`);
    return ExitCode.usage;
  }
  if (failure) return reportError(failure.err, { json: failure.flags.json, debug: failure.flags.debug });
  return handlerExitCode;
}

// A reader that stops early (`wtools ls | head`) closes the pipe: that is no error of ours, and
// the rest of the output has nowhere to go. `serve` over stdio watches stdout itself as well.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err, { json: false, debug: true });
  },
);
