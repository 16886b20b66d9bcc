/**
 * Helpers for building OCI content by hand (manifests the CLI would never write: indexes, referrers,
 * core-module layers) and for inspecting an OCI layout on disk.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { bytesStream, sha256 } from '../../lib/core/index.js';
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  MediaType,
  RegistryClient,
  type RegistryOptions,
  type RegistryRepository,
  type Target,
  encodeJson,
} from '../../lib/oci/index.js';

export interface Content {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

export function blob(mediaType: string, data: Uint8Array | string): Content {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return { descriptor: { mediaType, digest: sha256(bytes), size: bytes.byteLength }, bytes };
}

/** The OCI 1.1 empty descriptor's content: `{}`. */
export function emptyConfig(): Content {
  return blob(MediaType.ociEmpty, '{}');
}

export function imageManifest(fields: Omit<ImageManifest, 'schemaVersion' | 'mediaType'>): Content {
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, ...fields };
  return blob(MediaType.ociManifest, encodeJson(manifest));
}

export function imageIndex(manifests: Descriptor[], extra: Partial<ImageIndex> = {}): Content {
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests, ...extra };
  return blob(MediaType.ociIndex, encodeJson(index));
}

/** Pushes content in the order given (children before the manifests that name them). */
export async function pushAll(target: Target, ...contents: Content[]): Promise<void> {
  for (const content of contents) await target.push(content.descriptor, bytesStream(content.bytes));
}

/** A repository client of a loopback test registry. */
export function repository(host: string, name: string, options: RegistryOptions = {}): RegistryRepository {
  return new RegistryClient(host, options).repository(name);
}

export interface LayoutReport {
  /** "sha256:<hex>" of every blob file. */
  blobs: string[];
  /** Blob files whose content does not hash to their name. */
  corrupt: string[];
  /** Any other file under blobs/ (temp files) and lock files left at the layout root. */
  leftovers: string[];
  /** Total size of the blob files. */
  bytes: number;
}

/** Every blob of an OCI layout, checked against its name, plus whatever else lies around. */
export async function inspectLayout(root: string): Promise<LayoutReport> {
  const report: LayoutReport = { blobs: [], corrupt: [], leftovers: [], bytes: 0 };
  const dir = path.join(root, 'blobs', 'sha256');
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    // no blobs yet
  }
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    if (!/^[a-f0-9]{64}$/.test(name)) {
      report.leftovers.push(file);
      continue;
    }
    const bytes = await readFile(file);
    report.bytes += bytes.byteLength;
    report.blobs.push(`sha256:${name}`);
    if (createHash('sha256').update(bytes).digest('hex') !== name) report.corrupt.push(file);
  }
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!['blobs', 'index.json', 'oci-layout'].includes(name)) report.leftovers.push(path.join(root, name));
  }
  return report;
}

export async function readLayoutIndex(root: string): Promise<ImageIndex> {
  return JSON.parse(await readFile(path.join(root, 'index.json'), 'utf8')) as ImageIndex;
}

export async function blobBytes(root: string, digest: string): Promise<Buffer> {
  return readFile(path.join(root, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}
