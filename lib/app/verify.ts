import path from 'node:path';
import type { WtoolsError } from '../core/index.js';
import { type Digest, TrustError, isWtoolsError } from '../core/index.js';
import {
  type RawEvidence,
  type Reference,
  fetchManifestBytes,
  findSignatureEvidence,
  formatReference,
  parseReference,
  referenceSelector,
} from '../oci/index.js';
import { appendAudit, userTrustPolicyFile } from '../store/index.js';
import type { Evidence, SignerRequirement, TrustPolicy, TrustRoot, VerifiedSigner } from '../trust/index.js';
import type { WtoolsContext } from './context.js';
import { type TrustApi, loadTrustApi } from './trust-api.js';
import { loadTrustRoot } from './trust-root.js';

export interface TrustOptions {
  /** Replaces the user and default policies. */
  policyFile?: string;
  trustedRootFile?: string;
  /** Signers named on the command line: they replace the policy's rule for this run. */
  signers?: SignerRequirement[];
  /** Accept an artifact without any signature (recorded in the audit log). */
  allowUnsigned?: boolean;
}

export interface TrustDecision {
  reference: string;
  digest: Digest;
  status: 'verified' | 'unsigned-allowed';
  signer?: VerifiedSigner;
  /** Which rule decided: "command line", "--allow-unsigned", or the policy rule's origin. */
  rule: string;
  trustRoot: string;
  policy: string;
}

/** Trust material for one run: read once, used for every reference. */
export interface TrustContext {
  policy: TrustPolicy;
  root: TrustRoot;
  /** lib/trust's functions, loaded when a context is made (see trust-api.ts). */
  api: TrustApi;
}

export async function loadTrustContext(context: WtoolsContext, options: TrustOptions): Promise<TrustContext> {
  // --policy replaces; otherwise the user's rules (if that file exists) come before the defaults.
  const userFile = userTrustPolicyFile(context.paths);
  const api = await loadTrustApi();
  const policy = options.policyFile
    ? await api.loadTrustPolicy([options.policyFile])
    : await api.loadTrustPolicy([userFile, api.defaultTrustPolicyPath()], { optional: [userFile] });
  // --trusted-root, else the root of the last `wtools trust update`, else the shipped one.
  const root = await loadTrustRoot(context, options.trustedRootFile);
  return { policy, root, api };
}

export function toEvidence(raw: RawEvidence): Evidence {
  if (raw.kind === 'bundle') {
    return { kind: 'bundle', bundleJson: new TextDecoder().decode(raw.bytes), source: raw.source };
  }
  const a = raw.annotations;
  return {
    kind: 'cosign-legacy',
    payload: raw.payload,
    payloadDigest: raw.layerDigest,
    signature: a['dev.cosignproject.cosign/signature'] ?? '',
    ...(a['dev.sigstore.cosign/certificate'] ? { certificate: a['dev.sigstore.cosign/certificate'] } : {}),
    ...(a['dev.sigstore.cosign/chain'] ? { chain: a['dev.sigstore.cosign/chain'] } : {}),
    ...(a['dev.sigstore.cosign/bundle'] ? { rekorBundle: a['dev.sigstore.cosign/bundle'] } : {}),
    source: raw.source,
  };
}

/** What trust policies match against: "registry/repository", or "oci:" and the layout's absolute path. */
export function policySubject(ref: Reference): string {
  return ref.kind === 'registry' ? `${ref.registry}/${ref.repository}` : `oci:${path.resolve(ref.path)}`;
}

/**
 * Decides whether the artifact at `digest` may be used: its evidence is checked against the
 * signers that the command line or the first matching policy rule names. Pure apart from reading
 * the evidence, which the caller fetched from the same target by that digest.
 */
