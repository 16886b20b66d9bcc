import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatCapability, formatGrantPolicy, parseGrantPolicy } from '../../../lib/grants/index.js';
import { expectCode } from '../../harness/unit.js';

// Wassette's policy.yaml, version 1.0, as its documentation writes one.
const WASSETTE = `
version: "1.0"
description: "Permission policy for a fetch tool"
permissions:
  storage:
    allow:
      - uri: "fs://workspace/**"
        access: ["read", "write"]
      - uri: "fs:///etc/ssl/certs"
        access: ["read"]
      - uri: "fs://logs/**"
        access: ["write"]
    deny:
      - uri: "fs://workspace/secrets"
        access: ["read"]
  network:
    allow:
      - host: "api.example.com"
      - host: "*.githubusercontent.com"
      - cidr: "10.0.0.0/8"
  environment:
    allow:
      - key: "API_KEY"
  resources:
    limits:
      memory: "512Mi"
      cpu: "500m"
`;

describe("Wassette's policy.yaml", () => {
  it('imports exactly what it can express, and lists the rest', () => {
    const policy = parseGrantPolicy(WASSETTE, 'policy.yaml', '/srv/tool');
    expect(policy.format).toBe('wassette');
    expect(policy.allow.map(formatCapability)).toEqual([
      'fs:/srv/tool/workspace:rw',
      'fs:/etc/ssl/certs:ro',
      'http:https://api.example.com:443',
      'http:https://*.githubusercontent.com:443',
      'env:API_KEY',
    ]);
    expect(policy.deny.map(formatCapability)).toEqual(['fs:/srv/tool/workspace/secrets:rw']);
    expect(policy.limits).toEqual({ memoryMiB: 512 });
    expect(policy.skipped.join('\n')).toMatch(/storage.allow\[2\]: write-only/);
    expect(policy.skipped.join('\n')).toMatch(/network.allow\[2\]: only host entries/);
    expect(policy.skipped.join('\n')).toMatch(/resources.limits.cpu/);
  });

  it('exports stored grants as policy.yaml that reads back the same', () => {
    const policy = parseGrantPolicy(WASSETTE, 'policy.yaml', '/srv/tool');
    const { text, skipped } = formatGrantPolicy(policy, 'wassette', 'round trip');
    expect(skipped).toEqual([]);
    const again = parseGrantPolicy(text, 'out.yaml', '/elsewhere');
    expect(again.allow).toEqual(policy.allow);
    expect(again.deny).toEqual(policy.deny);
    expect(again.limits).toEqual(policy.limits);
    expect(parse(text).permissions.network.allow).toEqual([
      { host: 'api.example.com' },
      { host: '*.githubusercontent.com' },
    ]);
  });

  it('says what Wassette cannot hold instead of widening it', () => {
    const { skipped } = formatGrantPolicy(
      {
        allow: [
          { kind: 'http', scheme: 'http', host: '127.0.0.1', port: 8080 },
          { kind: 'tcp', host: 'db.internal', port: 5432 },
        ],
        deny: [],
        limits: { timeoutMs: 5000 },
      },
      'wassette',
      'x',
    );
    expect(skipped).toHaveLength(3);
  });
});

describe('the wtools grant policy format', () => {
  const OWN = `
wtools-grants: 1
description: grants for the fetch tool
allow:
  - http:api.example.com
  - fs:./data:ro
deny:
  - http:evil.example.com
limits:
  memory: 128MiB
  timeout: 10s
`;

  it('reads back what it writes', () => {
    const policy = parseGrantPolicy(OWN, 'grants.yaml', '/srv');
    expect(policy.allow.map(formatCapability)).toEqual([
      'http:https://api.example.com:443',
      'fs:/srv/data:ro',
    ]);
    expect(policy.limits).toEqual({ memoryMiB: 128, timeoutMs: 10_000 });
    const again = parseGrantPolicy(formatGrantPolicy(policy, 'wtools', 'x').text, 'out.yaml', '/');
    expect(again.allow).toEqual(policy.allow);
    expect(again.deny).toEqual(policy.deny);
    expect(again.limits).toEqual(policy.limits);
  });

  it('is what policy/grants.schema.json describes', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../../policy/grants.schema.json', import.meta.url), 'utf8'),
    );
    const validate = new Ajv2020({ strict: true }).compile(schema);
    expect(validate(parse(OWN)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ 'wtools-grants': 1, allow: ['x'], extra: true })).toBe(false);
  });

  it.each([
    ['an unknown field', 'wtools-grants: 1\ngrant: [env:A]\n', /unknown field/],
    ['a bad capability', 'wtools-grants: 1\nallow: [disk:/]\n', /allow\[0\]/],
    ['a bad limit', 'wtools-grants: 1\nlimits: {memory: lots}\n', /limits/],
    ['neither format', 'a: 1\n', /expected "wtools-grants: 1"/],
    ['not YAML', 'a: [\n', /expected YAML/],
  ])('refuses %s with the reason', async (_why, text, message) => {
    const err = await expectCode(() => parseGrantPolicy(text, 'p.yaml', '/'), 'POLICY_FILE_INVALID');
    expect(err.message).toMatch(message);
  });
});
