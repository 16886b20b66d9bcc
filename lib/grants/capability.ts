/**
 * What a component may touch. A capability is both what a grant names and what a guest asks for at
 * run time; `decide()` compares the two. Everything not named by a grant is denied.
 */
import path from 'node:path';
import { WtoolsError } from '../core/index.js';

export type FsAccess = 'ro' | 'rw';
export type HttpScheme = 'http' | 'https';

export type Capability =
  | { kind: 'fs'; path: string; access: FsAccess }
  /** `host` is exact, or `*.example.com` for any subdomain (which does not include example.com). */
  | { kind: 'http'; scheme: HttpScheme; host: string; port: number }
  | { kind: 'env'; key: string }
  /** `port` 0 in a grant stands for any port. */
  | { kind: 'tcp' | 'udp'; host: string; port: number }
  /**
   * A feature of the MCP client of the current call (wtools:mcp): `sampling` spends the user's model
   * (and money) on the component's prompt; `elicit` puts the component's questions to the user.
   */
  | { kind: 'mcp'; feature: McpFeature };

export type McpFeature = 'sampling' | 'elicit';
const MCP_FEATURES: readonly McpFeature[] = ['sampling', 'elicit'];

export interface Grant {
  capability: Capability;
  /** A deny grant ("never") wins over any allow. */
  effect: 'allow' | 'deny';
}

/** Resource limits of one component; every field has a default in `DEFAULT_LIMITS`. */
export interface Limits {
  memoryMiB: number;
  timeoutMs: number;
  /** Cap on the size of one result; captured stdout plus stderr keep at most 1 MiB of it. */
  outputBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  memoryMiB: 256,
  timeoutMs: 30_000,
  outputBytes: 16 * 1024 * 1024,
});

export const GRANT_SYNTAX =
  'fs:/abs/path[:ro|:rw] · http:[http://|https://]host[:port] (host may be *.example.com) · ' +
  'env:KEY · tcp:host:port · udp:host:port (port * for any) · mcp:sampling · mcp:elicit';

const DEFAULT_PORT: Record<HttpScheme, number> = { http: 80, https: 443 };
const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(text: string, why: string): WtoolsError {
  return new WtoolsError('INVALID_ARGUMENT', `invalid grant "${text}": ${why}; expected ${GRANT_SYNTAX}`);
}

/**
 * Parses the command-line form of a grant. Relative filesystem paths resolve against `cwd`; an HTTP
 * grant without a scheme means https only, and without a port the scheme's default port only.
 */
export function parseCapability(text: string, cwd = process.cwd()): Capability {
  const colon = text.indexOf(':');
  if (colon <= 0) throw invalid(text, 'no kind before ":"');
  const kind = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  switch (kind) {
    case 'fs': {
      const match = /^(.*?)(?::(ro|rw))?$/.exec(rest);
      const rawPath = match?.[1] ?? '';
      if (!rawPath) throw invalid(text, 'no path');
      return { kind: 'fs', path: path.resolve(cwd, rawPath), access: (match?.[2] as FsAccess) ?? 'ro' };
    }
    case 'http':
    case 'https':
      return parseHttp(text, kind === 'https' ? `https://${rest.replace(/^\/\//, '')}` : rest);
    case 'env':
      if (!ENV_KEY.test(rest)) throw invalid(text, 'an environment key is letters, digits and _');
      return { kind: 'env', key: rest };
    case 'tcp':
    case 'udp': {
      const { host, port } = splitHostPort(text, rest, true);
      if (port === undefined) throw invalid(text, 'a socket grant needs a port (or *)');
      return { kind, host, port };
    }
    case 'mcp':
      if (!MCP_FEATURES.includes(rest as McpFeature)) {
        throw invalid(text, `the MCP features a grant may name are ${MCP_FEATURES.join(' and ')}`);
      }
      return { kind: 'mcp', feature: rest as McpFeature };
    default:
      throw invalid(text, `unknown kind "${kind}"`);
  }
}

function parseHttp(text: string, rest: string): Capability {
  let scheme: HttpScheme = 'https';
  const schemeMatch = /^(https?):\/\/(.*)$/i.exec(rest);
  if (schemeMatch) {
    scheme = schemeMatch[1]!.toLowerCase() as HttpScheme;
    rest = schemeMatch[2]!;
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) throw invalid(text, 'only http:// and https:// origins');
  rest = rest.replace(/\/$/, '');
  if (rest.includes('/')) throw invalid(text, 'an HTTP grant names an origin, not a path');
  const { host, port } = splitHostPort(text, rest, false);
  return { kind: 'http', scheme, host, port: port ?? DEFAULT_PORT[scheme] };
}

