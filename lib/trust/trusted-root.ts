import { TrustedRoot } from '@sigstore/protobuf-specs';
import { type TrustMaterial, toTrustMaterial } from '@sigstore/verify';
import { type Digest, TrustError, describeError, sha256 } from '../core/index.js';
import { PUBLIC_GOOD_TRUSTED_ROOT_JSON } from './data/public-good-root.js';

declare const trustRootBrand: unique symbol;

/**
 * The Sigstore instance signatures are checked against: Fulcio CAs, Rekor logs, CT logs and
 * timestamp authorities, parsed once. Opaque outside lib/trust; `fingerprint` (sha256 of the root
 * JSON as read) lets callers tell that the root changed and a stored verdict must be re-checked.
 */
export interface TrustRoot {
  readonly fingerprint: Digest;
  /** Where the root came from ("public-good (shipped)", a file name), for messages. */
  readonly source: string;
  readonly [trustRootBrand]: true;
}

const TRUSTED_ROOT_MEDIA_TYPE =
  /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.\d+|\.v0\.\d+\+json)$/;

const materials = new WeakMap<TrustRoot, TrustMaterial>();

/** Parses a trusted_root.json (sigstore protobuf-specs TrustedRoot, v0.1 or v0.2). */
export function trustRootFromJson(text: string, source: string): TrustRoot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(source, `not JSON (${describeError(err)})`, err);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid(source, 'expected a JSON object');
  }
  const fields = json as Record<string, unknown>;
  const mediaType = fields['mediaType'];
  if (typeof mediaType !== 'string' || !TRUSTED_ROOT_MEDIA_TYPE.test(mediaType)) {
    throw invalid(
      source,
      `expected mediaType "application/vnd.dev.sigstore.trustedroot+json;version=0.1" or ".v0.2+json", found ${JSON.stringify(mediaType)}`,
    );
  }
  for (const list of ['tlogs', 'certificateAuthorities', 'ctlogs', 'timestampAuthorities']) {
    if (fields[list] !== undefined && !Array.isArray(fields[list])) {
      throw invalid(source, `expected "${list}" to be an array`);
    }
  }
  let material: TrustMaterial;
  try {
    material = toTrustMaterial(TrustedRoot.fromJSON(json));
  } catch (err) {
    throw invalid(source, describeError(err), err);
  }
  if (material.certificateAuthorities.length === 0 && material.tlogs.length === 0) {
    throw invalid(source, 'it lists no certificate authority and no transparency log; nothing could verify');
  }
  const root = { fingerprint: sha256(text), source } as TrustRoot;
  materials.set(root, material);
  return root;
}

let publicGood: TrustRoot | undefined;

/** The Sigstore public-good root shipped with wtools: works offline, refreshed by `trust update`. */
export function publicGoodTrustRoot(): TrustRoot {
  publicGood ??= trustRootFromJson(PUBLIC_GOOD_TRUSTED_ROOT_JSON, 'public-good (shipped)');
  return publicGood;
}

/** The parsed sigstore trust material behind a TrustRoot; for lib/trust only. */
export function trustMaterialOf(root: TrustRoot): TrustMaterial {
  const material = materials.get(root);
  if (!material) {
    throw new TrustError(
      'TRUST_ROOT_INVALID',
      'expected a trust root made by trustRootFromJson, found another object',
    );
  }
  return material;
}

function invalid(source: string, why: string, cause?: unknown): TrustError {
  return new TrustError('TRUST_ROOT_INVALID', `trusted root ${source} is invalid: ${why}`, { cause });
}
