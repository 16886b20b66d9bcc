/**
 * Grant policy files for one component: our own format (documented by policy/grants.schema.json) and
 * Wassette's policy.yaml (version "1.0"), both ways. A policy file is a human's decision only when a
 * human imports it; what a component ships about itself is a request, never a grant.
 *
 * Wassette's model is coarser than ours in places; nothing is ever widened to fit. What cannot be
 * expressed exactly (write-only storage, CIDR ranges, sockets, limits it lacks) is skipped and listed.
 */
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { GrantError, describeError } from '../core/index.js';
import {
  type Capability,
  type Limits,
  formatCapability,
  formatLimits,
  parseCapability,
  parseDurationMs,
  parseMemoryMiB,
  parseSizeBytes,
} from './capability.js';

export const POLICY_FORMAT_KEY = 'wtools-grants';

export interface GrantPolicy {
  allow: Capability[];
  deny: Capability[];
  limits: Partial<Limits>;
  /** Entries of the source that could not be carried over exactly, and why. */
  skipped: string[];
}

export type PolicyFormat = 'wtools' | 'wassette';

function invalid(file: string, why: string): GrantError {
  return new GrantError('POLICY_FILE_INVALID', `${file} is not a grant policy: ${why}`);
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asList(value: unknown, where: string, file: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(file, `expected ${where} to be a list`);
  return value;
}

/** Reads either format; `baseDir` resolves relative filesystem paths (the policy file's folder). */
export function parseGrantPolicy(
  text: string,
  file: string,
  baseDir: string,
): GrantPolicy & { format: PolicyFormat } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw invalid(file, `expected YAML, found ${describeError(err)}`);
  }
  const root = asObject(doc);
  if (!root) throw invalid(file, 'expected a mapping at the top');
  if (root[POLICY_FORMAT_KEY] !== undefined) return { format: 'wtools', ...parseOwn(root, file, baseDir) };
  if (root.version !== undefined && root.permissions !== undefined) {
    return { format: 'wassette', ...parseWassette(root, file, baseDir) };
  }
  throw invalid(
    file,
    `expected "${POLICY_FORMAT_KEY}: 1" (wtools) or "version" with "permissions" (Wassette policy.yaml)`,
  );
}

function parseOwn(root: Record<string, unknown>, file: string, baseDir: string): GrantPolicy {
  if (root[POLICY_FORMAT_KEY] !== 1) {
    throw invalid(file, `expected ${POLICY_FORMAT_KEY}: 1, found ${JSON.stringify(root[POLICY_FORMAT_KEY])}`);
  }
  const known = new Set([POLICY_FORMAT_KEY, 'description', 'allow', 'deny', 'limits']);
  const unknown = Object.keys(root).filter((k) => !known.has(k));
  if (unknown.length)
    throw invalid(file, `unknown field(s) ${unknown.join(', ')}; expected ${[...known].join(', ')}`);
  const capabilities = (key: 'allow' | 'deny') =>
    asList(root[key], key, file).map((item, index) => {
      if (typeof item !== 'string') throw invalid(file, `${key}[${index}] must be a grant string`);
      try {
        return parseCapability(item, baseDir);
      } catch (err) {
        throw invalid(file, `${key}[${index}]: ${describeError(err)}`);
      }
    });
  const limitsDoc = asObject(root.limits) ?? {};
  const limits: Partial<Limits> = {};
  try {
    if (limitsDoc.memory !== undefined) limits.memoryMiB = parseMemoryMiB(String(limitsDoc.memory));
    if (limitsDoc.timeout !== undefined) limits.timeoutMs = parseDurationMs(String(limitsDoc.timeout));
    if (limitsDoc.output !== undefined) limits.outputBytes = parseSizeBytes(String(limitsDoc.output));
  } catch (err) {
    throw invalid(file, `limits: ${describeError(err)}`);
  }
  return { allow: capabilities('allow'), deny: capabilities('deny'), limits, skipped: [] };
}

/** `fs://workspace/**` → a directory: the glob tail goes (a grant covers what is below its path). */
function storagePath(uri: unknown, baseDir: string): string | undefined {
  if (typeof uri !== 'string' || !uri.startsWith('fs://')) return undefined;
  const raw = uri.slice('fs://'.length).replace(/\/\*\*?$/, '') || '/';
  if (raw.includes('*')) return undefined;
  return path.resolve(baseDir, raw);
}

/** Kubernetes-style sizes as Wassette writes them: 512Mi, 1Gi, 1024Ki, or plain bytes. */
function wassetteMemory(value: unknown): number {
  const text = String(value).trim();
  const k8s = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)$/.exec(text);
  return parseMemoryMiB(k8s ? `${k8s[1]}${k8s[2]}B` : /^\d+$/.test(text) ? `${text}B` : text);
}

