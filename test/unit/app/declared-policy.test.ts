/**
 * What a publisher ships in its artifact's policy layer is read back as a request: shown by pull and
 * inspect, offered unticked at load, never a grant. A layer that cannot be read is reported, and the
 * pull still succeeds (nothing depends on it).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ComponentPermissions, InspectResult } from '../../../lib/index.js';
import { preGrantOffer } from '../../../lib/app/load-prompts.js';
import { pull } from '../../../lib/app/pull.js';
import { push } from '../../../lib/app/push.js';
import { MediaType, findPolicyLayer, parseManifest } from '../../../lib/oci/index.js';
import { openGrantStore } from '../../../lib/app/permissions.js';
import { appSetup, publishComponent } from '../../harness/app.js';
import { fixturePath, fixtureWasm } from '../../harness/fixtures.js';
import { expectCode, tempDir } from '../../harness/unit.js';

const WASSETTE_POLICY = `version: "1.0"
description: what the tool needs
permissions:
  storage:
    allow:
      - uri: "fs:///srv/data/**"
        access: ["read"]
  network:
    allow:
      - host: "api.example.com"
  environment:
    allow:
      - key: "API_KEY"
  resources:
    limits:
      memory: "128Mi"
`;

const encode = (text: string) => new TextEncoder().encode(text);

describe('the policy layer of an artifact', () => {
  it('is shipped by push --policy and read back by pull as a request, granting nothing', async () => {
    const { registry, context } = await appSetup();
    const dir = await tempDir('wtools-policy-');
    const file = path.join(dir, 'policy.yaml');
    await writeFile(file, WASSETTE_POLICY);
    const pushed = await push(context, await fixturePath('imports'), 'registry.test/org/tool:1', {
      policyFile: file,
    });
    expect(pushed.policy?.size).toBe(WASSETTE_POLICY.length);
    const stored = registry.manifest('org/tool', '1');
    const manifest = parseManifest(stored!.bytes, stored!.mediaType);
    if (manifest.kind !== 'manifest') throw new Error('expected an image manifest');
    expect(findPolicyLayer(manifest.value)).toMatchObject({ mediaType: MediaType.wasmPolicy });

    const pulled = await pull(context, 'registry.test/org/tool:1');
    expect(pulled.declaredPolicy).toEqual({
      layer: pushed.policy!.digest,
      asks: ['fs:/srv/data:ro', 'http:https://api.example.com:443', 'env:API_KEY'],
      limits: { memoryMiB: 128 },
      skipped: [],
    });
    // A request is not a grant: nothing was written to the grant store.
    expect((await openGrantStore(context).read()).components).toEqual({});
  });

  it('refuses, at push, a policy file that is not a policy, before any request', async () => {
    const { registry, context } = await appSetup();
    const file = path.join(await tempDir('wtools-policy-'), 'policy.yaml');
    await writeFile(file, 'version: "1.0"\npermissions: {network: {allow: [{host: 7}]}}\nextra: [\n');
    await expectCode(
      push(context, await fixturePath('hello'), 'registry.test/org/tool:1', { policyFile: file }),
      'POLICY_FILE_INVALID',
    );
    expect(registry.requests).toEqual([]);
  });

  it('that cannot be read as a policy is reported, and the pull still succeeds', async () => {
    const { registry, context } = await appSetup();
    publishComponent(registry, 'org/odd', '1', await fixtureWasm('hello'), {
      policy: encode('permissions: [this is not a policy\n'),
    });
    const pulled = await pull(context, 'registry.test/org/odd:1');
    expect(pulled.declaredPolicy?.asks).toEqual([]);
    expect(pulled.declaredPolicy?.problem).toMatch(/is not a grant policy: expected YAML/);
  });

  it('over 64 KiB is not read at all', async () => {
    const { registry, context } = await appSetup();
    publishComponent(registry, 'org/big', '1', await fixtureWasm('hello'), {
      policy: encode(`${WASSETTE_POLICY}# ${'x'.repeat(70 * 1024)}\n`),
    });
    const pulled = await pull(context, 'registry.test/org/big:1');
    expect(pulled.declaredPolicy?.problem).toMatch(/expected at most 65536/);
  });
});

describe('the load-time offer', () => {
  const permissions = (granted: string[] = []) =>
    ({
      name: 'tool',
      identity: 'registry.test/org/tool',
      signer: 'key:SHA256:abc',
      grants: () =>
        granted.map((text) => ({
          capability: { kind: 'http', scheme: 'https', host: text, port: 443 },
          effect: 'allow',
        })),
    }) as unknown as ComponentPermissions;
  const inspection = (declaredAsks: string[]) =>
    ({
      asks: [
        { interface: 'wasi:filesystem/preopens@0.2.0', capability: 'files' },
        { interface: 'wasi:http/outgoing-handler@0.2.0', capability: 'outgoing HTTP' },
      ],
      declaredPolicy: { layer: 'sha256:0', asks: declaredAsks, limits: { memoryMiB: 64 }, skipped: [] },
    }) as unknown as InspectResult;

  it('offers the current directory, then what the publisher asks for, each once, and not what is granted', () => {
    const offer = preGrantOffer(
      inspection(['fs:/work:ro', 'http:https://api.example.com:443', 'http:https://granted.example:443']),
      permissions(['granted.example']),
      '/work',
    );
    expect(offer.suggestions.map((s) => [s.capability, s.why])).toEqual([
      [{ kind: 'fs', path: '/work', access: 'ro' }, 'read the current directory'],
      [{ kind: 'fs', path: '/work', access: 'rw' }, 'read and write it'],
      [
        { kind: 'http', scheme: 'https', host: 'api.example.com', port: 443 },
        'its publisher’s policy asks for it',
      ],
    ]);
    expect(offer.declared).toEqual({
      asks: [
        'fs:/work:ro',
        'http:https://api.example.com:443',
        'http:https://granted.example:443',
        'memory:64MiB',
      ],
    });
    expect(offer.asks).toEqual(['files', 'outgoing HTTP']);
  });

  it('offers the MCP features a component imports, by their one capability each', () => {
    const mcp = {
      asks: [
        { interface: 'wtools:mcp/log@0.1.0', capability: 'log messages' },
        { interface: 'wtools:mcp/sampling@0.1.0', capability: 'completions' },
        { interface: 'wtools:mcp/elicit@0.1.0', capability: 'questions' },
      ],
    } as unknown as InspectResult;
    const offer = preGrantOffer(mcp, permissions([]), '/work');
    expect(offer.suggestions.map((s) => s.capability)).toEqual([
      { kind: 'mcp', feature: 'sampling' },
      { kind: 'mcp', feature: 'elicit' },
    ]);
  });
});
