/**
 * Verify then use: a tag is resolved once, and everything after (the signature check, the fetch,
 * the name in the store) uses that digest. A registry that re-points the tag between the
 * resolution and the fetch must not get its other bytes stored.
 */
import { describe, expect, it } from 'vitest';
import { WtoolsContext } from '../../../lib/app/context.js';
import { type WtoolsError, isWtoolsError, sha256 } from '../../../lib/core/index.js';
import { pull } from '../../../lib/app/pull.js';
import { signReference } from '../../../lib/app/sign.js';
import { listStored } from '../../../lib/app/store-commands.js';
import { generateKeyPair } from '../../../lib/trust/keys.js';
import { appSetup, publishComponent, storeBlobs } from '../../harness/app.js';
import type { FakeRegistry } from '../../harness/fake-registry.js';
import { fixtureWasm } from '../../harness/fixtures.js';
import { expectCode } from '../../harness/unit.js';

async function caught(action: Promise<unknown>): Promise<WtoolsError> {
  try {
    await action;
  } catch (err) {
    expect(isWtoolsError(err), String(err)).toBe(true);
    return err as WtoolsError;
  }
  throw new Error('expected a rejection');
}

const REPO = 'org/x';
const REF = `registry.test/${REPO}:1`;
const TAG_PATH = `/v2/${REPO}/manifests/1`;

interface Scenario {
  registry: FakeRegistry;
  /** A context whose registry traffic goes through `onRequest` first. */
  context: WtoolsContext;
  /** Paths requested, in order. */
  paths: string[];
}

/** The fake registry behind a fetch that lets the test act after each response. */
async function scenario(onResponse: (method: string, path: string) => void): Promise<Scenario> {
  const { home, registry } = await appSetup({ trustPolicy: false });
  const paths: string[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const response = await registry.fetch(input, init);
    paths.push(url.pathname);
    onResponse((init?.method ?? 'GET').toUpperCase(), url.pathname);
    return response;
  }) as typeof globalThis.fetch;
  const context = new WtoolsContext({
    env: { WTOOLS_HOME: home, HOME: home },
    fetch,
    retry: { baseDelayMs: 1 },
  });
  return { registry, context, paths };
}

async function components() {
  const a = await fixtureWasm('hello');
  const b = await fixtureWasm('imports');
  expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  return { a, b };
}

describe('pull: a tag moved to other bytes', () => {
  it('between verify and fetch: the verified digest is stored, never the new bytes', async () => {
    const { a, b } = await components();
    const pair = generateKeyPair();
    let armed = false;
    let moved = false;
    let movedAt = -1;
    let unsignedB: ReturnType<typeof publishComponent> | undefined;
    const { registry, context, paths } = await scenario((_method, path) => {
      if (!armed || moved || path !== TAG_PATH) return;
      // The tag was just resolved: re-point it to B (unsigned, other bytes) right away.
      unsignedB = publishComponent(registry, REPO, '1', b, { exports: ['other'] });
      moved = true;
      movedAt = paths.length;
    });
    const signedA = publishComponent(registry, REPO, '1', a);
    await signReference(context, REF, { key: { pem: pair.privateKeyPem } });
    paths.length = 0;
    armed = true;

    const result = await pull(context, REF, {
      trustOptions: { signers: [{ kind: 'key', publicKeyPem: pair.publicKeyPem }] },
    });

    expect(moved).toBe(true);
    expect(unsignedB).toBeDefined();
    // The registry's tag does name B now: only the single resolution kept A.
    expect(sha256(registry.manifest(REPO, '1')!.bytes)).toBe(unsignedB!.manifest.digest);
    expect(result).toMatchObject({
      digest: signedA.manifest.digest,
      component: { digest: signedA.layer.digest },
      cached: false,
      trust: { status: 'verified', signer: { method: 'key', format: 'bundle' }, rule: 'command line' },
    });
    const blobs = await storeBlobs(context);
    expect(blobs).toContain(signedA.layer.digest);
    expect(blobs).toContain(signedA.manifest.digest);
    expect(blobs).not.toContain(unsignedB!.layer.digest);
    expect(blobs).not.toContain(unsignedB!.manifest.digest);
    expect(blobs).not.toContain(unsignedB!.config.digest);
    const listed = await listStored(context);
    expect(listed).toEqual([expect.objectContaining({ name: REF, digest: signedA.manifest.digest })]);

    // The tag was named once, and every request after it names digests (or signature tags) only.
    expect(paths.filter((p) => p === TAG_PATH)).toHaveLength(1);
    const after = paths.slice(movedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((p) => p.endsWith('/manifests/1'))).toEqual([]);
    expect(after.some((p) => p.endsWith(`/blobs/${signedA.layer.digest}`))).toBe(true);
    expect(after.filter((p) => p.includes(unsignedB!.manifest.digest))).toEqual([]);
    expect(after.filter((p) => p.includes(unsignedB!.layer.digest))).toEqual([]);
  });

  it('before resolution to unsigned bytes: refused, and nothing is named or stored', async () => {
    const { a, b } = await components();
    const pair = generateKeyPair();
    const { registry, context } = await scenario(() => {});
    const signedA = publishComponent(registry, REPO, '1', a);
    await signReference(context, REF, { key: { pem: pair.privateKeyPem } });
    // Moved before anyone looks: the tag now names B, which nobody signed.
    const unsignedB = publishComponent(registry, REPO, '1', b, { exports: ['other'] });

    const error = await expectCode(
      pull(context, REF, { trustOptions: { signers: [{ kind: 'key', publicKeyPem: pair.publicKeyPem }] } }),
      'UNSIGNED',
    );
    expect(error.message).toContain(REF);
    expect(await listStored(context)).toEqual([]);
    const blobs = await storeBlobs(context);
    for (const d of [unsignedB.layer, unsignedB.config, unsignedB.manifest, signedA.layer]) {
      expect(blobs).not.toContain(d.digest);
    }
  });

  it('before resolution to bytes signed by someone else: refused as an untrusted signer', async () => {
    const { a, b } = await components();
    const trusted = generateKeyPair();
    const stranger = generateKeyPair();
    const { registry, context } = await scenario(() => {});
    publishComponent(registry, REPO, '1', a);
    await signReference(context, REF, { key: { pem: trusted.privateKeyPem } });
    const otherB = publishComponent(registry, REPO, '1', b, { exports: ['other'] });
    await signReference(context, REF, { key: { pem: stranger.privateKeyPem } });

    const error = await caught(
      pull(context, REF, {
        trustOptions: { signers: [{ kind: 'key', publicKeyPem: trusted.publicKeyPem }] },
      }),
    );
    // A key the rule does not name: the signature cannot be checked with any accepted key.
    expect(['UNTRUSTED_SIGNER', 'SIGNATURE_INVALID']).toContain(error.code);
    expect(error.message).toContain(otherB.manifest.digest);
    expect(await listStored(context)).toEqual([]);
    const blobs = await storeBlobs(context);
    expect(blobs).not.toContain(otherB.layer.digest);
  });
});
