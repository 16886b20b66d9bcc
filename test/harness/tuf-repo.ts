/**
 * A minimal TUF repository on 127.0.0.1 for `wtools trust update` tests: one ed25519 key signs
 * all four roles (root, timestamp, snapshot, targets; no consistent snapshots), and the only target
 * is the trusted_root.json given. `rootJson` is the initial root a client starts from (--tuf-root).
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TufRepoServer {
  /** http://127.0.0.1:PORT, the mirror URL. */
  url: string;
  /** 1.root.json: what a client is seeded with. */
  rootJson: string;
  /** Every request path served so far. */
  requests: string[];
  close(): Promise<void>;
}

export interface TufRepoOptions {
  trustedRootJson: string;
  /** Serve these bytes as the target instead (while the targets metadata names trustedRootJson). */
  servedTarget?: string;
}

/** OLPC canonical JSON as TUF signs it: sorted keys, no whitespace (our strings need no escaping). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function startTufRepo(options: TufRepoOptions): Promise<TufRepoServer> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  const key = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  const keyid = createHash('sha256').update(canonical(key)).digest('hex');
  const expires = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const common = { spec_version: '1.0.31', version: 1, expires };
  const signed = (body: Record<string, unknown>) =>
    JSON.stringify({
      signed: body,
      signatures: [{ keyid, sig: sign(null, Buffer.from(canonical(body)), privateKey).toString('hex') }],
    });
  const role = { keyids: [keyid], threshold: 1 };
  const target = Buffer.from(options.trustedRootJson);
  const files = new Map<string, string>([
    [
      '/1.root.json',
      signed({
        _type: 'root',
        ...common,
        consistent_snapshot: false,
        keys: { [keyid]: key },
        roles: { root: role, timestamp: role, snapshot: role, targets: role },
      }),
    ],
    ['/timestamp.json', signed({ _type: 'timestamp', ...common, meta: { 'snapshot.json': { version: 1 } } })],
    ['/snapshot.json', signed({ _type: 'snapshot', ...common, meta: { 'targets.json': { version: 1 } } })],
    [
      '/targets.json',
      signed({
        _type: 'targets',
        ...common,
        targets: {
          'trusted_root.json': {
            length: target.length,
            hashes: { sha256: createHash('sha256').update(target).digest('hex') },
          },
        },
      }),
    ],
    ['/targets/trusted_root.json', options.servedTarget ?? options.trustedRootJson],
  ]);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push(path);
    const body = files.get(path);
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rootJson: files.get('/1.root.json') ?? '',
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
