import type { Argv } from 'yargs';
import {
  WtoolsError,
  addToProfile,
  createProfile,
  deleteProfile,
  getProfile,
  importProfile,
  profileToYaml,
  readProfiles,
} from '../../lib/index.js';
import { type GlobalFlags, contextFor } from '../common.js';
import { printJson, printLine } from '../output.js';
import { type TrustFlags, trustOptions, trustOptionsFrom } from './verify.js';

interface ProfileArgs extends GlobalFlags, TrustFlags {
  action: 'create' | 'add' | 'ls' | 'rm' | 'export' | 'import';
  name?: string;
  ref?: string;
  tools?: string[];
  grant?: string[];
  as?: string;
}

function need(value: string | undefined, usage: string): string {
  if (!value) throw new WtoolsError('USAGE', `expected \`wtools profile ${usage}\``);
  return value;
}

export const profileCommand = {
  command: 'profile <action> [name] [ref]',
  describe: 'Named tool sets: components pinned by digest with their tool filters and grants (never secrets)',
  builder: (yargs: Argv<GlobalFlags>) =>
    trustOptions(
      yargs
        .positional('action', {
          choices: ['create', 'add', 'ls', 'rm', 'export', 'import'] as const,
          demandOption: true,
        })
        .positional('name', { type: 'string', describe: 'the profile (import: the file)' })
        .positional('ref', {
          type: 'string',
          describe: 'add: the component, pinned to the digest it verifies as now',
        })
        .option('tools', { type: 'string', array: true, describe: 'add: only these tools (globs)' })
        .option('grant', {
          type: 'string',
          array: true,
          describe: 'add: grants for it when the profile is served',
        })
        .option('as', { type: 'string', describe: 'import: store under this name' }),
    )
      .example('$0 profile create research', '')
      .example(
        '$0 profile add research ghcr.io/org/fetch:1.0 --grant http:api.example.com',
        'pinned by digest',
      )
      .example('$0 profile export research > research.yaml', 'share it (no secrets in it)')
      .example('$0 serve --profile research', 'serve it; the switch-profile tool changes profile'),
  handler: async (argv: ProfileArgs) => {
    const context = contextFor(argv);
    switch (argv.action) {
      case 'create': {
        const name = need(argv.name, 'create NAME');
        await createProfile(context, name);
        return argv.json ? printJson({ created: name }) : printLine(`created profile ${name}`);
      }
      case 'add': {
        const name = need(argv.name, 'add NAME REF');
        const entry = await addToProfile(context, name, need(argv.ref, 'add NAME REF'), {
          ...(argv.tools ? { tools: argv.tools } : {}),
          ...(argv.grant ? { grants: argv.grant } : {}),
          pull: { trustOptions: await trustOptionsFrom(argv) },
        });
        return argv.json ? printJson(entry) : printLine(`added ${entry.ref} to ${name}`);
      }
      case 'rm': {
        const name = need(argv.name, 'rm NAME');
        if (!(await deleteProfile(context, name)))
          throw new WtoolsError('NOT_FOUND', `no profile named ${name}`);
        return argv.json ? printJson({ removed: name }) : printLine(`removed profile ${name}`);
      }
      case 'ls': {
        const profiles = argv.name
          ? { [argv.name]: await getProfile(context, argv.name) }
          : await readProfiles(context);
        if (argv.json) return printJson(profiles);
        for (const [name, profile] of Object.entries(profiles).sort(([a], [b]) => a.localeCompare(b))) {
          printLine(`${name}  (${profile.components.length} components)`);
          for (const c of profile.components) {
            const extras = [
              c.tools ? `tools ${c.tools.join(',')}` : '',
              c.grants ? `grants ${c.grants.join(' ')}` : '',
            ]
              .filter(Boolean)
              .join('; ');
            printLine(`  ${c.ref}${extras ? `  ${extras}` : ''}`);
          }
        }
        return;
      }
      case 'export': {
        const name = need(argv.name, 'export NAME');
        const profile = await getProfile(context, name);
        if (argv.json) return printJson({ name, ...profile });
        process.stdout.write(profileToYaml(name, profile));
        return;
      }
      case 'import': {
        const name = await importProfile(context, need(argv.name, 'import FILE [--as NAME]'), argv.as);
        return argv.json ? printJson({ imported: name }) : printLine(`imported profile ${name}`);
      }
    }
  },
};
