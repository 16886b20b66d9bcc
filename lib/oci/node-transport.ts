import type http from 'node:http';
import type https from 'node:https';
import { OciError } from '../core/index.js';

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

interface Client {
  module: typeof http | typeof https;
  agent: http.Agent;
}
const clients = new Map<string, Promise<Client>>();

/** node:https costs ~15 ms to load (TLS): load each protocol's client only when it is first used. */
function clientFor(protocol: string): Promise<Client> {
  let client = clients.get(protocol);
  if (!client) {
    client = (protocol === 'https:' ? import('node:https') : import('node:http')).then((module) => ({
      module,
      agent: new module.Agent({ keepAlive: true, maxSockets: 8 }),
    }));
    clients.set(protocol, client);
  }
  return client;
}

/**
 * Requests through node:http(s) rather than the global fetch: it needs no lazy load of undici
 * (~50 ms at start-up), streams bodies with less overhead, and times out an idle socket while
 * the body is still arriving, not only before the headers.
 */
export function nodeTransport(idleTimeoutMs: number): Transport {
  return async (url, request) => {
    const target = new URL(url);
    const client = await clientFor(target.protocol);
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = client.module.request(
        target,
        {
          method: request.method,
          headers: {
            ...request.headers,
            ...(request.body ? { 'content-length': String(request.body.byteLength) } : {}),
          },
          agent: client.agent,
          signal: request.signal,
        },
        (res) => resolve(wrapResponse(res, request.method, target.host, () => state.timedOut, idleTimeoutMs)),
      );
      const state = { timedOut: false };
      req.setTimeout(idleTimeoutMs, () => {
        // Covers a stalled body too: reading it then fails with TIMEOUT instead of hanging.
        state.timedOut = true;
        req.destroy(
          new OciError('TIMEOUT', `${request.method} ${target.host}: no data for ${idleTimeoutMs} ms`),
        );
      });
      req.on('error', reject);
      req.end(
        request.body
          ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength)
          : undefined,
      );
    });
  };
}

/** Error and JSON bodies (error details, tag lists, tokens) are small; a larger one is refused. */
const MAX_TEXT_BODY_BYTES = 4 * 1024 * 1024;

function wrapResponse(
  res: http.IncomingMessage,
  method: string,
  host: string,
  timedOut: () => boolean,
  idleTimeoutMs: number,
): HttpResponse {
  const status = res.statusCode ?? 0;
  const noBody = method === 'HEAD' || status === 204 || status === 304;
  // A response nobody reads holds its socket (and keeps the process alive): drain the empty ones now.
  if (noBody) res.resume();
  let body: ReadableStream<Uint8Array> | null | undefined;
  // A body cut off or stalled mid-way surfaces as a coded error naming the host, not "aborted".
  const bodyError = (err: unknown): OciError =>
    err instanceof OciError
      ? err
      : timedOut()
        ? new OciError('TIMEOUT', `${method} ${host}: no data for ${idleTimeoutMs} ms`, { cause: err })
        : new OciError('REGISTRY_UNREACHABLE', `${host} closed the connection in the middle of a response`, {
            cause: err,
          });
  const readAll = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res) {
        total += (chunk as Buffer).byteLength;
        if (total > MAX_TEXT_BODY_BYTES) {
          res.destroy();
          throw new OciError(
            'REGISTRY_ERROR',
            `${host} sent a response body over ${MAX_TEXT_BODY_BYTES} bytes where a small JSON document was expected`,
          );
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      throw bodyError(err);
    }
    return Buffer.concat(chunks);
  };
  const openBody = (): ReadableStream<Uint8Array> => {
    const chunks = res[Symbol.asyncIterator]();
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const next = await chunks.next();
            if (next.done) controller.close();
            else controller.enqueue(next.value as Uint8Array);
          } catch (err) {
            controller.error(bodyError(err));
          }
        },
        cancel() {
          res.destroy();
        },
      },
      { highWaterMark: 0 },
    );
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
      if (body === undefined) body = noBody ? null : openBody();
      return body;
    },
    json: async () => JSON.parse((await readAll()).toString('utf8')) as unknown,
    text: async () => (await readAll()).toString('utf8'),
  };
}
