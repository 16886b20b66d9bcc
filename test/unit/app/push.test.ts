import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pull } from '../../../lib/app/pull.js';
import { push } from '../../../lib/app/push.js';
import { readComponentNames } from '../../../lib/component/binary.js';
import { sha256 } from '../../../lib/core/index.js';
import { MediaType, OciLayout, parseManifest } from '../../../lib/oci/index.js';
import { appSetup } from '../../harness/app.js';
import { fixturePath, fixtureWasm } from '../../harness/fixtures.js';
import { expectCode, tempDir } from '../../harness/unit.js';

const CREATED = '2024-05-01T12:00:00Z';

describe('push', () => {
  it('publishes the CNCF wasm artifact with names read from the binary and annotations', async () => {
    const { registry, context } = await appSetup();
    const file = await fixturePath('imports');
    const component = await fixtureWasm('imports');
    const names = readComponentNames(component);
    expect(names.imports).toContain('wasi:cli/environment@0.2.0');

    const result = await push(context, file, 'registry.test/org/imports:1.0', {
      source: 'https://github.com/example/imports',
      version: '1.0.0',
      created: CREATED,
      annotations: { 'com.example.team': 'tools' },
    });
    expect(result).toMatchObject({
      reference: 'registry.test/org/imports:1.0',
      pinned: `registry.test/org/imports@${result.digest}`,
      component: { digest: sha256(component), size: component.byteLength },
      exports: names.exports,
      imports: names.imports,
    });

    const stored = registry.manifest('org/imports', '1.0');
    expect(stored?.mediaType).toBe(MediaType.ociManifest);
    expect(sha256(stored!.bytes)).toBe(result.digest);
    const manifest = parseManifest(stored!.bytes, stored!.mediaType);
    if (manifest.kind !== 'manifest') throw new Error('expected an image manifest');
    expect(manifest.value.artifactType).toBe(MediaType.wasmConfig);
    expect(manifest.value.layers).toEqual([
      { mediaType: MediaType.wasm, digest: sha256(component), size: component.byteLength },
    ]);
    expect(manifest.value.annotations).toEqual({
      'org.opencontainers.image.created': CREATED,
      'org.opencontainers.image.source': 'https://github.com/example/imports',
      'org.opencontainers.image.version': '1.0.0',
      'com.example.team': 'tools',
    });
    expect(manifest.value.config.mediaType).toBe(MediaType.wasmConfig);
    const config = JSON.parse(
      new TextDecoder().decode(registry.blob('org/imports', manifest.value.config.digest)),
    ) as Record<string, unknown>;
    expect(config).toEqual({
      created: CREATED,
      architecture: 'wasm',
      os: 'wasip2',
      layerDigests: [sha256(component)],
      component: { exports: names.exports, imports: names.imports },
    });
    expect(registry.blob('org/imports', sha256(component))).toEqual(component);
    expect(result.size).toBe(stored!.bytes.byteLength + manifest.value.config.size + component.byteLength);
  });

  it('is reproducible and skips blobs the registry already has', async () => {
    const { registry, context } = await appSetup();
    const file = await fixturePath('hello');
    const first = await push(context, file, 'registry.test/org/hello:1.0', { created: CREATED });
    const before = registry.requests.length;
    const second = await push(context, file, 'registry.test/org/hello:1.1', { created: CREATED });
    expect(second.digest).toBe(first.digest);
    const later = registry.requests.slice(before);
    expect(later.filter((r) => r.method === 'POST' || r.method === 'PATCH')).toEqual([]);
    expect(registry.tagsOf('org/hello')).toEqual(['1.0', '1.1']);
  });

  it('tags latest when the reference has no tag, and round trips through pull', async () => {
    const { registry, context } = await appSetup();
    const result = await push(context, await fixturePath('hello'), 'registry.test/org/hello', {
      created: CREATED,
    });
    expect(result.reference).toBe('registry.test/org/hello:latest');
    expect(registry.tagsOf('org/hello')).toEqual(['latest']);
    const pulled = await pull(context, 'registry.test/org/hello');
    expect(pulled.digest).toBe(result.digest);
    expect(pulled.exports).toEqual(result.exports);
  });

  it('pushes into an OCI layout', async () => {
    const { registry, context } = await appSetup();
    const dir = await tempDir('wtools-push-layout-');
    const result = await push(context, await fixturePath('hello'), `oci:${dir}:v1`, { created: CREATED });
    const layout = new OciLayout(dir);
    expect((await layout.resolve('v1')).digest).toBe(result.digest);
    expect(registry.requests).toEqual([]);
  });

  it('refuses a digest reference', async () => {
    const { registry, context } = await appSetup();
    const err = await expectCode(
      push(context, await fixturePath('hello'), `registry.test/org/hello@${sha256('x')}`),
      'INVALID_REFERENCE',
    );
    expect(err.message).toContain('push needs a tag');
    expect(registry.requests).toEqual([]);
  });

  it('refuses a core module and anything that is not WebAssembly, before any request', async () => {
    const { registry, context, home } = await appSetup();
    const core = await expectCode(
      push(context, await fixturePath('core'), 'registry.test/org/core:1'),
      'NOT_A_COMPONENT',
    );
    expect(core.message).toContain('core WebAssembly module');
    const script = path.join(home, 'tool.sh');
    await writeFile(script, '#!/bin/sh\n');
    const other = await expectCode(push(context, script, 'registry.test/org/core:1'), 'NOT_A_COMPONENT');
    expect(other.message).toContain('not WebAssembly');
    expect(registry.requests).toEqual([]);
  });

  it('reports a missing file as INVALID_ARGUMENT', async () => {
    const { context, home } = await appSetup();
    const err = await expectCode(
      push(context, path.join(home, 'missing.wasm'), 'registry.test/org/x:1'),
      'INVALID_ARGUMENT',
    );
    expect(err.message).toContain('missing.wasm');
  });
});