function parseWassette(root: Record<string, unknown>, file: string, baseDir: string): GrantPolicy {
  if (String(root.version) !== '1.0')
    throw invalid(file, `expected version "1.0", found ${JSON.stringify(root.version)}`);
  const permissions = asObject(root.permissions) ?? {};
  const policy: GrantPolicy = { allow: [], deny: [], limits: {}, skipped: [] };
  const storage = asObject(permissions.storage) ?? {};
  const network = asObject(permissions.network) ?? {};
  const environment = asObject(permissions.environment) ?? {};

  for (const effect of ['allow', 'deny'] as const) {
    const into = policy[effect];
    asList(storage[effect], `permissions.storage.${effect}`, file).forEach((item, index) => {
      const entry = asObject(item) ?? {};
      const where = `permissions.storage.${effect}[${index}]`;
      const dir = storagePath(entry.uri, baseDir);
      const access = asList(entry.access, `${where}.access`, file).map(String);
      if (!dir)
        return policy.skipped.push(`${where}: ${JSON.stringify(entry.uri)} is not an fs:// directory`);
      const reads = access.includes('read');
      const writes = access.includes('write');
      if (effect === 'allow' && writes && !reads) {
        return policy.skipped.push(
          `${where}: write-only access has no exact equivalent (wtools grants ro or rw)`,
        );
      }
      if (effect === 'deny' && !reads) {
        policy.skipped.push(`${where}: a write-only deny becomes a deny of all access (the safe side)`);
      }
      // A deny grant of rw covers every access below the path; of ro, only reads.
      into.push({ kind: 'fs', path: dir, access: effect === 'deny' || writes ? 'rw' : 'ro' });
    });
    asList(network[effect], `permissions.network.${effect}`, file).forEach((item, index) => {
      const entry = asObject(item) ?? {};
      const where = `permissions.network.${effect}[${index}]`;
      if (typeof entry.host !== 'string') {
        return policy.skipped.push(`${where}: only host entries are carried over (CIDR ranges are not)`);
      }
      try {
        into.push(parseCapability(`http:${entry.host}`));
      } catch (err) {
        policy.skipped.push(`${where}: ${describeError(err)}`);
      }
    });
    asList(environment[effect], `permissions.environment.${effect}`, file).forEach((item, index) => {
      const key = asObject(item)?.key;
      try {
        into.push(parseCapability(`env:${String(key)}`));
      } catch (err) {
        policy.skipped.push(`permissions.environment.${effect}[${index}]: ${describeError(err)}`);
      }
    });
  }
  const resources = asObject(permissions.resources) ?? asObject(root.resources) ?? {};
  const limits = asObject(resources.limits) ?? {};
  if (limits.memory !== undefined) {
    try {
      policy.limits.memoryMiB = wassetteMemory(limits.memory);
    } catch (err) {
      throw invalid(file, `resources.limits.memory: ${describeError(err)}`);
    }
  }
  for (const key of Object.keys(limits).filter((k) => k !== 'memory')) {
    policy.skipped.push(
      `resources.limits.${key}: wtools has no such limit (it limits memory, time and output)`,
    );
  }
  for (const key of Object.keys(permissions)) {
    if (!['storage', 'network', 'environment', 'resources'].includes(key)) {
      policy.skipped.push(`permissions.${key}: not a permission wtools knows`);
    }
  }
  return policy;
}

/** Writes a policy in either format; what the format cannot say is returned in `skipped`. */
export function formatGrantPolicy(
  policy: Omit<GrantPolicy, 'skipped'>,
  format: PolicyFormat,
  description: string,
): { text: string; skipped: string[] } {
  if (format === 'wtools') {
    const limits = Object.fromEntries(formatLimits(policy.limits));
    const doc = {
      [POLICY_FORMAT_KEY]: 1,
      description,
      allow: policy.allow.map(formatCapability),
      deny: policy.deny.map(formatCapability),
      ...(Object.keys(limits).length ? { limits } : {}),
    };
    return { text: stringify(doc), skipped: [] };
  }
  const skipped: string[] = [];
  const section = (effect: 'allow' | 'deny') => {
    const storage: unknown[] = [];
    const network: unknown[] = [];
    const environment: unknown[] = [];
    for (const c of policy[effect]) {
      if (c.kind === 'fs') {
        storage.push({
          uri: `fs://${c.path}`,
          access: c.access === 'rw' ? ['read', 'write'] : ['read'],
        });
      } else if (c.kind === 'http' && c.scheme === 'https' && c.port === 443) network.push({ host: c.host });
      else if (c.kind === 'env') environment.push({ key: c.key });
      else if (c.kind === 'mcp')
        skipped.push(`${effect} ${formatCapability(c)}: Wassette has no MCP permissions`);
      else
        skipped.push(
          `${effect} ${formatCapability(c)}: Wassette's host entries carry no scheme, port or socket kind`,
        );
    }
    return { storage, network, environment };
  };
  const allow = section('allow');
  const deny = section('deny');
  const permissions: Record<string, unknown> = {};
  for (const key of ['storage', 'network', 'environment'] as const) {
    const entry: Record<string, unknown> = {};
    if (allow[key].length) entry.allow = allow[key];
    if (deny[key].length) entry.deny = deny[key];
    if (Object.keys(entry).length) permissions[key] = entry;
  }
  if (policy.limits.memoryMiB !== undefined) {
    permissions.resources = { limits: { memory: `${policy.limits.memoryMiB}Mi` } };
  }
  if (policy.limits.timeoutMs !== undefined) skipped.push('timeout: Wassette has no time limit');
  if (policy.limits.outputBytes !== undefined) skipped.push('output: Wassette has no output limit');
  return { text: stringify({ version: '1.0', description, permissions }), skipped };
}
