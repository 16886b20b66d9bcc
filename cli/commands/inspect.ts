import type { Argv } from 'yargs';
import { declaredRequests, describeSigner, inspectComponent } from '../../lib/index.js';
import { type GlobalFlags, colors, contextFor } from '../common.js';
import { formatBytes, printJson, printLine } from '../output.js';
import { componentPositional } from './grants-flags.js';
import { type TrustFlags, trustOptions, trustOptionsFrom } from './verify.js';

interface InspectArgs extends GlobalFlags, TrustFlags {
  component: string;
  schemas: boolean;
}

export const inspectCommand = {
  command: 'inspect <component>',
  describe: 'Show a component: digest, signer, its world as WIT, what it may ask for, and its MCP tools',
  builder: (yargs: Argv<GlobalFlags>) =>
    trustOptions(
      componentPositional(yargs).option('schemas', {
        type: 'boolean',
        default: false,
        describe: 'print each tool’s input and output schema',
      }),
    )
      .example('$0 inspect ./tool.wasm', 'the world, the imports and the tools')
      .example('$0 inspect ghcr.io/org/tool:1.0 --json', 'everything, schemas included, as JSON'),
  handler: async (argv: InspectArgs) => {
    const context = contextFor(argv);
    const result = await inspectComponent(context, argv.component, {
      trustOptions: await trustOptionsFrom(argv),
    });
    if (argv.json) return printJson(result);
    const c = colors(argv);
    printLine(`${c.bold(result.component.name)}  ${result.component.origin}`);
    printLine(`  digest   ${result.component.digest} (${formatBytes(result.component.size)})`);
    printLine(
      `  signer   ${
        result.trust
          ? result.trust.signer
            ? `${describeSigner(result.trust.signer)} (${result.trust.rule})`
            : c.yellow(`unsigned, accepted (${result.trust.rule})`)
          : c.yellow('a local file: not verified')
      }`,
    );
    printLine();
    printLine(c.bold('May ask for'));
    if (result.asks.length === 0) printLine('  nothing: a pure component');
    for (const ask of result.asks) printLine(`  ${ask.capability}  ${c.dim(ask.interface)}`);
    if (result.refusedImports.length > 0) {
      printLine(c.red(`  refused at load, not provided: ${result.refusedImports.join(', ')}`));
    }
    const declared = result.declaredPolicy;
    if (declared) {
      printLine();
      printLine(c.bold('Its publisher’s policy asks for (a request: nothing is granted)'));
      if (declared.problem) printLine(c.yellow(`  unreadable, ignored: ${declared.problem}`));
      for (const ask of declaredRequests(declared)) printLine(`  ${ask}`);
      for (const skipped of declared.skipped) printLine(c.dim(`  (no exact grant) ${skipped}`));
    }
    printLine();
    printLine(c.bold(`Tools (${result.tools.length})`));
    for (const tool of result.tools) {
      printLine(
        `  ${tool.name}  ${c.dim(tool.interface ? `${tool.interface}#${tool.function}` : tool.function)}`,
      );
      if (argv.schemas) {
        printLine(`    input  ${JSON.stringify(tool.inputSchema)}`);
        if (tool.outputSchema) printLine(`    output ${JSON.stringify(tool.outputSchema)}`);
      }
    }
    for (const skipped of result.skipped) {
      printLine(c.yellow(`  (not a tool) ${skipped.function}: ${skipped.reason}`));
    }
    printLine();
    printLine(c.bold('World'));
    for (const line of result.wit.trimEnd().split('\n')) printLine(`  ${line}`);
  },
};