function splitHostPort(text: string, value: string, wildcardPort: boolean): { host: string; port?: number } {
  let host = value;
  let portText: string | undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(.*))?$/i.exec(value);
  if (bracketed) {
    host = bracketed[1]!.toLowerCase();
    portText = bracketed[2];
  } else {
    const colon = value.lastIndexOf(':');
    if (colon >= 0) {
      host = value.slice(0, colon);
      portText = value.slice(colon + 1);
    }
    host = host.toLowerCase();
    if (!IPV4.test(host) && !HOST_PATTERN.test(host)) throw invalid(text, `"${host}" is not a host name`);
  }
  if (portText === undefined) return { host };
  if (portText === '*' && wildcardPort) return { host, port: 0 };
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
    throw invalid(text, `"${portText}" is not a port (1-65535${wildcardPort ? ' or *' : ''})`);
  }
  return { host, port };
}

/** The command-line form, which `parseCapability` reads back unchanged. */
export function formatCapability(capability: Capability): string {
  switch (capability.kind) {
    case 'fs':
      return `fs:${capability.path}:${capability.access}`;
    case 'http': {
      const host = capability.host.includes(':') ? `[${capability.host}]` : capability.host;
      return `http:${capability.scheme}://${host}:${capability.port}`;
    }
    case 'env':
      return `env:${capability.key}`;
    case 'tcp':
    case 'udp':
      return `${capability.kind}:${capability.host}:${capability.port === 0 ? '*' : capability.port}`;
    case 'mcp':
      return `mcp:${capability.feature}`;
  }
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kib: 1024,
  kb: 1000,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
};
const TIME_UNITS: Record<string, number> = { '': 1000, ms: 1, s: 1000, m: 60_000 };

/** A number with an optional unit from `units`; `what` and `example` shape the error message. */
function parseQuantity(text: string, units: Record<string, number>, what: string, example: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase() ?? '';
  const factor = units[unit];
  if (!match || factor === undefined) {
    throw new WtoolsError('INVALID_ARGUMENT', `invalid ${what} "${text}": expected ${example}`);
  }
  return Number(match[1]) * factor;
}

/** `128MiB`, `1GiB`, `512` (MiB when no unit) → MiB. */
export function parseMemoryMiB(text: string): number {
  const mib =
    parseQuantity(text, { ...SIZE_UNITS, '': 1024 ** 2 }, 'memory limit', 'a size such as 128MiB or 1GiB') /
    1024 ** 2;
  if (mib < 1 || mib > 4096) {
    throw new WtoolsError('INVALID_ARGUMENT', `invalid memory limit "${text}": expected 1MiB to 4GiB`);
  }
  return Math.floor(mib);
}

/** `5s`, `250ms`, `2m`, `30` (seconds when no unit) → milliseconds. */
export function parseDurationMs(text: string): number {
  const ms = Math.round(parseQuantity(text, TIME_UNITS, 'duration', 'a time such as 5s, 250ms or 2m'));
  if (ms < 1) throw new WtoolsError('INVALID_ARGUMENT', `invalid duration "${text}": expected at least 1ms`);
  return ms;
}

/** `16MiB`, `1000` (bytes when no unit) → bytes. */
export function parseSizeBytes(text: string): number {
  return Math.floor(parseQuantity(text, SIZE_UNITS, 'size', 'a size such as 1MiB or 65536'));
}

/** What `wtools grant` accepts: a capability, or a limit (`memory:256MiB`, `timeout:30s`, `output:1MiB`). */
export type GrantText = { capability: Capability } | { limit: Partial<Limits> };

export const GRANT_TEXT_SYNTAX = `${GRANT_SYNTAX} · memory:SIZE (e.g. 256MiB) · timeout:DURATION (e.g. 30s) · output:SIZE`;

export function parseGrantText(text: string, cwd = process.cwd()): GrantText {
  const match = /^(memory|timeout|output):(.+)$/.exec(text);
  if (!match) {
    try {
      return { capability: parseCapability(text, cwd) };
    } catch (err) {
      if (err instanceof WtoolsError && /unknown kind/.test(err.message)) {
        throw new WtoolsError(
          'INVALID_ARGUMENT',
          `invalid grant "${text}": unknown kind; expected ${GRANT_TEXT_SYNTAX}`,
        );
      }
      throw err;
    }
  }
  const value = match[2]!;
  if (match[1] === 'memory') return { limit: { memoryMiB: parseMemoryMiB(value) } };
  if (match[1] === 'timeout') return { limit: { timeoutMs: parseDurationMs(value) } };
  return { limit: { outputBytes: parseSizeBytes(value) } };
}

/** Limits in the form `parseGrantText` reads back (`memory:512MiB`), in a fixed order. */
export function formatLimits(limits: Partial<Limits>): ['memory' | 'timeout' | 'output', string][] {
  const out: ['memory' | 'timeout' | 'output', string][] = [];
  if (limits.memoryMiB !== undefined) out.push(['memory', `${limits.memoryMiB}MiB`]);
  if (limits.timeoutMs !== undefined) out.push(['timeout', `${limits.timeoutMs}ms`]);
  if (limits.outputBytes !== undefined) out.push(['output', String(limits.outputBytes)]);
  return out;
}
