import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../lib/core/index.js';
import {
  REFERENCE_GRAMMAR,
  formatReference,
  parseReference,
  referenceSelector,
  registryApiHost,
  registryHost,
  withDigest,
  withTag,
} from '../../../lib/oci/index.js';
import { expectCode } from '../../harness/unit.js';

const DIGEST = sha256('reference test');

describe('parseReference: registries', () => {
  it('parses registry, nested repository and tag', () => {
    expect(parseReference('ghcr.io/org/name:tag')).toEqual({
      kind: 'registry',
      registry: 'ghcr.io',
      repository: 'org/name',
      tag: 'tag',
    });
  });

  it('parses a digest-only reference', () => {
    expect(parseReference(`ghcr.io/org/name@${DIGEST}`)).toEqual({
      kind: 'registry',
      registry: 'ghcr.io',
      repository: 'org/name',
      digest: DIGEST,
    });
  });

  it('keeps both tag and digest, and the digest wins when resolving', () => {
    const ref = parseReference(`ghcr.io/org/name:1.0@${DIGEST}`);
    expect(ref).toMatchObject({ tag: '1.0', digest: DIGEST });
    expect(referenceSelector(ref)).toBe(DIGEST);
    expect(referenceSelector(parseReference('ghcr.io/org/name'))).toBe('latest');
  });

  it('treats host:port and localhost as registries', () => {
    expect(parseReference('localhost:5000/x')).toEqual({
      kind: 'registry',
      registry: 'localhost:5000',
      repository: 'x',
    });
    expect(parseReference('localhost/x:1')).toMatchObject({
      registry: 'localhost',
      repository: 'x',
      tag: '1',
    });
    expect(parseReference('127.0.0.1:5000/a/b:c')).toMatchObject({
      registry: '127.0.0.1:5000',
      repository: 'a/b',
      tag: 'c',
    });
  });

  it('applies the docker.io defaults', () => {
    expect(parseReference('ubuntu')).toEqual({
      kind: 'registry',
      registry: 'docker.io',
      repository: 'library/ubuntu',
    });
    expect(parseReference('ubuntu:22.04')).toMatchObject({ repository: 'library/ubuntu', tag: '22.04' });
    expect(parseReference('someone/tool')).toMatchObject({
      registry: 'docker.io',
      repository: 'someone/tool',
    });
    // A first component without "." or ":" is a namespace, not a host.
    expect(parseReference('org/name')).toMatchObject({ registry: 'docker.io', repository: 'org/name' });
  });

  it('normalises the Docker Hub aliases to docker.io', () => {
    expect(parseReference('index.docker.io/ubuntu')).toMatchObject({
      registry: 'docker.io',
      repository: 'library/ubuntu',
    });
    expect(parseReference('registry-1.docker.io/library/alpine:3')).toMatchObject({
      registry: 'docker.io',
      repository: 'library/alpine',
      tag: '3',
    });
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('ghcr.io')).toBe('ghcr.io');
  });

  it('parses bracketed IPv6 registries with a port', () => {
    const ref = parseReference('[::1]:5000/x:v1');
    expect(ref).toEqual({ kind: 'registry', registry: '[::1]:5000', repository: 'x', tag: 'v1' });
    expect(registryHost('[::1]:5000')).toBe('::1');
    expect(registryHost('Localhost:5000')).toBe('localhost');
    expect(registryHost('ghcr.io')).toBe('ghcr.io');
  });

  it('accepts repository separators . _ __ and dashes', () => {
    expect(parseReference('ghcr.io/a.b/c_d/e__f/g--h')).toMatchObject({ repository: 'a.b/c_d/e__f/g--h' });
  });
});

