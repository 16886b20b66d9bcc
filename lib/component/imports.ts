/**
 * Which imports the runtime can satisfy. A component importing anything else is refused at load,
 * with the list, instead of failing at instantiation with jco's first missing key.
 */
import { ComponentError } from '../core/index.js';

/** WASI 0.2 interfaces the runtime implements (each deny-by-default where it grants anything). */
const WASI_IMPORTS: readonly string[] = [
  'wasi:cli/environment',
  'wasi:cli/exit',
  'wasi:cli/stdin',
  'wasi:cli/stdout',
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:filesystem/types',
  'wasi:filesystem/preopens',
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:sockets/network',
  'wasi:sockets/instance-network',
  'wasi:sockets/tcp',
  'wasi:sockets/tcp-create-socket',
  'wasi:sockets/udp',
  'wasi:sockets/udp-create-socket',
  'wasi:sockets/ip-name-lookup',
  'wasi:http/types',
  'wasi:http/outgoing-handler',
  'wasi:config/store',
];

/** The wtools:mcp interfaces (wit/mcp): content types, and the MCP client's features for this call. */
const MCP_IMPORTS: readonly string[] = [
  'wtools:mcp/content',
  'wtools:mcp/log',
  'wtools:mcp/progress',
  'wtools:mcp/sampling',
  'wtools:mcp/elicit',
];

/** Each supported interface with the one 0.x minor version it is provided at. */
const SUPPORTED_IMPORTS: ReadonlyMap<string, string> = new Map([
  ...WASI_IMPORTS.map((name) => [name, '0.2'] as const),
  ...MCP_IMPORTS.map((name) => [name, '0.1'] as const),
]);

/** `wasi:cli/stdout@0.2.3` → supported; `wasi:cli/stdout@0.3.0` or `acme:secret/door` → not. */
export function unsupportedImports(imports: readonly string[]): string[] {
  return imports.filter((name) => {
    const match = /^([^@]+)(?:@(\d+)\.(\d+)\.(\d+)(?:-[\w.]+)?)?$/.exec(name);
    const version = match && SUPPORTED_IMPORTS.get(match[1]!);
    if (!version) return true;
    return match[2] !== undefined && `${match[2]}.${match[3]}` !== version;
  });
}

export function checkImports(imports: readonly string[], name: string): void {
  const refused = unsupportedImports(imports);
  if (refused.length > 0) {
    throw new ComponentError(
      'IMPORTS_REFUSED',
      `${name} imports what the runtime does not provide: ${refused.join(', ')}; ` +
        'expected only WASI 0.2 interfaces (wasi:cli, clocks, filesystem, io, random, sockets, http, config) ' +
        'and wtools:mcp 0.1 (content, log, progress, sampling, elicit)',
      { details: { refused } },
    );
  }
}
