import { describe, expect, it } from 'vitest';
import { isWtoolsError } from '../../../lib/core/index.js';
import {
  type Capability,
  covers,
  decide,
  formatCapability,
  hostMatches,
  hostNamedBySocketGrant,
  parseCapability,
  parseDurationMs,
  parseMemoryMiB,
  parseSizeBytes,
} from '../../../lib/grants/index.js';

const http = (host: string, port = 443, scheme: 'http' | 'https' = 'https'): Capability => ({
  kind: 'http',
  scheme,
  host,
  port,
});

describe('parseCapability', () => {
  it('reads every kind of the command-line syntax', () => {
    expect(parseCapability('fs:/data')).toEqual({ kind: 'fs', path: '/data', access: 'ro' });
    expect(parseCapability('fs:/data/out:rw')).toEqual({ kind: 'fs', path: '/data/out', access: 'rw' });
    expect(parseCapability('fs:rel/dir:ro', '/work')).toEqual({
      kind: 'fs',
      path: '/work/rel/dir',
      access: 'ro',
    });
    expect(parseCapability('http:api.example.com')).toEqual(http('api.example.com'));
    expect(parseCapability('http:http://127.0.0.1:8080')).toEqual(http('127.0.0.1', 8080, 'http'));
    expect(parseCapability('http:https://*.Example.com:8443/')).toEqual(http('*.example.com', 8443));
    expect(parseCapability('http:[::1]:9000')).toEqual(http('::1', 9000));
    expect(parseCapability('env:API_TOKEN')).toEqual({ kind: 'env', key: 'API_TOKEN' });
    expect(parseCapability('tcp:db.internal:5432')).toEqual({ kind: 'tcp', host: 'db.internal', port: 5432 });
    expect(parseCapability('udp:ntp.example.org:*')).toEqual({
      kind: 'udp',
      host: 'ntp.example.org',
      port: 0,
    });
  });

  it.each([
    ['nothing', 'no kind'],
    ['disk:/x', 'unknown kind "disk"'],
    ['fs:', 'no path'],
    ['http:api.example.com/v1', 'an origin, not a path'],
    ['http:api.example.com:0', 'is not a port'],
    ['http:api.example.com:70000', 'is not a port'],
    ['http:exa mple.com', 'is not a host name'],
    ['http:ftp://example.com', 'only http:// and https://'],
    ['env:A-B', 'letters, digits and _'],
    ['tcp:db.internal', 'needs a port'],
    ['http:*.example.com:*', 'is not a port'],
    ['mcp:tools', 'are sampling and elicit'],
  ])('refuses %s with a message naming what is wrong and the syntax', (text, why) => {
    try {
      parseCapability(text);
      expect.unreachable();
    } catch (err) {
      expect(isWtoolsError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as Error).message).toContain(why);
      expect((err as Error).message).toContain('fs:/abs/path');
    }
  });

  it('formats back to a string that parses to the same capability', () => {
    for (const text of [
      'fs:/a b/c:rw',
      'http:http://localhost:3000',
      'http:[::1]:443',
      'env:X',
      'udp:h.example:*',
      'mcp:sampling',
      'mcp:elicit',
    ]) {
      const capability = parseCapability(text);
      expect(parseCapability(formatCapability(capability))).toEqual(capability);
    }
  });
});

