/**
 * Unit-test setup for lib/app: a WtoolsContext whose home is a per-test temp dir and whose registry
 * traffic goes to an in-process fake registry, plus helpers to publish components into that fake.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WtoolsContext } from '../../lib/app/context.js';
import { type Descriptor, buildWasmArtifact } from '../../lib/oci/index.js';
import { userTrustPolicyFile } from '../../lib/store/paths.js';
import { type FakeRegistry, type FakeRegistryOptions, fakeRegistry } from './fake-registry.js';
import { tempDir } from './unit.js';

export interface AppSetup {
  home: string;
  registry: FakeRegistry;
  context: WtoolsContext;
}

/**
 * The user trust policy an app setup starts with: unsigned content from the fake registry and from
 * OCI layouts is accepted, so tests about transport and storage need no signing.
 */
export function unsignedPolicyFor(registryHost: string): string {
  return `version: 1
rules:
  - name: the fake registry and OCI layouts
    match: ["${registryHost}/**", "oci:**"]
    unsigned: allow
`;
}

/** `trustPolicy: false` leaves the user policy out (the shipped deny-by-default policy only). */
export async function appSetup(
  options: FakeRegistryOptions & { trustPolicy?: string | false } = {},
): Promise<AppSetup> {
  const { trustPolicy, ...registryOptions } = options;
  const home = await tempDir('wtools-app-');
  const registry = fakeRegistry(registryOptions);
  const context = new WtoolsContext({
    env: { WTOOLS_HOME: home, HOME: home },
    fetch: registry.fetch,
    retry: { baseDelayMs: 1 },
  });
  const policy = trustPolicy ?? unsignedPolicyFor(registry.host);
  if (policy !== false) {
    const file = userTrustPolicyFile(context.paths);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, policy);
  }
  return { home, registry, context };
}

export interface Published {
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor;
}

/** Publishes a component as a CNCF wasm artifact, the way `wtools push` would. */
export function publishComponent(
  registry: FakeRegistry,
  repository: string,
  tag: string | undefined,
  component: Uint8Array,
  names: { exports?: string[]; imports?: string[]; policy?: Uint8Array } = {},
): Published {
  const built = buildWasmArtifact({
    component,
    exports: names.exports ?? ['add'],
    imports: names.imports ?? [],
    created: '2024-01-01T00:00:00Z',
    ...(names.policy ? { policy: names.policy } : {}),
  });
  registry.addBlob(repository, component, built.layer.mediaType);
  if (built.policy && names.policy) registry.addBlob(repository, names.policy, built.policy.mediaType);
  registry.addBlob(repository, built.configBytes, built.config.mediaType);
  registry.addManifest(repository, built.manifestBytes, {
    mediaType: built.manifest.mediaType,
    ...(tag !== undefined ? { tag } : {}),
  });
  return { manifest: built.manifest, config: built.config, layer: built.layer };
}

/** Every file under the store's blobs/ (digests as "sha256:<hex>", temp files by name). */
export async function storeBlobs(context: WtoolsContext): Promise<string[]> {
  const dir = path.join(context.store.root, 'blobs', 'sha256');
  try {
    return (await readdir(dir)).map((name) => (name.startsWith('.') ? name : `sha256:${name}`)).sort();
  } catch {
    return [];
  }
}
