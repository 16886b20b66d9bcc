import type { Argv } from 'yargs';
import { WtoolsError } from '../../lib/index.js';
import { type GlobalFlags } from '../common.js';
import { printJson, printLine } from '../output.js';
import { MCP_CLIENTS, type McpClient, httpSnippet, stdioSnippet } from '../snippets.js';

interface McpConfigArgs extends GlobalFlags {
  client: McpClient;
  components: string[];
  grant: string[];
  name: string;
  url?: string;
  token?: string;
}

export const mcpConfigCommand = {
  command: 'mcp-config [components..]',
  describe: 'Print what to paste into an MCP client to use wtools serve',
  builder: (yargs: Argv<GlobalFlags>) =>
    yargs
      .positional('components', { type: 'string', array: true, default: [], describe: 'components to serve' })
      .option('client', { choices: MCP_CLIENTS, demandOption: true, describe: 'the MCP client' })
      .option('grant', { type: 'string', array: true, default: [], describe: 'grants to pass to serve' })
      .option('name', { type: 'string', default: 'wtools', describe: 'the server name in the client' })
      .option('url', { type: 'string', describe: 'a running `wtools serve --http` to connect to instead' })
      .option('token', { type: 'string', describe: 'its bearer token (with --url)' })
      .example('$0 mcp-config --client claude-code ghcr.io/org/files:1.0 --grant fs:/data:ro', '')
      .example('$0 mcp-config --client cursor --url http://127.0.0.1:8800/mcp --token T', ''),
  handler: (argv: McpConfigArgs) => {
    if (argv.url && (argv.components.length > 0 || argv.grant.length > 0)) {
      throw new WtoolsError(
        'USAGE',
        'with --url the running server has its components and grants: give neither',
      );
    }
    const snippet = argv.url
      ? httpSnippet(argv.client, argv.name, argv.url, argv.token ?? null)
      : stdioSnippet(argv.client, argv.name, [
          'serve',
          ...argv.components,
          ...argv.grant.flatMap((g) => ['--grant', g]),
        ]);
    if (typeof snippet !== 'string') return printJson(snippet);
    return argv.json ? printJson({ command: snippet }) : printLine(snippet);
  },
};
