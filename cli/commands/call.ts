import type { Argv } from 'yargs';
import {
  type Capability,
  type DenialEvent,
  GRANT_SYNTAX,
  WtoolsError,
  PermissionCenter,
  callOnce,
  formatCapability,
  isWtoolsError,
  toJsonValue,
} from '../../lib/index.js';
import { type GlobalFlags, contextFor } from '../common.js';
import { exitCodeFor } from '../errors.js';
import { printJson } from '../output.js';
import { openTerminal, terminalApprover } from '../prompts.js';
import { componentPositional, grantsFrom, type LimitFlags, limitsFrom } from './grants-flags.js';
import { type TrustFlags, trustOptions, trustOptionsFrom } from './verify.js';

interface CallArgs extends GlobalFlags, TrustFlags, LimitFlags {
  component: string;
  function: string;
  args: string;
  grant: string[];
  prompt: boolean;
}

function parseArgs(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new WtoolsError(
      'USAGE',
      `--args must be JSON (an array of the function's arguments in order): ${(err as Error).message}`,
    );
  }
  return Array.isArray(value) ? value : [value];
}

function decodeOutput(bytes: Uint8Array | undefined): string | undefined {
  return bytes && bytes.length > 0 ? new TextDecoder().decode(bytes) : undefined;
}

function describeDenials(denied: DenialEvent[]): { capability: string; reason: string }[] {
  return denied.map((d) => ({ capability: formatCapability(d.capability as Capability), reason: d.reason }));
}

export const callCommand = {
  command: 'call <component> <function>',
  describe: 'Run one export of a component once, sandboxed, and print its result as JSON',
  builder: (yargs: Argv<GlobalFlags>) =>
    trustOptions(
      componentPositional(yargs)
        .positional('function', {
          type: 'string',
          demandOption: true,
          describe: 'the export: name, interface.name, or pkg:ns/interface#name',
        })
        .option('args', { type: 'string', default: '[]', describe: 'JSON array of the arguments, in order' })
        .option('grant', {
          type: 'string',
          array: true,
          default: [],
          describe: `a capability for this call; repeatable. ${GRANT_SYNTAX}`,
        })
        .option('prompt', {
          type: 'boolean',
          default: true,
          describe:
            'ask at this terminal when the component reaches for something ungranted (--no-prompt: deny)',
        })
        .option('timeout', { type: 'string', describe: 'end the call after this long (default 30s)' })
        .option('memory', { type: 'string', describe: 'cap on linear memory (default 256MiB)' })
        .option('output-limit', {
          type: 'string',
          describe: 'cap on the result and on captured stdout+stderr (default 16MiB)',
        }),
    )
      .example('$0 call ./add.wasm add --args "[2, 3]"', 'a pure function: no grants needed')
      .example(
        '$0 call ghcr.io/org/files:1.0 read-file --args \'["/data/a.txt"]\' --grant fs:/data:ro',
        'read access to one folder, nothing else',
      )
      .example(
        '$0 call ./fetch.wasm fetch-text --args \'["https://api.example.com/"]\' --grant http:api.example.com',
        '',
      ),
  handler: async (argv: CallArgs): Promise<number> => {
    const context = contextFor(argv);
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    const terminal = argv.prompt ? openTerminal() : undefined;
    try {
      const grants = grantsFrom(argv.grant);
      const limits = limitsFrom(argv);
      const args = parseArgs(argv.args);
      const result = await callOnce(context, argv.component, argv.function, args, {
        grants,
        // Stored grants apply; what they leave open is asked here (or in `wtools approvals`).
        center: new PermissionCenter(context, terminal ? { terminal: terminalApprover(terminal) } : {}),
        limits,
        pull: { trustOptions: await trustOptionsFrom(argv) },
        signal: abort.signal,
      });
      printJson({
        ok: true,
        result: toJsonValue(result.value),
        ...(decodeOutput(result.stdout) !== undefined ? { stdout: decodeOutput(result.stdout) } : {}),
        ...(decodeOutput(result.stderr) !== undefined ? { stderr: decodeOutput(result.stderr) } : {}),
        ...(result.outputTruncated ? { outputTruncated: true } : {}),
        ...(result.logs.length > 0 ? { logs: result.logs } : {}),
        ...(result.denied.length > 0 ? { denied: describeDenials(result.denied) } : {}),
        component: result.component,
        ms: Math.round(result.ms * 1000) / 1000,
      });
      return 0;
    } catch (err) {
      if (!isWtoolsError(err)) throw err;
      // The result is JSON either way: a failed call is data for whoever ran it, not only a message.
      const details = (err.details ?? {}) as {
        stdout?: Uint8Array;
        stderr?: Uint8Array;
        exitCode?: number;
        value?: unknown;
        denied?: DenialEvent[];
        refused?: string[];
      };
      const code = exitCodeFor(err);
      printJson({
        ok: false,
        exitCode: code,
        error: {
          code: err.code,
          message: err.message,
          ...(details.exitCode !== undefined ? { guestExitCode: details.exitCode } : {}),
          ...(details.value !== undefined ? { value: toJsonValue(details.value) } : {}),
          ...(details.refused ? { refused: details.refused } : {}),
        },
        ...(decodeOutput(details.stdout) !== undefined ? { stdout: decodeOutput(details.stdout) } : {}),
        ...(decodeOutput(details.stderr) !== undefined ? { stderr: decodeOutput(details.stderr) } : {}),
        ...(details.denied?.length ? { denied: describeDenials(details.denied) } : {}),
      });
      process.stderr.write(`wtools: ${err.message}\n`);
      return code;
    } finally {
      process.removeListener('SIGINT', onSignal);
      terminal?.close();
    }
  },
};
