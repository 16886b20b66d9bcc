import { type LayoutEntry, type OciLayout, type Reference, formatReference } from '../oci/index.js';

/** Annotations wtools puts on the store's index.json entries. */
export const StoreAnnotation = {
  source: 'dev.wtools.source',
  pulled: 'dev.wtools.pulled',
  index: 'dev.wtools.index-digest',
  /** JSON of StoredTrust: signer, rule, and the policy and root fingerprints that decided. */
  trust: 'dev.wtools.trust',
} as const;

/** The name under which a pulled reference is kept: the full reference as people write it. */
export function storeName(ref: Reference): string {
  return formatReference(ref);
}

export async function findStored(
  store: OciLayout,
  match: (entry: LayoutEntry) => boolean,
): Promise<LayoutEntry | undefined> {
  for (const entry of await store.entries()) {
    // Only a whole graph counts: a layer removed by hand or by gc means fetching it again.
    if (match(entry) && (await store.firstMissing(entry.descriptor)) === undefined) return entry;
  }
  return undefined;
}
