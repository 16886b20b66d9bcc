import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { setLogLevel } from '../lib/index.js';
import { type GlobalFlags, globalOptions } from './common.js';
import { ExitCode, reportError } from './errors.js';
import { copyCommand } from './commands/copy.js';
import { gcCommand } from './commands/gc.js';
import { loginCommand, logoutCommand } from './commands/login.js';
import { lsCommand } from './commands/ls.js';
import { pullCommand } from './commands/pull.js';
import { pushCommand } from './commands/push.js';
import { rmCommand } from './commands/rm.js';
import { versionCommand } from './commands/version.js';
import { configCommand, secretCommand } from './commands/secret.js';
import { profileCommand } from './commands/profile.js';
import { verifyCommand } from './commands/verify.js';
import { referrersCommand } from './commands/referrers.js';
import { keygenCommand } from './commands/keygen.js';
import { signCommand } from './commands/sign.js';
import { trustCommand } from './commands/trust.js';
import { callCommand } from './commands/call.js';
import { inspectCommand } from './commands/inspect.js';
import { serveCommand } from './commands/serve.js';
import { mcpConfigCommand } from './commands/mcp-config.js';
import { auditCommand, grantCommand, grantsCommand, policyCommand, revokeCommand } from './commands/grant.js';
import { approvalsCommand } from './commands/approvals.js';

interface CommandSpec<A> {
  command: string;
  describe: string;
  builder: (yargs: Argv<GlobalFlags>) => Argv<unknown>;
  /** May return an exit code for outcomes that are not errors (verify: some refs failed). */
  handler: (argv: A) => Promise<void | number>;
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
  for (const spec of [
    pullCommand,
    callCommand,
    serveCommand,
    inspectCommand,
    mcpConfigCommand,
    grantCommand,
    revokeCommand,
    grantsCommand,
    policyCommand,
    approvalsCommand,
    auditCommand,
    secretCommand,
    configCommand,
    profileCommand,
    pushCommand,
    copyCommand,
    lsCommand,
    rmCommand,
    gcCommand,
    loginCommand,
    logoutCommand,
    referrersCommand,
    verifyCommand,
    signCommand,
    trustCommand,
    keygenCommand,
    versionCommand,
  ]) {
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
