import type { Argv } from 'yargs';
import { type SettingKind, WtoolsError, listSettings, removeSetting, setSetting } from '../../lib/index.js';
import { type GlobalFlags, contextFor, readStdinText } from '../common.js';
import { printJson, printLine } from '../output.js';
import { openTerminal } from '../prompts.js';
import { COMPONENT_HELP } from './grant.js';

interface SettingArgs extends GlobalFlags {
  action: 'set' | 'ls' | 'rm';
  component: string;
  key?: string;
  value?: string;
  stdin?: boolean;
}

/** A secret's value: from stdin, or typed at the terminal without echo; never from the command line. */
async function secretValue(argv: SettingArgs): Promise<string> {
  if (argv.stdin) return readStdinText();
  const terminal = openTerminal();
  if (!terminal) {
    throw new WtoolsError('USAGE', 'no terminal to type the secret at: pipe it in with --stdin');
  }
  try {
    terminal.input.ref();
    const { password } = await import('@inquirer/prompts');
    return await password(
      { message: `${argv.key} for ${argv.component} (not shown)`, mask: false },
      { input: terminal.input, output: terminal.output },
    );
  } finally {
    terminal.close();
  }
}

function settingCommand(kind: SettingKind) {
  const secret = kind === 'secret';
  return {
    command: `${kind} <action> <component> [key] ${secret ? '' : '[value]'}`.trim(),
    describe: secret
      ? 'Set, list (names only) or remove a secret a component receives as an environment variable'
      : 'Set, list or remove a configuration value a component receives as an environment variable',
    builder: (yargs: Argv<GlobalFlags>) => {
      const base = yargs
        .positional('action', { choices: ['set', 'ls', 'rm'] as const, demandOption: true })
        .positional('component', { type: 'string', demandOption: true, describe: COMPONENT_HELP })
        .positional('key', { type: 'string', describe: 'the variable name, e.g. API_KEY' });
      return secret
        ? base
            .option('stdin', { type: 'boolean', default: false, describe: 'read the value from stdin' })
            .example('$0 secret set ghcr.io/org/weather WEATHER_API_KEY', 'typed at the terminal, not shown')
            .example('printf %s "$KEY" | $0 secret set ./tool.wasm API_KEY --stdin', 'from a pipe')
        : base
            .positional('value', { type: 'string', describe: 'the value (not secret: it is shown by ls)' })
            .example('$0 config set ghcr.io/org/weather UNITS metric', '');
    },
    handler: async (argv: SettingArgs) => {
      const context = contextFor(argv);
      if (argv.action === 'ls') {
        const listing = await listSettings(context, argv.component);
        if (argv.json)
          return printJson(
            secret
              ? { identity: listing.identity, secrets: listing.secrets }
              : { identity: listing.identity, config: listing.config },
          );
        if (secret) for (const name of listing.secrets) printLine(name);
        else for (const [key, value] of Object.entries(listing.config)) printLine(`${key}=${value}`);
        return;
      }
      if (!argv.key)
        throw new WtoolsError('USAGE', `expected \`wtools ${kind} ${argv.action} COMPONENT KEY\``);
      if (argv.action === 'rm') {
        const change = await removeSetting(context, kind, argv.component, argv.key);
        if (argv.json) return printJson(change);
        return printLine(
          change.changed
            ? `removed ${kind} ${argv.key} of ${change.identity}`
            : `${change.identity} has no ${kind} ${argv.key}`,
        );
      }
      if (!secret && argv.value === undefined) {
        throw new WtoolsError('USAGE', 'expected `wtools config set COMPONENT KEY VALUE`');
      }
      const value = secret ? await secretValue(argv) : argv.value!;
      const change = await setSetting(context, kind, argv.component, argv.key, value);
      if (argv.json) return printJson(change);
      printLine(`set ${kind} ${argv.key} for ${change.identity}`);
    },
  };
}

export const secretCommand = settingCommand('secret');
export const configCommand = settingCommand('config');
