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
 * Each command's module, with the commands it defines, loaded only when one of them runs: start-up
 * is paid by every command, and most of the code (the sandbox, MCP, Sigstore, YAML) serves only a
 * few of them. The order here is the order of `wtools --help`.
 */
const COMMAND_MODULES: readonly [names: readonly string[], load: () => Promise<Record<string, unknown>>][] = [
  [['pull'], () => import('./commands/pull.js')],
  [['call'], () => import('./commands/call.js')],
  [['serve'], () => import('./commands/serve.js')],
  [['inspect'], () => import('./commands/inspect.js')],
  [['mcp-config'], () => import('./commands/mcp-config.js')],
  [['codemode-types'], () => import('./commands/codemode-types.js')],
  [['grant', 'revoke', 'grants', 'policy', 'audit'], () => import('./commands/grant.js')],
  [['approvals'], () => import('./commands/approvals.js')],
  [['secret', 'config'], () => import('./commands/secret.js')],
  [['profile'], () => import('./commands/profile.js')],
  [['push'], () => import('./commands/push.js')],
  [['copy'], () => import('./commands/copy.js')],
  [['ls'], () => import('./commands/ls.js')],
  [['rm'], () => import('./commands/rm.js')],
  [['gc'], () => import('./commands/gc.js')],
  [['login', 'logout'], () => import('./commands/login.js')],
  [['referrers'], () => import('./commands/referrers.js')],
  [['verify'], () => import('./commands/verify.js')],
  [['sign'], () => import('./commands/sign.js')],
  [['trust'], () => import('./commands/trust.js')],
  [['keygen'], () => import('./commands/keygen.js')],
  [['version'], () => import('./commands/version.js')],
];

function isCommandSpec(value: unknown): value is CommandSpec<never> {
  const spec = value as Partial<CommandSpec<never>> | null;
  return typeof spec?.command === 'string' && typeof spec.handler === 'function';
}

/** The specs of `names` among a module's exports, in the order of `names`. */
async function loadCommands([names, load]: (typeof COMMAND_MODULES)[number]): Promise<CommandSpec<never>[]> {
  const specs = Object.values(await load()).filter(isCommandSpec);
  return names.map((name) => {
    const spec = specs.find((s) => s.command.split(' ')[0] === name);
    if (!spec) throw new Error(`the module of \`${name}\` defines no such command`);
    return spec;
  });
}

/**
 * The commands to register: only the one named (the first word that is not a flag), or all of them
 * when none is named or the word is not a command (help, suggestions and errors then list them all).
 */
async function commandsFor(args: readonly string[]): Promise<CommandSpec<never>[]> {
  const word = args.find((arg) => !arg.startsWith('-'));
  const named = COMMAND_MODULES.find(([names]) => word !== undefined && names.includes(word));
  const modules = named ? [named] : COMMAND_MODULES;
  return (await Promise.all(modules.map(loadCommands))).flat();
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
