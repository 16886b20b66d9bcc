/**
 * Performs a guest's granted HTTP request on the host thread. Redirects are returned to the guest,
 * never followed here, so a redirect to an ungranted origin is a new request that meets the grants.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { concatBytes } from '../core/index.js';
import type { HttpRequestMessage, HttpResponseMessage } from './wasi/http.js';

export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const ERROR_CODES: Record<string, { tag: string; val?: unknown }> = {
  ECONNREFUSED: { tag: 'connection-refused' },
  ECONNRESET: { tag: 'connection-terminated' },
  EPIPE: { tag: 'connection-terminated' },
  ENOTFOUND: { tag: 'DNS-error', val: { rcode: 'NXDOMAIN' } },
  EAI_AGAIN: { tag: 'DNS-timeout' },
  EHOSTUNREACH: { tag: 'destination-unavailable' },
  ENETUNREACH: { tag: 'destination-IP-unroutable' },
  ETIMEDOUT: { tag: 'connection-timeout' },
  CERT_HAS_EXPIRED: { tag: 'TLS-certificate-error' },
  DEPTH_ZERO_SELF_SIGNED_CERT: { tag: 'TLS-certificate-error' },
  SELF_SIGNED_CERT_IN_CHAIN: { tag: 'TLS-certificate-error' },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { tag: 'TLS-certificate-error' },
  ERR_TLS_CERT_ALTNAME_INVALID: { tag: 'TLS-certificate-error' },
};

function headerPairs(headers: IncomingHttpHeaders): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([name, v]);
  }
  return pairs;
}

export async function performHttp(request: HttpRequestMessage): Promise<HttpResponseMessage> {
  const url = new URL(request.url);
  const transport = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: HttpResponseMessage): void => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const failWith = (error: { tag: string; val?: unknown }, message: string): void =>
      finish({ ok: false, error, message });
    const req = transport.request(
      url,
      {
        method: request.method,
        headers: Object.fromEntries(groupHeaders(request.headers)),
        timeout: request.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            failWith(
              { tag: 'HTTP-response-body-size', val: size },
              `the response is over ${MAX_RESPONSE_BYTES} bytes`,
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          finish({
            ok: true,
            status: res.statusCode ?? 502,
            headers: headerPairs(res.headers),
            body: concatBytes(chunks, size),
          }),
        );
        res.on('error', (err) => failWith({ tag: 'HTTP-response-incomplete' }, err.message));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      failWith({ tag: 'HTTP-response-timeout' }, `no response within ${request.timeoutMs} ms`);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      failWith(ERROR_CODES[err.code ?? ''] ?? { tag: 'internal-error', val: err.message }, err.message);
    });
    if (request.body) req.end(Buffer.from(request.body));
    else req.end();
  });
}

function groupHeaders(pairs: [string, string][]): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of pairs) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  return grouped;
}
