import type { Argv } from 'yargs';
import { WtoolsContext } from '../lib/index.js';
import { colorEnabled, palette, type Palette } from './output.js';

export interface GlobalFlags {
  json: boolean;
  quiet: boolean;
  debug: boolean;
  color: boolean | undefined;
  'insecure-registry': string[];
}

export function globalOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('json', { type: 'boolean', default: false, describe: 'Print machine-readable JSON on stdout' })
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      default: false,
      describe: 'Print only what scripts need',
    })
    .option('debug', {
      type: 'boolean',
      default: false,
      describe: 'Show stack traces and debug logs on stderr',
    })
    .option('color', { type: 'boolean', describe: 'Colors (default: on for a terminal; off with NO_COLOR)' })
    .option('insecure-registry', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'Allow plain HTTP to this registry host (loopback hosts always may)',
    });
}

export function contextFor(flags: GlobalFlags): WtoolsContext {
  return new WtoolsContext({ insecureRegistries: flags['insecure-registry'] });
}

export function colors(flags: GlobalFlags): Palette {
  return palette(colorEnabled(process.stdout, flags.color));
}

/** Progress is for people: a terminal, and neither --json nor --quiet. */
export function wantsProgress(flags: GlobalFlags): boolean {
  return !flags.json && !flags.quiet;
}

/** All of stdin as text, without one trailing newline (what `echo "$SECRET" |` adds). */
export async function readStdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
