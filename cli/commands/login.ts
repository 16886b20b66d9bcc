import type { Argv } from 'yargs';
import { WtoolsError, login, logout } from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor } from '../common.js';
import { printJson, printLine } from '../output.js';

interface LoginArgs extends GlobalFlags {
  registry: string;
  username?: string;
  'password-stdin': boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function askPassword(registry: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new WtoolsError(
      'USAGE',
      `no password for ${registry}: use --password-stdin, or run on a terminal to be asked`,
    );
  }
  const { password } = await import('@inquirer/prompts');
  return password({ message: `Password for ${registry}:`, mask: '*' }, { output: process.stderr });
}

export const loginCommand = {
  command: 'login <registry>',
  describe: 'Check and store credentials for a registry (kept 0600 in the config dir)',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('registry', { type: 'string', demandOption: true })
      .option('username', { alias: 'u', type: 'string', describe: 'User name' })
      .option('password-stdin', {
        type: 'boolean',
        default: false,
        describe: 'Read the password or token from stdin',
      })
      .example('echo "$TOKEN" | $0 login ghcr.io -u me --password-stdin', ''),
  handler: async (argv: LoginArgs) => {
    if (!argv.username) throw new WtoolsError('USAGE', 'login needs --username (-u)');
    const password = argv['password-stdin'] ? await readStdin() : await askPassword(argv.registry);
    if (password === '') throw new WtoolsError('USAGE', 'the password is empty');
    const registry = await login(contextFor(argv), argv.registry, { username: argv.username, password });
    if (argv.json) return printJson({ registry, username: argv.username, stored: true });
    if (!argv.quiet) printLine(`${colors(argv).green('✔')} logged in to ${registry} as ${argv.username}`);
  },
};

export const logoutCommand = {
  command: 'logout <registry>',
  describe: 'Forget stored credentials for a registry',
  builder: (yargs: Argv<GlobalFlags>) => yargs.positional('registry', { type: 'string', demandOption: true }),
  handler: async (argv: GlobalFlags & { registry: string }) => {
    const result = await logout(contextFor(argv), argv.registry);
    if (argv.json) return printJson(result);
    if (!argv.quiet)
      printLine(
        result.removed ? `logged out of ${result.registry}` : `no stored credentials for ${result.registry}`,
      );
  },
};
