/**
 * A private Sigstore on 127.0.0.1 for signing tests: @sigstore/mock's Fulcio (with a CT log), Rekor
 * (v1 API) and timestamp authority, served by node:http, plus the trusted_root.json that trusts
 * exactly them. @sigstore/sign (in process, or the built CLI in a child process) is pointed at
 * `url` for all three services.
 *
 * Two things the mock does not do as the real services do, fixed here:
 *   - its Rekor logs the proposed entry as is; real Rekor canonicalizes a DSSE entry (envelope and
 *     payload hashes, signatures with verifiers) and verifiers check that form, so we do it too;
 *   - it builds no trusted root: one is assembled from its keys and certificates.
 * Identity tokens are unsigned JWTs: the mock Fulcio reads the claims without checking a signature,
 * and certifies `sub` as the identity and `iss` as the issuer.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type HandlerFn,
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
} from '@sigstore/mock';

export interface SigstoreServer {
  /** http://127.0.0.1:PORT — the Fulcio, Rekor and TSA base URL. */
  url: string;
  trustedRootJson: string;
  /** Every request path served so far, in order (tests check what was contacted). */
  requests: string[];
  /** An unsigned JWT the mock Fulcio accepts, certifying `identity` from `issuer`. */
  identityToken(identity: string, issuer: string, options?: { expiresInSeconds?: number }): string;
  close(): Promise<void>;
}

export async function startSigstoreServer(): Promise<SigstoreServer> {
  const routes = new Map<string, HandlerFn>();
  const requests: string[] = [];
  const server = createServer((req, res) => void serve(req, res));

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push(path);
    const handler = req.method === 'POST' ? routes.get(path) : undefined;
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${req.method} ${path}`);
      return;
    }
    try {
      const { statusCode, response, contentType } = await handler(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' });
      res.end(
        typeof response === 'string'
          ? response
          : Buffer.from(response.buffer, response.byteOffset, response.byteLength),
      );
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const ctKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rekorKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tsaKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ctLog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(caKeys, ctLog);
  // The checkpoint names the log by the host of this URL; the trusted root's baseUrl must match it.
  const tlog = await initializeTLog(url, rekorKeys);
  const tsa = await initializeTSA(tsaKeys);
  // genTime is a GeneralizedTime with milliseconds, which asn1js writes without trailing zeros
  // (".01"); sigstore-js reads only three-digit fractions, so one stamp in ten failed to parse
  // ("invalid time"). Whole seconds have no fraction at all.
  (tsa as unknown as { getCurrentTime: () => Date }).getCurrentTime = () =>
    new Date(Math.floor(Date.now() / 1000) * 1000);

  const fulcio = fulcioHandler(ca);
  const rekor = rekorHandler(tlog);
  const timestamp = tsaHandler(tsa);
  routes.set(fulcio.path, fulcio.fn);
  // The mock logs integratedTime in whole seconds while the certificate's notBefore keeps its
  // milliseconds: an entry logged in the same second as the certificate would predate it
  // ("invalid time"). Real Rekor logs after Fulcio issued; waiting for the next second says so.
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
  routes.set(rekor.path, async (body) => {
    await nextSecond();
    return rekor.fn(canonicalizeRekorEntry(body));
  });
  // The same holds for the timestamp authority's genTime: stamp after the certificate's second.
  routes.set(timestamp.path, async (body) => {
    await nextSecond();
    return timestamp.fn(body);
  });

  const start = new Date(Date.now() - 60_000).toISOString();
  const der = (view: ArrayBufferView) =>
    Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
  const spki = (keys: typeof ctKeys) => keys.publicKey.export({ type: 'spki', format: 'der' });
  const transparencyLog = (baseUrl: string, key: Buffer) => ({
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: key.toString('base64'),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start },
    },
    logId: { keyId: createHash('sha256').update(key).digest('base64') },
  });
  const trustedRootJson = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [transparencyLog(url, spki(rekorKeys))],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: der(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [transparencyLog('https://ctfe.local.test', spki(ctKeys))],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore-tsa' },
        uri: url,
        certChain: {
          certificates: [{ rawBytes: der(tsa.intCertificate) }, { rawBytes: der(tsa.rootCertificate) }],
        },
        validFor: { start },
      },
    ],
  });

  return {
    url,
    trustedRootJson,
    requests,
    identityToken(identity, issuer, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return [
        encode({ alg: 'none', typ: 'JWT' }),
        encode({
          iss: issuer,
          sub: identity,
          aud: 'sigstore',
          iat: now,
          exp: now + (options.expiresInSeconds ?? 600),
        }),
        'unsigned',
      ].join('.');
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

interface ProposedDsseEntry {
  kind?: string;
  apiVersion?: string;
  spec?: { proposedContent?: { envelope?: string; verifiers?: string[] } };
}

/** What real Rekor stores for a dsse v0.0.1 proposal; other kinds pass through unchanged. */
function canonicalizeRekorEntry(body: string): string {
  const proposed = JSON.parse(body) as ProposedDsseEntry;
  const content = proposed.spec?.proposedContent;
  if (proposed.kind !== 'dsse' || !content?.envelope) return body;
  const envelope = JSON.parse(content.envelope) as { payload: string; signatures: { sig: string }[] };
  const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
  return JSON.stringify({
    apiVersion: proposed.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(content.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((s, i) => ({
        signature: s.sig,
        verifier: content.verifiers?.[i] ?? content.verifiers?.[0],
      })),
    },
  });
}
