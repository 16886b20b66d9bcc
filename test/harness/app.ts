/**
 * Unit-test setup for lib/app: a WtoolsContext whose home is a per-test temp dir and whose registry
 * traffic goes to an in-process fake registry, plus helpers to publish components into that fake.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { WtoolsContext } from '../../lib/app/index.js';
import { type Descriptor, buildWasmArtifact } from '../../lib/oci/index.js';
import { type FakeRegistry, type FakeRegistryOptions, fakeRegistry } from './fake-registry.js';
import { tempDir } from './unit.js';

export interface AppSetup {
  home: string;
  registry: FakeRegistry;
  context: WtoolsContext;
}

export async function appSetup(options: FakeRegistryOptions = {}): Promise<AppSetup> {
  const home = await tempDir('wtools-app-');
  const registry = fakeRegistry(options);
  const context = new WtoolsContext({
    env: { WTOOLS_HOME: home, HOME: home },
    fetch: registry.fetch,
    retry: { baseDelayMs: 1 },
  });
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
  names: { exports?: string[]; imports?: string[] } = {},
): Published {
  const built = buildWasmArtifact({
    component,
    exports: names.exports ?? ['add'],
    imports: names.imports ?? [],
    created: '2024-01-01T00:00:00Z',
  });
  registry.addBlob(repository, component, built.layer.mediaType);
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
