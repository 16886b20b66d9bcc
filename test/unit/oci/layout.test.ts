import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesStream, sha256 } from '../../../lib/core/index.js';
import {
  type Descriptor,
  MediaType,
  OciLayout,
  REF_NAME_ANNOTATION,
  listReferrers,
  referrersTag,
} from '../../../lib/oci/index.js';
import { type Content, content, expectCode, readAll, streamOf, tempDir, text } from '../../harness/unit.js';

async function layout(): Promise<OciLayout> {
  const store = new OciLayout(path.join(await tempDir('wtools-layout-'), 'store'));
  await store.init();
  return store;
}

async function pushAll(store: OciLayout, ...items: Content[]): Promise<void> {
  for (const item of items) await store.push(item.descriptor, bytesStream(item.bytes));
}

function image(note: string, subject?: Descriptor) {
  const config = content(MediaType.wasmConfig, { note });
  const layer = content(MediaType.wasm, `layer ${note}`);
  const manifest = content(MediaType.ociManifest, {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: config.descriptor,
    layers: [layer.descriptor],
    ...(subject ? { subject } : {}),
    annotations: { note },
  });
  return { config, layer, manifest, all: [config, layer, manifest] };
}

async function blobFiles(store: OciLayout): Promise<string[]> {
  return (await fs.readdir(path.join(store.root, 'blobs', 'sha256'))).sort();
}

describe('OciLayout content', () => {
  it('creates the layout marker and an empty index', async () => {
    const store = await layout();
    expect(JSON.parse(await fs.readFile(path.join(store.root, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    expect(await store.readIndex()).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [],
    });
  });

  it('stores verified content under its digest and reads it back verified', async () => {
    const store = await layout();
    const blob = content(MediaType.wasm, 'component bytes');
    await store.push(blob.descriptor, streamOf(blob.bytes.subarray(0, 4), blob.bytes.subarray(4)));
    expect(await store.exists(blob.descriptor)).toBe(true);
    expect(await fs.readFile(store.blobPath(blob.descriptor.digest), 'utf8')).toBe('component bytes');
    expect(Buffer.from(await readAll(await store.fetch(blob.descriptor))).toString()).toBe('component bytes');
  });

  it('leaves neither a blob nor a temp file when pushed content is tampered', async () => {
    const store = await layout();
    const blob = content(MediaType.wasm, 'component bytes');
    const err = await expectCode(
      store.push(blob.descriptor, bytesStream(text('component bytez'))),
      'DIGEST_MISMATCH',
    );
    expect(err.message).toContain(blob.descriptor.digest);
    expect(await store.exists(blob.descriptor)).toBe(false);
    expect(await blobFiles(store)).toEqual([]);
  });

  it('leaves nothing behind for truncated or overlong content', async () => {
    const store = await layout();
    const blob = content(MediaType.wasm, 'component bytes');
    await expectCode(store.push(blob.descriptor, bytesStream(blob.bytes.subarray(0, 5))), 'SIZE_MISMATCH');
    await expectCode(store.push(blob.descriptor, streamOf(blob.bytes, text('!'))), 'SIZE_MISMATCH');
    expect(await blobFiles(store)).toEqual([]);
  });

  it('skips content it already has', async () => {
    const store = await layout();
    const blob = content(MediaType.wasm, 'component bytes');
    await pushAll(store, blob);
    let cancelled = false;
    await store.push(blob.descriptor, new ReadableStream({ cancel: () => void (cancelled = true) }));
    expect(cancelled).toBe(true);
  });

  it('detects a blob corrupted on disk when it is read', async () => {
    const store = await layout();
    const blob = content(MediaType.wasm, 'component bytes');
    await pushAll(store, blob);
    await fs.writeFile(store.blobPath(blob.descriptor.digest), 'component bytez');
    await expectCode(readAll(await store.fetch(blob.descriptor)), 'DIGEST_MISMATCH');
    await expectCode(store.fetch(content(MediaType.wasm, 'absent').descriptor), 'NOT_FOUND');
  });
});

describe('OciLayout names', () => {
  it('tags, resolves and untags', async () => {
    const store = await layout();
    const a = image('a');
    await pushAll(store, ...a.all);
    await store.tag(a.manifest.descriptor, 'registry.test/org/a:1.0', { 'dev.example': 'yes' });
    const resolved = await store.resolve('registry.test/org/a:1.0');
    expect(resolved).toEqual({ ...a.manifest.descriptor, annotations: { 'dev.example': 'yes' } });
    expect(await store.resolve(a.manifest.descriptor.digest)).toEqual(resolved);
    expect(await store.tags()).toEqual(['registry.test/org/a:1.0']);
    const index = await store.readIndex();
    expect(index.manifests[0]?.annotations?.[REF_NAME_ANNOTATION]).toBe('registry.test/org/a:1.0');

    const removed = await store.untag((e) => e.name === 'registry.test/org/a:1.0');
    expect(removed.map((e) => e.name)).toEqual(['registry.test/org/a:1.0']);
    expect(await store.tags()).toEqual([]);
    await expectCode(store.resolve('registry.test/org/a:1.0'), 'NOT_FOUND');
    // The blobs stay until gc.
    expect(await store.exists(a.manifest.descriptor)).toBe(true);
  });

  it('moves a name when it is tagged again', async () => {
    const store = await layout();
    const a = image('a');
    const b = image('b');
    await pushAll(store, ...a.all, ...b.all);
    await store.tag(a.manifest.descriptor, 'latest');
    await store.tag(b.manifest.descriptor, 'latest');
    expect((await store.entries()).map((e) => [e.name, e.descriptor.digest])).toEqual([
      ['latest', b.manifest.descriptor.digest],
    ]);
  });

  it('describes a stored manifest that index.json does not list', async () => {
    const store = await layout();
    const a = image('a');
    await pushAll(store, ...a.all);
    expect(await store.resolve(a.manifest.descriptor.digest)).toEqual(a.manifest.descriptor);
    await expectCode(store.resolve(sha256('nothing')), 'NOT_FOUND');
    await expectCode(store.resolve('no-such-tag'), 'NOT_FOUND');
  });

  it('refuses to tag content it does not hold, or with an invalid name', async () => {
    const store = await layout();
    const a = image('a');
    await expectCode(store.tag(a.manifest.descriptor, 'v1'), 'NOT_FOUND');
    await pushAll(store, ...a.all);
    await expectCode(store.tag(a.manifest.descriptor, 'bad name!'), 'INVALID_REFERENCE');
    expect(await store.tags()).toEqual([]);
  });

  it('reports a corrupt index.json as STORE_CORRUPT and changes nothing', async () => {
    const store = await layout();
    const a = image('a');
    await pushAll(store, ...a.all);
    const indexPath = path.join(store.root, 'index.json');
    await fs.writeFile(indexPath, '{"schemaVersion": 2, "manifests": [{"digest": 1}]');
    const err = await expectCode(store.readIndex(), 'STORE_CORRUPT');
    expect(err.message).toContain('index.json is not a valid OCI index');
    await expectCode(store.resolve('v1'), 'STORE_CORRUPT');
    await expectCode(store.tag(a.manifest.descriptor, 'v1'), 'STORE_CORRUPT');
    expect(await fs.readFile(indexPath, 'utf8')).toBe('{"schemaVersion": 2, "manifests": [{"digest": 1}]');
    await fs.writeFile(
      indexPath,
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'x', size: 1 }] }),
    );
    await expectCode(store.entries(), 'STORE_CORRUPT');
  });

  it('keeps every name when ten tags are written at once', async () => {
    const store = await layout();
    const a = image('a');
    await pushAll(store, ...a.all);
    const names = Array.from({ length: 10 }, (_, i) => `name-${i}`);
    await Promise.all(names.map((name) => store.tag(a.manifest.descriptor, name)));
    expect(await store.tags()).toEqual([...names].sort());
    expect(await fs.readdir(store.root)).not.toContain('index.json.lock');
  });

  it('keeps every name when separate layout objects tag at once', async () => {
    const store = await layout();
    const a = image('a');
    await pushAll(store, ...a.all);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => new OciLayout(store.root).tag(a.manifest.descriptor, `n${i}`)),
    );
    expect(await store.tags()).toHaveLength(6);
  });
});