describe('parseReference: layouts', () => {
  it('parses oci:PATH with a tag or a digest', () => {
    expect(parseReference('oci:./out')).toEqual({ kind: 'layout', path: './out' });
    expect(parseReference('oci:./out:v1')).toEqual({ kind: 'layout', path: './out', tag: 'v1' });
    expect(parseReference(`oci:/tmp/out@${DIGEST}`)).toEqual({
      kind: 'layout',
      path: '/tmp/out',
      digest: DIGEST,
    });
  });

  it('keeps ":" inside directory names as part of the path', () => {
    expect(parseReference('oci:/tmp/a:b/layout')).toEqual({ kind: 'layout', path: '/tmp/a:b/layout' });
    expect(parseReference('oci:/tmp/a:b/layout:v2')).toEqual({
      kind: 'layout',
      path: '/tmp/a:b/layout',
      tag: 'v2',
    });
    expect(parseReference(`oci:/tmp/a:b/layout@${DIGEST}`)).toEqual({
      kind: 'layout',
      path: '/tmp/a:b/layout',
      digest: DIGEST,
    });
  });

  it('refuses a layout reference without a path or with a bad tag', async () => {
    await expectCode(() => parseReference('oci:'), 'INVALID_REFERENCE');
    await expectCode(() => parseReference('oci::v1'), 'INVALID_REFERENCE');
    await expectCode(() => parseReference('oci:./dir:-bad'), 'INVALID_REFERENCE');
  });
});

describe('parseReference: invalid input', () => {
  const cases: [string, string, string][] = [
    ['uppercase repository', 'ghcr.io/Org/name', '"Org"'],
    ['bad tag', 'ghcr.io/org/name:-x', '"-x" is not a valid tag'],
    ['empty tag', 'ghcr.io/org/name:', 'not a valid tag'],
    ['tag too long', `ghcr.io/org/name:${'t'.repeat(129)}`, 'not a valid tag'],
    ['bad digest', 'ghcr.io/org/name@sha256:abc', 'is not a digest'],
    ['uppercase digest', `ghcr.io/org/name@sha256:${'A'.repeat(64)}`, 'is not a digest'],
    ['empty', '', 'it is empty'],
    ['blank', '   ', 'it is empty'],
    ['URL scheme', 'https://ghcr.io/org/name:1', 'no URL scheme'],
    ['missing repository', 'ghcr.io/', 'repository'],
    ['double slash', 'ghcr.io/org//name', 'repository component ""'],
    ['bad port', 'localhost:123456/x', 'is not a registry host[:port]'],
    ['trailing separator', 'ghcr.io/org/name-', '"name-"'],
  ];
  for (const [label, input, why] of cases) {
    it(`refuses ${label} with the grammar in the message`, async () => {
      const err = await expectCode(() => parseReference(input), 'INVALID_REFERENCE');
      expect(err.message).toContain(why);
      expect(err.message).toContain(REFERENCE_GRAMMAR);
      expect(err.message).toContain(`invalid reference "${input}"`);
    });
  }
});

describe('formatReference', () => {
  const inputs = [
    'ghcr.io/org/name:tag',
    `ghcr.io/org/name@${DIGEST}`,
    `ghcr.io/org/name:1.0@${DIGEST}`,
    'localhost:5000/x',
    '[::1]:5000/x:v1',
    'docker.io/library/ubuntu:22.04',
    'oci:/tmp/a:b/layout:v2',
    `oci:./out@${DIGEST}`,
  ];
  for (const input of inputs) {
    it(`round trips ${input}`, () => {
      const ref = parseReference(input);
      expect(formatReference(ref)).toBe(input);
      expect(parseReference(formatReference(ref))).toEqual(ref);
    });
  }

  it('spells docker.io defaults out in full', () => {
    expect(formatReference(parseReference('ubuntu'))).toBe('docker.io/library/ubuntu');
    expect(formatReference(parseReference('index.docker.io/ubuntu:1'))).toBe('docker.io/library/ubuntu:1');
  });

  it('pins with withDigest and re-tags with withTag', () => {
    const ref = parseReference(`ghcr.io/org/name:1.0@${DIGEST}`);
    expect(formatReference(withDigest(parseReference('ghcr.io/org/name:1.0'), DIGEST))).toBe(
      `ghcr.io/org/name@${DIGEST}`,
    );
    expect(formatReference(withTag(ref, '2.0'))).toBe('ghcr.io/org/name:2.0');
    expect(formatReference(withTag(ref, undefined))).toBe('ghcr.io/org/name');
  });
});