describe('decide', () => {
  it('covers an MCP feature by the same feature only', () => {
    const sampling = parseCapability('mcp:sampling');
    expect(sampling).toEqual({ kind: 'mcp', feature: 'sampling' });
    expect(decide([{ capability: sampling, effect: 'allow' }], sampling)).toBe('allow');
    expect(decide([{ capability: sampling, effect: 'allow' }], parseCapability('mcp:elicit'))).toBe('ask');
  });

  const allow = (text: string) => ({ capability: parseCapability(text), effect: 'allow' as const });
  const deny = (text: string) => ({ capability: parseCapability(text), effect: 'deny' as const });

  it('asks when nothing is granted: deny by default is the runtime refusing what no one allowed', () => {
    expect(decide([], { kind: 'env', key: 'HOME' })).toBe('ask');
  });

  it('lets a deny grant win over an allow', () => {
    expect(
      decide([allow('http:*.example.com'), deny('http:evil.example.com')], http('evil.example.com')),
    ).toBe('deny');
    expect(
      decide([allow('http:*.example.com'), deny('http:evil.example.com')], http('good.example.com')),
    ).toBe('allow');
  });

  it('contains filesystem grants by path segment and by access', () => {
    const grants = [allow('fs:/data:ro'), allow('fs:/data/out:rw')];
    expect(decide(grants, { kind: 'fs', path: '/data/a/b.txt', access: 'ro' })).toBe('allow');
    expect(decide(grants, { kind: 'fs', path: '/data/a/b.txt', access: 'rw' })).toBe('ask');
    expect(decide(grants, { kind: 'fs', path: '/data/out/x', access: 'rw' })).toBe('allow');
    expect(decide(grants, { kind: 'fs', path: '/database', access: 'ro' })).toBe('ask');
    expect(decide(grants, { kind: 'fs', path: '/data/../etc/passwd', access: 'ro' })).toBe('ask');
  });

  it('matches HTTP scheme, host and port exactly; a wildcard never covers its own domain', () => {
    const grant = parseCapability('http:*.example.com');
    expect(covers(grant, http('api.example.com'))).toBe(true);
    expect(covers(grant, http('a.b.example.com'))).toBe(true);
    expect(covers(grant, http('example.com'))).toBe(false);
    expect(covers(grant, http('evilexample.com'))).toBe(false);
    expect(covers(grant, http('api.example.com', 8443))).toBe(false);
    expect(covers(grant, http('api.example.com', 80, 'http'))).toBe(false);
    expect(covers(parseCapability('http:example.com'), http('93.184.215.14'))).toBe(false);
    expect(covers(parseCapability('http:http://127.0.0.1:8080'), http('127.0.0.1', 8080, 'http'))).toBe(true);
  });

  it('matches hosts case-insensitively, ignoring a trailing dot and IPv6 brackets', () => {
    expect(hostMatches('api.example.com', 'API.Example.com.')).toBe(true);
    expect(hostMatches('::1', '[::1]')).toBe(true);
  });

  it('matches environment keys and socket ports exactly, with * for any port', () => {
    expect(decide([allow('env:TOKEN')], { kind: 'env', key: 'TOKEN' })).toBe('allow');
    expect(decide([allow('env:TOKEN')], { kind: 'env', key: 'TOKEN2' })).toBe('ask');
    expect(decide([allow('tcp:db:5432')], { kind: 'tcp', host: 'db', port: 5433 })).toBe('ask');
    expect(decide([allow('tcp:db:*')], { kind: 'tcp', host: 'db', port: 5433 })).toBe('allow');
    expect(decide([allow('tcp:db:*')], { kind: 'udp', host: 'db', port: 5433 })).toBe('ask');
  });
});

describe('hostNamedBySocketGrant', () => {
  const allow = (text: string) => ({ capability: parseCapability(text), effect: 'allow' as const });
  const deny = (text: string) => ({ capability: parseCapability(text), effect: 'deny' as const });
  it('lets a name be looked up when a socket grant names it on any port, unless denied on every port', () => {
    expect(hostNamedBySocketGrant([allow('tcp:db.internal:5432')], 'db.internal')).toBe(true);
    expect(hostNamedBySocketGrant([allow('tcp:*.internal:5432')], 'db.internal')).toBe(true);
    expect(hostNamedBySocketGrant([allow('tcp:db.internal:5432')], 'other.internal')).toBe(false);
    expect(hostNamedBySocketGrant([allow('http:db.internal')], 'db.internal')).toBe(false);
    expect(
      hostNamedBySocketGrant([allow('tcp:db.internal:5432'), deny('tcp:db.internal:*')], 'db.internal'),
    ).toBe(false);
    expect(
      hostNamedBySocketGrant([allow('tcp:db.internal:5432'), deny('tcp:db.internal:22')], 'db.internal'),
    ).toBe(true);
  });
});

describe('limits', () => {
  it('reads sizes and durations people write', () => {
    expect(parseMemoryMiB('128MiB')).toBe(128);
    expect(parseMemoryMiB('1GiB')).toBe(1024);
    expect(parseMemoryMiB('64')).toBe(64);
    expect(parseDurationMs('5s')).toBe(5000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1.5')).toBe(1500);
    expect(parseSizeBytes('16MiB')).toBe(16 * 1024 * 1024);
    expect(parseSizeBytes('1000')).toBe(1000);
  });

  it('refuses nonsense with the expected form', () => {
    expect(() => parseMemoryMiB('lots')).toThrow(/expected a size such as 128MiB/);
    expect(() => parseMemoryMiB('8GiB')).toThrow(/1MiB to 4GiB/);
    expect(() => parseDurationMs('soon')).toThrow(/expected a time such as 5s/);
    expect(() => parseDurationMs('0s')).toThrow(/at least 1ms/);
    expect(() => parseSizeBytes('12 parsecs')).toThrow(/expected a size/);
  });
});
