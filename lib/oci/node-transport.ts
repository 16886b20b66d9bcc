import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

/** The part of a fetch Response the registry client reads; real fetch Responses fit it too. */
export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  signal: AbortSignal;
}

export type Transport = (url: string, request: TransportRequest) => Promise<HttpResponse>;

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 8 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

/**
 * Requests through node:http(s) rather than the global fetch: it needs no lazy load of undici
 * (~50 ms at start-up), streams bodies with less overhead, and times out an idle socket while
 * the body is still arriving, not only before the headers.
 */
export function nodeTransport(idleTimeoutMs: number): Transport {
  return (url, request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const client = secure ? https : http;
      const req = client.request(
        target,
        {
          method: request.method,
          headers: {
            ...request.headers,
            ...(request.body ? { 'content-length': String(request.body.byteLength) } : {}),
          },
          agent: secure ? agents.https : agents.http,
          signal: request.signal,
        },
        (res) => resolve(wrapResponse(res)),
      );
      req.setTimeout(idleTimeoutMs, () => {
        req.destroy(Object.assign(new Error(`no data for ${idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      req.on('error', reject);
      req.end(
        request.body
          ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength)
          : undefined,
      );
    });
}

function wrapResponse(res: http.IncomingMessage): HttpResponse {
  const status = res.statusCode ?? 0;
  const noBody = status === 204 || status === 304;
  let body: ReadableStream<Uint8Array> | null | undefined;
  const readAll = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name) {
        const value = res.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    },
    get body() {
      if (body === undefined) body = noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      return body;
    },
    json: async () => JSON.parse((await readAll()).toString('utf8')) as unknown,
    text: async () => (await readAll()).toString('utf8'),
  };
}
