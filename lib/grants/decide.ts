/**
 * The one place that says whether a grant covers what a guest asks for. Pure and synchronous, so the
 * runtime can call it from inside a blocking WASI call.
 */
import path from 'node:path';
import type { Capability, FsAccess, Grant } from './capability.js';

export type Decision = 'allow' | 'deny' | 'ask';

/** A matching deny grant wins; then a matching allow; anything else is for a human to answer. */
export function decide(grants: readonly Grant[], want: Capability): Decision {
  if (grants.some((g) => g.effect === 'deny' && covers(g.capability, want))) return 'deny';
  if (grants.some((g) => g.effect === 'allow' && covers(g.capability, want))) return 'allow';
  return 'ask';
}

export function covers(grant: Capability, want: Capability): boolean {
  switch (grant.kind) {
    case 'fs':
      return want.kind === 'fs' && isWithin(grant.path, want.path) && accessCovers(grant.access, want.access);
    case 'http':
      return (
        want.kind === 'http' &&
        grant.scheme === want.scheme &&
        grant.port === want.port &&
        hostMatches(grant.host, want.host)
      );
    case 'env':
      return want.kind === 'env' && grant.key === want.key;
    case 'tcp':
    case 'udp':
      return (
        want.kind === grant.kind &&
        (grant.port === 0 || grant.port === want.port) &&
        hostMatches(grant.host, want.host)
      );
    case 'mcp':
      return want.kind === 'mcp' && grant.feature === want.feature;
  }
}

function accessCovers(granted: FsAccess, wanted: FsAccess): boolean {
  return granted === 'rw' || wanted === 'ro';
}

/** Path-segment containment on normalised absolute paths: /data covers /data/x, not /database. */
export function isWithin(root: string, candidate: string): boolean {
  const relative = path.relative(path.resolve(root), path.resolve(candidate));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Exact, case-insensitive host match, or `*.example.com` for one or more labels in front of
 * example.com. An IP address matches only itself: granting a name never grants the address it
 * resolves to.
 */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return p === h;
}

/**
 * Whether a socket grant names this host on some port: what lets a guest look the name up. A deny
 * grant of the host on every port (port 0) wins.
 */
export function hostNamedBySocketGrant(grants: readonly Grant[], host: string): boolean {
  const names = (g: Grant, anyPortOnly: boolean): boolean =>
    (g.capability.kind === 'tcp' || g.capability.kind === 'udp') &&
    (!anyPortOnly || g.capability.port === 0) &&
    hostMatches(g.capability.host, host);
  if (grants.some((g) => g.effect === 'deny' && names(g, true))) return false;
  return grants.some((g) => g.effect === 'allow' && names(g, false));
}
