import type { Digest } from '../core/index.js';
import {
  type Descriptor,
  type OciLayout,
  type RawEvidence,
  type ReadOnlyTarget,
  copyGraph,
} from '../oci/index.js';
import type { VerifiedSigner } from '../trust/index.js';
import type { WtoolsContext } from './context.js';
import { StoreAnnotation } from './store-entries.js';
import { type TrustDecision, auditDecision } from './verify.js';

/** What the store keeps beside a digest about why it may be used. */
export interface StoredTrust {
  status: 'verified' | 'unsigned-allowed';
  /** The digest the signatures are about (an index's, when the component came from one). */
  subject: Digest;
  signer?: VerifiedSigner;
  rule: string;
  /** Fingerprints of the policy and trusted root that decided: a change means verify again. */
  policy: string;
  trustRoot: string;
  verifiedAt: string;
}

export async function recordTrust(context: WtoolsContext, decision: TrustDecision): Promise<StoredTrust> {
  await auditDecision(context, decision);
  return {
    status: decision.status,
    subject: decision.digest,
    ...(decision.signer ? { signer: decision.signer } : {}),
    rule: decision.rule,
    policy: decision.policy,
    trustRoot: decision.trustRoot,
    verifiedAt: new Date().toISOString(),
  };
}

export function readStoredTrust(descriptor: Descriptor): StoredTrust | undefined {
  const text = descriptor.annotations?.[StoreAnnotation.trust];
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as StoredTrust;
    return typeof value.status === 'string' && typeof value.policy === 'string' ? value : undefined;
  } catch {
    return undefined; // an unreadable record only means: verify again
  }
}

/**
 * Copies the signature evidence a pull found (Sigstore bundle referrers, cosign's .sig tag) into
 * the store, where the tag schema keeps it findable for later re-verification.
 */
export async function storeSignatureEvidence(
  source: ReadOnlyTarget,
  store: OciLayout,
  evidence: readonly RawEvidence[],
): Promise<void> {
  const copied = new Set<string>();
  for (const item of evidence) {
    if (copied.has(item.manifest.digest)) continue;
    copied.add(item.manifest.digest);
    await copyGraph(source, store, item.manifest);
    if (item.kind === 'cosign-legacy') await store.tag(item.manifest, item.tag);
  }
}
