/**
 * A Sigstore stand-in for unit tests, in process and offline: @sigstore/mock's CA (with a CT log)
 * and Rekor log, called directly, plus the trusted_root.json that trusts exactly them. It signs
 * like cosign 2.x (simple-signing payload, certificate, Rekor SET) and like `sign-blob` (a v0.1
 * message-signature bundle), so the legacy and message-signature paths meet real certificates,
 * SCTs and SETs.
 */
import { type KeyObject, createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { initializeCA, initializeCTLog, initializeTLog } from '@sigstore/mock';
import type { Evidence } from '../../../lib/trust/evidence.js';

const REKOR_URL = 'https://rekor.local.test';
const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

export interface LocalSigstore {
  trustedRootJson: string;
  /**
   * A cosign 2.x `.sig` layer for `subject`, signed keylessly as `identity` from `issuer`, or with
   * `privateKey` (`cosign sign --key`, still logged in Rekor).
   */
  signLegacy(options: LegacyOptions): Promise<Extract<Evidence, { kind: 'cosign-legacy' }>>;
  /** A v0.1 message-signature bundle over `artifact` (what `cosign sign-blob --bundle` makes). */
  signBlob(artifact: Uint8Array, identity: string, issuer: string): Promise<string>;
}

export interface LegacyOptions {
  subject: string;
  identity: string;
  issuer: string;
  /** Replaces the simple-signing payload (a wrong type, another digest). */
  payload?: string;
  privateKey?: KeyObject;
}

export function simpleSigningPayload(subject: string, type = 'cosign container image signature'): string {
  return JSON.stringify({
    critical: {
      identity: { 'docker-reference': 'registry.local.test/components/hello' },
      image: { 'docker-manifest-digest': subject },
      type,
    },
    optional: null,
  });
}

export async function startLocalSigstore(): Promise<LocalSigstore> {
  const ctKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rekorKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ctLog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(caKeys, ctLog);
  const tlog = await initializeTLog(REKOR_URL, rekorKeys);
  const rootPem = toPem(
    Buffer.from(ca.rootCertificate.buffer, ca.rootCertificate.byteOffset, ca.rootCertificate.byteLength),
  );
  const start = new Date(Date.now() - 60_000).toISOString();

  const rekorSpki = rekorKeys.publicKey.export({ type: 'spki', format: 'der' });
  const ctSpki = ctKeys.publicKey.export({ type: 'spki', format: 'der' });
  const trustedRootJson = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: REKOR_URL,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: rekorSpki.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: createHash('sha256').update(rekorSpki).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: 'https://fulcio.local.test',
        certChain: { certificates: [{ rawBytes: pemBody(rootPem) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.local.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: ctSpki.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: createHash('sha256').update(ctSpki).digest('base64') },
      },
    ],
    timestampAuthorities: [],
  });

  /** Fulcio's part and the signer's: an ephemeral key, a certificate for it, a signature. */
  async function keylessSign(message: Buffer, identity: string, issuer: string) {
    const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = await ca.issueCertificate({
      publicKey: ephemeral.publicKey.export({ type: 'spki', format: 'der' }),
      subjectAltName: identity,
      extensions: [{ oid: FULCIO_ISSUER_V2, value: issuer }],
    });
    const certificatePem = toPem(Buffer.from(der.buffer, der.byteOffset, der.byteLength));
    const signature = sign('sha256', message, ephemeral.privateKey);
    return { certificatePem, signature };
  }

  /** Rekor's part: a hashedrekord entry, logged; returns the log's answer for it. */
  async function logHashedRekord(message: Buffer, signature: Buffer, verificationKeyPem: string) {
    // The mock logs integratedTime in whole seconds while a certificate's notBefore keeps its
    // milliseconds: logging in the certificate's own second would predate it ("invalid time").
    await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
    const response = await tlog.log({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(message).digest('hex') } },
        signature: {
          content: signature.toString('base64'),
          publicKey: { content: Buffer.from(verificationKeyPem).toString('base64') },
        },
      },
    });
    const entry = Object.values(response)[0] as {
      body: string;
      integratedTime: number;
      logID: string;
      logIndex: number;
      verification: { signedEntryTimestamp: string };
    };
    return entry;
  }

  return {
    trustedRootJson,
    async signLegacy({ subject, identity, issuer, payload, privateKey }) {
      const message = Buffer.from(payload ?? simpleSigningPayload(subject));
      const { certificatePem, signature } = privateKey
        ? { certificatePem: undefined, signature: sign('sha256', message, privateKey) }
        : await keylessSign(message, identity, issuer);
      const verificationKey =
        certificatePem ??
        createPublicKey(privateKey as KeyObject)
          .export({ type: 'spki', format: 'pem' })
          .toString();
      const entry = await logHashedRekord(message, signature, verificationKey);
      return {
        kind: 'cosign-legacy',
        payload: new Uint8Array(message),
        payloadDigest: `sha256:${createHash('sha256').update(message).digest('hex')}`,
        signature: signature.toString('base64'),
        ...(certificatePem ? { certificate: certificatePem, chain: rootPem } : {}),
        rekorBundle: JSON.stringify({
          SignedEntryTimestamp: entry.verification.signedEntryTimestamp,
          Payload: {
            body: entry.body,
            integratedTime: entry.integratedTime,
            logIndex: entry.logIndex,
            logID: entry.logID,
          },
        }),
        source: 'tag sha256-test.sig',
      };
    },
    async signBlob(artifact, identity, issuer) {
      const message = Buffer.from(artifact);
      const { certificatePem, signature } = await keylessSign(message, identity, issuer);
      const entry = await logHashedRekord(message, signature, certificatePem);
      return JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
        verificationMaterial: {
          x509CertificateChain: { certificates: [{ rawBytes: pemBody(certificatePem) }] },
          tlogEntries: [
            {
              logIndex: String(entry.logIndex),
              logId: { keyId: Buffer.from(entry.logID, 'hex').toString('base64') },
              kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
              integratedTime: String(entry.integratedTime),
              inclusionPromise: { signedEntryTimestamp: entry.verification.signedEntryTimestamp },
              canonicalizedBody: entry.body,
            },
          ],
        },
        messageSignature: {
          messageDigest: {
            algorithm: 'SHA2_256',
            digest: createHash('sha256').update(message).digest('base64'),
          },
          signature: signature.toString('base64'),
        },
      });
    },
  };
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
}
