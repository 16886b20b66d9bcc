/**
 * Signing keys for `wtools sign --key`: ECDSA P-256, the curve every Sigstore verifier accepts for
 * keyed signatures. Private keys are PKCS#8 PEM, encrypted with AES-256-CBC (PBES2) when a
 * passphrase is given, so OpenSSL, Node and Go read them too. cosign's own encrypted format
 * (scrypt + secretbox) is recognised and refused with a clear message.
 */
import {
  type KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
} from 'node:crypto';
import { TrustError, WtoolsError, describeError } from '../core/index.js';

export interface KeyPairPem {
  /** PKCS#8 PEM; "ENCRYPTED PRIVATE KEY" when a passphrase was given. */
  privateKeyPem: string;
  /** SPKI PEM ("PUBLIC KEY"), what `wtools verify --key` and a policy's `keys:` take. */
  publicKeyPem: string;
}

/** A private key ready to sign with, and what names it in bundles and results. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  /** `SHA256:<unpadded base64 of sha256(SPKI DER)>`: the bundle's key hint, and verify's key name. */
  readonly keyId: string;
}

const CURVE = 'prime256v1';

export function generateKeyPair(passphrase?: string): KeyPairPem {
  if (passphrase === '') {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      'expected a non-empty passphrase, found an empty one; give none for an unencrypted key',
    );
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: CURVE,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding:
      passphrase === undefined
        ? { type: 'pkcs8', format: 'pem' }
        : { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * Reads a PEM private key (PKCS#8, encrypted or not, or SEC1 "EC PRIVATE KEY") and checks that it
 * is ECDSA P-256. Errors: KEY_PASSPHRASE (encrypted and no passphrase, or the wrong one),
 * KEY_INVALID (not a private key: a public key, a certificate, garbage), KEY_UNSUPPORTED (another
 * algorithm or curve, or cosign's encrypted key format).
 */
export function loadPrivateKey(pem: string, passphrase?: string, source = 'the key'): SigningKey {
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
  if (label === undefined) {
    throw new TrustError('KEY_INVALID', `${source} is not a PEM private key (no "-----BEGIN …-----" line)`);
  }
  if (/(SIGSTORE|COSIGN) PRIVATE KEY$/.test(label)) {
    throw new TrustError(
      'KEY_UNSUPPORTED',
      `${source} is in cosign's encrypted key format ("${label}"), which wtools cannot read; ` +
        'use a PKCS#8 key (`wtools keygen`, or `openssl ecparam -genkey -name prime256v1 | openssl pkcs8 -topk8`)',
    );
  }
  if (!label.endsWith('PRIVATE KEY')) {
    throw new TrustError(
      'KEY_INVALID',
      `${source} holds a ${label}, not a private key; signing needs the private key (the .key file)`,
    );
  }
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,\s*ENCRYPTED/.test(pem);
  if (encrypted && (passphrase === undefined || passphrase === '')) {
    throw new TrustError('KEY_PASSPHRASE', `${source} is encrypted, and no passphrase was given`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem', ...(encrypted ? { passphrase } : {}) });
  } catch (err) {
    // A wrong passphrase mostly fails the padding check ("bad decrypt"), sometimes decrypts to
    // garbage that fails to decode: for an encrypted key both mean the passphrase is wrong.
    if (encrypted) {
      throw new TrustError('KEY_PASSPHRASE', `wrong passphrase for ${source} (or the key file is damaged)`, {
        cause: err,
      });
    }
    throw new TrustError('KEY_INVALID', `${source} is not a readable private key: ${describeError(err)}`, {
      cause: err,
    });
  }
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  if (privateKey.asymmetricKeyType !== 'ec' || curve !== CURVE) {
    const found =
      privateKey.asymmetricKeyType === 'ec' ? `EC ${curve ?? 'unknown curve'}` : privateKey.asymmetricKeyType;
    throw new TrustError(
      'KEY_UNSUPPORTED',
      `${source}: expected an ECDSA P-256 key, found ${found ?? 'an unknown key type'}`,
    );
  }
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicKeyPem, keyId: keyIdOf(createPublicKey(privateKey)) };
}

/** The id of a public key (PEM; a private key PEM names its public half), as `SHA256:<base64>`. */
export function keyId(publicKeyPem: string): string {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (err) {
    throw new TrustError('KEY_INVALID', `not a PEM public key: ${describeError(err)}`, { cause: err });
  }
  return keyIdOf(key);
}

/** The same spelling verify.ts reports as a key's name: npm's `SHA256:<unpadded base64>`. */
function keyIdOf(key: KeyObject): string {
  const hash = createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest();
  return `SHA256:${hash.toString('base64').replace(/=+$/, '')}`;
}
