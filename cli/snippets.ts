/**
 * What to paste into MCP clients: for a client that starts `wtools serve` itself (stdio), or for a
 * running Streamable HTTP server (its URL and bearer token).
 */
export type McpClient = 'claude-code' | 'cursor' | 'vscode' | 'gemini';
export const MCP_CLIENTS: readonly McpClient[] = ['claude-code', 'cursor', 'vscode', 'gemini'];

/** Where each client reads the snippet from. */
export const SNIPPET_PLACE: Record<McpClient, string> = {
  'claude-code': 'run in a terminal',
  cursor: '~/.cursor/mcp.json or .cursor/mcp.json',
  vscode: '.vscode/mcp.json',
  gemini: '~/.gemini/settings.json',
};

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A snippet for a client that starts `wtools ARGS` over stdio. */
export function stdioSnippet(client: McpClient, name: string, args: readonly string[]): string | object {
  const server = { command: 'wtools', args: [...args] };
  switch (client) {
    case 'claude-code':
      return `claude mcp add ${shellQuote(name)} -- wtools ${args.map(shellQuote).join(' ')}`;
    case 'cursor':
    case 'gemini':
      return { mcpServers: { [name]: server } };
    case 'vscode':
      return { servers: { [name]: { type: 'stdio', ...server } } };
  }
}

/** A snippet for a running Streamable HTTP server; `token` null when it runs without auth. */
export function httpSnippet(
  client: McpClient,
  name: string,
  url: string,
  token: string | null,
): string | object {
  const headers = token ? { Authorization: `Bearer ${token}` } : undefined;
  switch (client) {
    case 'claude-code':
      return [
        `claude mcp add --transport http ${shellQuote(name)} ${shellQuote(url)}`,
        ...(token ? [`--header ${shellQuote(`Authorization: Bearer ${token}`)}`] : []),
      ].join(' ');
    case 'cursor':
      return { mcpServers: { [name]: { url, ...(headers ? { headers } : {}) } } };
    case 'vscode':
      return { servers: { [name]: { type: 'http', url, ...(headers ? { headers } : {}) } } };
    case 'gemini':
      return { mcpServers: { [name]: { httpUrl: url, ...(headers ? { headers } : {}) } } };
  }
}

/** A snippet as text: a command as it is, a config as indented JSON. */
export function snippetText(snippet: string | object): string {
  return typeof snippet === 'string' ? snippet : JSON.stringify(snippet, null, 2);
}