describe('OciLayout integrity', () => {
  it('refuses to tag a manifest whose layer is missing, naming the missing digest', async () => {
    const store = await layout();
    const a = image('a');
    await pushAll(store, ...a.all);
    await fs.rm(store.blobPath(a.layer.descriptor.digest));
    const err = await expectCode(store.tag(a.manifest.descriptor, 'v1'), 'NOT_FOUND');
    expect(err.message).toContain(`${a.layer.descriptor.digest} is not stored`);
    expect(err.message).toContain(a.manifest.descriptor.digest);
    expect(await store.tags()).toEqual([]);
  });

  it('refuses to tag an index whose child manifest or its config is missing', async () => {
    const store = await layout();
    const a = image('a');
    const index = content(MediaType.ociIndex, {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [a.manifest.descriptor],
    });
    await pushAll(store, ...a.all, index);
    await fs.rm(store.blobPath(a.config.descriptor.digest));
    const err = await expectCode(store.tag(index.descriptor, 'v1'), 'NOT_FOUND');
    expect(err.message).toContain(`${a.config.descriptor.digest} is not stored`);
    await fs.rm(store.blobPath(a.manifest.descriptor.digest));
    const again = await expectCode(store.tag(index.descriptor, 'v1'), 'NOT_FOUND');
    expect(again.message).toContain(`${a.manifest.descriptor.digest} is not stored`);
    expect(await store.tags()).toEqual([]);
  });

  it('says a folder is not an OCI layout instead of "not found"', async () => {
    const dir = await tempDir('wtools-layout-');
    const missing = path.join(dir, 'nothing-here');
    const missingErr = await expectCode(new OciLayout(missing).resolve('v1'), 'NOT_FOUND');
    expect(missingErr.message).toBe(`expected an OCI image layout at ${missing}, found nothing there`);

    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    const emptyErr = await expectCode(new OciLayout(empty).resolve('v1'), 'NOT_FOUND');
    expect(emptyErr.message).toBe(
      `expected an OCI image layout at ${empty}, found a folder without an oci-layout file`,
    );

    const file = path.join(dir, 'file.txt');
    await fs.writeFile(file, 'not a layout');
    const fileErr = await expectCode(new OciLayout(file).resolve(sha256('x')), 'NOT_FOUND');
    expect(fileErr.message).toBe(`expected an OCI image layout at ${file}, found a file`);
    // Nothing was created by looking.
    expect(await fs.readdir(dir)).toEqual(['empty', 'file.txt']);
    expect(await fs.readdir(empty)).toEqual([]);
  });

  it('refuses an index.json over 64 MiB as STORE_CORRUPT without reading it', async () => {
    const store = await layout();
    const indexPath = path.join(store.root, 'index.json');
    await fs.truncate(indexPath, 64 * 1024 * 1024 + 1); // sparse: nothing is written
    const err = await expectCode(store.readIndex(), 'STORE_CORRUPT');
    expect(err.message).toContain(`index.json is ${64 * 1024 * 1024 + 1} bytes`);
    await expectCode(store.resolve('v1'), 'STORE_CORRUPT');
  });
});

