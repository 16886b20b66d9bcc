import { type Digest, WtoolsError, isDigest } from '../core/index.js';
import {
  type GcResult,
  type LayoutEntry,
  fetchManifestBytes,
  formatReference,
  parseManifest,
  parseReference,
  cosignSignatureTag,
  referrersTag,
  successors,
} from '../oci/index.js';
import type { WtoolsContext } from './context.js';
import { StoreAnnotation } from './store-entries.js';
import { type StoredTrust, readStoredTrust } from './trust-record.js';

export interface StoredComponent {
  name: string;
  digest: Digest;
  /** Manifest plus what it points to. */
  size: number;
  source?: string;
  pulled?: string;
  /** False when content the entry needs is missing (an interrupted gc, a hand-edited store). */
  complete: boolean;
  /** Why it may be used, as recorded when it was verified. */
  trust?: StoredTrust;
}

/** What the store holds under a name; referrer indexes are bookkeeping and not listed. */
export async function listStored(context: WtoolsContext): Promise<StoredComponent[]> {
  const out: StoredComponent[] = [];
  for (const entry of await context.store.entries()) {
    if (isReferrersTag(entry.name)) continue;
    out.push(await describeEntry(context, entry));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Bookkeeping names: referrer indexes (`sha256-<hex>`) and cosign signatures (`sha256-<hex>.sig`). */
function isReferrersTag(name: string): boolean {
  return /^sha(256|512)-[a-f0-9]+(\.sig)?$/.test(name);
}

async function describeEntry(context: WtoolsContext, entry: LayoutEntry): Promise<StoredComponent> {
  const { descriptor } = entry;
  let size = descriptor.size;
  let complete = await context.store.exists(descriptor);
  if (complete) {
    try {
      const manifest = parseManifest(
        await fetchManifestBytes(context.store, descriptor),
        descriptor.mediaType,
      );
      for (const child of successors(manifest)) {
        size += child.size;
        if (!(await context.store.exists(child))) complete = false;
      }
    } catch {
      complete = false;
    }
  }
  const source = descriptor.annotations?.[StoreAnnotation.source];
  const pulled = descriptor.annotations?.[StoreAnnotation.pulled];
  const trust = readStoredTrust(descriptor);
  return {
    name: entry.name,
    digest: descriptor.digest,
    size,
    ...(source ? { source } : {}),
    ...(pulled ? { pulled } : {}),
    ...(trust ? { trust } : {}),
    complete,
  };
}

/**
 * Removes names from the store: a reference removes that name, a digest (or a unique prefix of at
 * least 12 hex digits) removes every name of that content. Blobs go at the next gc.
 */
export async function removeStored(context: WtoolsContext, input: string): Promise<StoredComponent[]> {
  const entries = (await context.store.entries()).filter((e) => !isReferrersTag(e.name));
  const matches = await matchEntries(entries, input);
  if (matches.length === 0) {
    throw new WtoolsError(
      'NOT_FOUND',
      `nothing in the store matches "${input}"; \`wtools ls\` lists what is there`,
    );
  }
  const described = await Promise.all(matches.map((e) => describeEntry(context, e)));
  const names = new Set(matches.map((e) => e.name));
  await context.store.untag((entry) => names.has(entry.name));
  // A digest that no name keeps any more takes its referrers (signatures) with it.
  const left = new Set<string>((await context.store.entries()).map((e) => e.descriptor.digest));
  // Signatures hang off the digest that was verified: the manifest's, or the index it came from.
  const subjects = matches.flatMap((e) => [
    e.descriptor.digest,
    e.descriptor.annotations?.[StoreAnnotation.index],
  ]);
  const orphaned = new Set(subjects.filter((d): d is Digest => d !== undefined && !left.has(d)));
  const orphanTags = new Set([...orphaned].flatMap((d) => [referrersTag(d), cosignSignatureTag(d)]));
  if (orphanTags.size > 0) await context.store.untag((entry) => orphanTags.has(entry.name));
  return described;
}

async function matchEntries(entries: LayoutEntry[], input: string): Promise<LayoutEntry[]> {
  const text = input.trim();
  if (isDigest(text)) return entries.filter((e) => e.descriptor.digest === text);
  const prefix = /^(?:sha256:)?([a-f0-9]{12,64})$/.exec(text)?.[1];
  if (prefix) {
    const hits = entries.filter((e) => e.descriptor.digest.startsWith(`sha256:${prefix}`));
    const digests = new Set(hits.map((e) => e.descriptor.digest));
    if (digests.size > 1) {
      throw new WtoolsError(
        'INVALID_ARGUMENT',
        `"${input}" matches ${digests.size} different digests; give more digits`,
      );
    }
    return hits;
  }
  const exact = entries.filter((e) => e.name === text);
  if (exact.length > 0) return exact;
  // Accept any spelling of the same reference (docker.io defaults, a missing :latest is not added).
  const name = formatReference(parseReference(text));
  return entries.filter((e) => e.name === name);
}

export async function collectGarbage(
  context: WtoolsContext,
  options: { graceMs?: number } = {},
): Promise<GcResult> {
  return context.store.gc(options);
}