export function decideTrust(
  ref: Reference,
  digest: Digest,
  evidence: readonly Evidence[],
  trust: TrustContext,
  options: TrustOptions,
  /** The manifest's bytes: message-signature bundles sign the bytes, not only their digest. */
  subjectBytes?: Uint8Array,
): TrustDecision {
  const reference = formatReference(ref);
  const base = { reference, digest, trustRoot: trust.root.fingerprint, policy: trust.policy.fingerprint };
  let signers: readonly SignerRequirement[] | undefined = options.signers;
  let ruleName = 'command line';
  if (!signers || signers.length === 0) {
    const rule = trust.api.findRule(trust.policy, policySubject(ref));
    if (!rule) {
      if (evidence.length === 0) {
        if (options.allowUnsigned) return { ...base, status: 'unsigned-allowed', rule: '--allow-unsigned' };
        throw unsigned(reference, 'and no trust policy rule matches it');
      }
      throw noMatchingRule(ref, digest, evidence, trust, subjectBytes);
    }
    ruleName = rule.origin;
    if ('unsigned' in rule.require) {
      return { ...base, status: 'unsigned-allowed', rule: rule.origin };
    }
    signers = rule.require.signers;
  }
  if (evidence.length === 0) {
    if (options.allowUnsigned) return { ...base, status: 'unsigned-allowed', rule: '--allow-unsigned' };
    throw unsigned(reference, `but ${ruleName} requires a signature`);
  }
  const failures: WtoolsError[] = [];
  for (const item of evidence) {
    try {
      const signer = trust.api.verifyEvidence(
        digest,
        item,
        signers,
        trust.root,
        subjectBytes ? { subjectBytes } : {},
      );
      return { ...base, status: 'verified', signer, rule: ruleName };
    } catch (err) {
      if (!isWtoolsError(err)) throw err;
      failures.push(err);
    }
  }
  // Report the most telling failure: a valid signature by the wrong signer says more than a broken one.
  const order = ['UNTRUSTED_SIGNER', 'SUBJECT_MISMATCH', 'SIGNATURE_INVALID'];
  failures.sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
  const first = failures[0]!;
  const all = failures.map((f) => `  - ${f.message}`).join('\n');
  throw new TrustError(first.code, `${reference}@${digest}: no signature satisfies ${ruleName}:\n${all}`, {
    cause: first,
    details: { reference, digest, rule: ruleName },
  });
}

function unsigned(reference: string, why: string): TrustError {
  return new TrustError(
    'UNSIGNED',
    `${reference} has no signature (no Sigstore bundle referrer, no cosign .sig tag) ${why}; ` +
      'sign it (`wtools sign`), or accept it knowingly with --allow-unsigned or an `unsigned: allow` rule',
    { details: { reference } },
  );
}

function noMatchingRule(
  ref: Reference,
  digest: Digest,
  evidence: readonly Evidence[],
  trust: TrustContext,
  subjectBytes: Uint8Array | undefined,
) {
  const signers: VerifiedSigner[] = [];
  for (const item of evidence) {
    try {
      signers.push(trust.api.identifySigner(digest, item, trust.root, subjectBytes ? { subjectBytes } : {}));
    } catch {
      // evidence that does not verify at all identifies nobody
    }
  }
  const subject = policySubject(ref);
  const shown = signers.map((s) => describeSigner(s)).join('; ') || 'none whose signature verifies';
  return new TrustError(
    'NO_MATCHING_RULE',
    `${formatReference(ref)}@${digest} is signed (${shown}) but no trust policy rule matches ${subject}; ` +
      'accept a signer with --certificate-identity/--certificate-oidc-issuer or --key, or add a rule ' +
      `for "${subject}" to ${trust.policy.sources[0] ?? 'your trust policy'}`,
    { details: { subject, digest, signers } },
  );
}

export function describeSigner(signer: VerifiedSigner): string {
  if (signer.method === 'key') return `key ${signer.keyName ?? ''}`.trim();
  return `${signer.identity ?? '?'} from ${signer.issuer ?? '?'}${signer.tlogTime ? ` at ${signer.tlogTime}` : ''}`;
}

/** `wtools verify REF`: resolve once, gather the evidence for that digest, decide, record unsigned use. */
export async function verifyReference(
  context: WtoolsContext,
  input: string,
  trust: TrustContext,
  options: TrustOptions,
): Promise<TrustDecision> {
  const ref = parseReference(input);
  const target = context.target(ref);
  const root = await target.resolve(referenceSelector(ref));
  const manifestBytes = await fetchManifestBytes(target, root);
  const evidence = (await findSignatureEvidence(target, root.digest)).map(toEvidence);
  const decision = decideTrust(ref, root.digest, evidence, trust, options, manifestBytes);
  await auditDecision(context, decision);
  return decision;
}

/** Every use of unsigned content is written to the audit log, whichever command allowed it. */
export async function auditDecision(context: WtoolsContext, decision: TrustDecision): Promise<void> {
  if (decision.status !== 'unsigned-allowed') return;
  await appendAudit(context.paths, {
    event: 'unsigned-allowed',
    subject: decision.reference,
    digest: decision.digest,
    detail: { rule: decision.rule },
  });
}

/** The requirement that accepts exactly this (keyless) signer, for a human who chose to trust it. */
export function requirementFor(signer: VerifiedSigner): SignerRequirement | undefined {
  if (signer.method !== 'keyless' || !signer.identity || !signer.issuer) return undefined;
  return { kind: 'keyless', identity: signer.identity, issuer: signer.issuer };
}

/** "Trust always": a rule for this subject in the user's policy file, written atomically. */
export async function trustAlways(
  context: WtoolsContext,
  subject: string,
  requirement: SignerRequirement,
): Promise<string> {
  const file = userTrustPolicyFile(context.paths);
  const { appendRule } = await loadTrustApi();
  await appendRule(file, {
    name: `accepted on ${new Date().toISOString().slice(0, 10)}`,
    match: [subject],
    require: { signers: [requirement] },
  });
  return file;
}
