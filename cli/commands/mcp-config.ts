import type { Argv } from 'yargs';
import { type GlobalFlags } from '../common.js';
import { printJson, printLine } from '../output.js';

interface McpConfigArgs extends GlobalFlags {
  client: 'claude-code' | 'cursor' | 'vscode' | 'gemini';
  components: string[];
  grant: string[];
  name: string;
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export const mcpConfigCommand = {
  command: 'mcp-config [components..]',
  describe: 'Print what to paste into an MCP client to use wtools serve',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('components', { type: 'string', array: true, default: [], describe: 'components to serve' })
      .option('client', {
        choices: ['claude-code', 'cursor', 'vscode', 'gemini'] as const,
        demandOption: true,
        describe: 'the MCP client',
      })
      .option('grant', { type: 'string', array: true, default: [], describe: 'grants to pass to serve' })
      .option('name', { type: 'string', default: 'wtools', describe: 'the server name in the client' })
      .example('$0 mcp-config --client claude-code ghcr.io/org/files:1.0 --grant fs:/data:ro', ''),
  handler: (argv: McpConfigArgs) => {
    const args = ['serve', ...argv.components, ...argv.grant.flatMap((g) => ['--grant', g])];
    const server = { command: 'wtools', args };
    switch (argv.client) {
      case 'claude-code':
        if (argv.json)
          return printJson({ command: ['claude', 'mcp', 'add', argv.name, '--', 'wtools', ...args] });
        return printLine(`claude mcp add ${quote(argv.name)} -- wtools ${args.map(quote).join(' ')}`);
      case 'cursor':
        // ~/.cursor/mcp.json or .cursor/mcp.json in the project
        return printJson({ mcpServers: { [argv.name]: server } });
      case 'vscode':
        // .vscode/mcp.json
        return printJson({ servers: { [argv.name]: { type: 'stdio', ...server } } });
      case 'gemini':
        // ~/.gemini/settings.json
        return printJson({ mcpServers: { [argv.name]: server } });
    }
  },
};
