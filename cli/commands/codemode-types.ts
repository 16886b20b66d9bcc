import type { Argv } from 'yargs';
import { codeModeTypes } from '../../lib/index.js';
import { type GlobalFlags, contextFor } from '../common.js';
import { printJson, printLine } from '../output.js';
import { type TrustFlags, trustOptions, trustOptionsFrom } from './verify.js';

interface CodeModeTypesArgs extends GlobalFlags, TrustFlags {
  components: string[];
}

export const codeModeTypesCommand = {
  command: 'codemode-types <components..>',
  describe: 'Print the TypeScript declarations that run-code scripts see for these components',
  builder: (yargs: Argv<GlobalFlags>) =>
    trustOptions(
      yargs.positional('components', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: '.wasm files or references (pulled through the trust policy)',
      }),
    ).example('$0 codemode-types ./encode.wasm ./time.wasm', 'one namespace per component'),
  handler: async (argv: CodeModeTypesArgs) => {
    const context = contextFor(argv);
    const declarations = await codeModeTypes(context, argv.components, {
      trustOptions: await trustOptionsFrom(argv),
    });
    if (argv.json) return printJson({ declarations });
    printLine(declarations);
  },
};