describe('OciLayout gc', () => {
  it('removes unreferenced blobs only (graceMs 0)', async () => {
    const store = await layout();
    const kept = image('kept');
    const dropped = image('dropped');
    const orphan = content('application/octet-stream', 'orphan');
    await pushAll(store, ...kept.all, ...dropped.all, orphan);
    await store.tag(kept.manifest.descriptor, 'kept');
    await store.tag(dropped.manifest.descriptor, 'dropped');
    await store.untag((e) => e.name === 'dropped');

    const result = await store.gc({ graceMs: 0 });
    expect(result.removedBlobs).toBe(4);
    expect(result.freedBytes).toBe([...dropped.all, orphan].reduce((n, c) => n + c.bytes.byteLength, 0));
    for (const c of kept.all) expect(await store.exists(c.descriptor)).toBe(true);
    for (const c of [...dropped.all, orphan]) expect(await store.exists(c.descriptor)).toBe(false);
    expect(await store.tags()).toEqual(['kept']);
  });

  it('keeps young unreferenced blobs with the default grace period', async () => {
    const store = await layout();
    const orphan = content('application/octet-stream', 'orphan');
    await pushAll(store, orphan);
    expect(await store.gc()).toEqual({ removedBlobs: 0, freedBytes: 0, keptRecent: 1 });
    expect(await store.exists(orphan.descriptor)).toBe(true);
  });

  it('removes stale temp files of interrupted writes', async () => {
    const store = await layout();
    const temp = path.join(store.root, 'blobs', 'sha256', '.abc.123.tmp');
    await fs.writeFile(temp, 'partial');
    const old = new Date(Date.now() - 3_600_000);
    await fs.utimes(temp, old, old);
    expect((await store.gc()).removedBlobs).toBe(1);
    expect(await blobFiles(store)).toEqual([]);
  });

  it('keeps referrers reachable through the fallback tag', async () => {
    const store = await layout();
    const subject = image('subject');
    await pushAll(store, ...subject.all);
    await store.tag(subject.manifest.descriptor, 'app');
    const sig = image('sig', subject.manifest.descriptor);
    await pushAll(store, ...sig.all);
    const result = await store.gc({ graceMs: 0 });
    expect(result.removedBlobs).toBe(0);
    for (const c of sig.all) expect(await store.exists(c.descriptor)).toBe(true);
  });
});

describe('OciLayout referrers', () => {
  it('indexes pushed manifests with a subject under the sha256-<hex> tag, keeping earlier ones', async () => {
    const store = await layout();
    const subject = image('subject');
    await pushAll(store, ...subject.all);
    const first = image('first', subject.manifest.descriptor);
    const second = image('second', subject.manifest.descriptor);
    await pushAll(store, ...first.all);
    await pushAll(store, ...second.all);

    expect(await store.tags()).toEqual([referrersTag(subject.manifest.descriptor.digest)]);
    const found = await listReferrers(store, subject.manifest.descriptor.digest);
    expect(found).toEqual([
      { ...first.manifest.descriptor, artifactType: MediaType.wasmConfig, annotations: { note: 'first' } },
      { ...second.manifest.descriptor, artifactType: MediaType.wasmConfig, annotations: { note: 'second' } },
    ]);
    expect(await listReferrers(store, subject.manifest.descriptor.digest, 'other/type')).toEqual([]);
    // Pushing the same referrer again does not duplicate it.
    await fs.rm(store.blobPath(first.manifest.descriptor.digest));
    await pushAll(store, first.manifest);
    expect(await listReferrers(store, subject.manifest.descriptor.digest)).toHaveLength(2);
  });

  it('lists no referrers for a subject without any', async () => {
    const store = await layout();
    expect(await listReferrers(store, sha256('lonely'))).toEqual([]);
  });
});
