/**
 * Plays a guest in a worker thread for the socket tests: it drives the runtime's wasi:sockets
 * imports exactly as jco's glue would call them, with blocking host calls to the test's thread.
 * No component uses sockets yet (wasi-libc and StarlingMonkey here have no socket API), so this is
 * the closest real path: the same classes, host calls and socket host as a component would meet.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeHostCaller, type HostCallChannel } from '../../lib/runtime/host-call.js';
import type { SocketReply } from '../../lib/runtime/wasi/index.js';
import { socketImports } from '../../lib/runtime/wasi/sockets.js';

interface Script {
  channel: HostCallChannel;
  /** Look this name up first, then connect to its first address; or connect to `address`. */
  name?: string;
  address?: [number, number, number, number];
  port: number;
  send: string;
  /** Talk UDP (one datagram and its answer) instead of TCP. */
  udp?: boolean;
}

const script = workerData as Script & { tsEntry?: string };
const hostCall = makeHostCaller(script.channel);
const denials: unknown[] = [];
const imports = socketImports({
  onDenied: (capability, reason) => denials.push({ capability, reason }),
  socketCall: (request) => hostCall({ op: 'socket', request }) as SocketReply,
});
type Api = Record<string, (...args: unknown[]) => unknown>;
const api = (name: string) => imports[`wasi:sockets/${name}`] as Api;

function runUdp(network: unknown, address: [number, number, number, number]): unknown {
  const socket = api('udp-create-socket').createUdpSocket!('ipv4') as {
    startBind(n: unknown, a: unknown): void;
    finishBind(): void;
    stream(
      remote: unknown,
    ): [
      { receive(max: bigint): { data: Uint8Array }[]; subscribe(): { block(): void } },
      { send(d: { data: Uint8Array }[]): bigint },
    ];
    [Symbol.dispose](): void;
  };
  socket.startBind(network, { tag: 'ipv4', val: { port: 0, address: [0, 0, 0, 0] } });
  socket.finishBind();
  const [incoming, outgoing] = socket.stream({ tag: 'ipv4', val: { port: script.port, address } });
  outgoing.send([{ data: new TextEncoder().encode(script.send) }]);
  incoming.subscribe().block();
  const received = incoming.receive(10n).map((d) => new TextDecoder().decode(d.data));
  socket[Symbol.dispose]();
  return { received: received.join('') };
}

function run(): unknown {
  const network = api('instance-network').instanceNetwork!();
  let address = script.address;
  if (script.name) {
    const stream = api('ip-name-lookup').resolveAddresses!(network, script.name) as {
      resolveNextAddress(): { tag: string; val: number[] } | undefined;
    };
    const first = stream.resolveNextAddress();
    if (first?.tag !== 'ipv4') return { resolved: first };
    address = first.val as [number, number, number, number];
  }
  if (script.udp) return runUdp(network, address!);
  const socket = api('tcp-create-socket').createTcpSocket!('ipv4') as {
    startConnect(n: unknown, a: unknown): void;
    finishConnect(): [
      { blockingRead(n: bigint): Uint8Array },
      { blockingWriteAndFlush(b: Uint8Array): void },
    ];
    [Symbol.dispose](): void;
  };
  socket.startConnect(network, { tag: 'ipv4', val: { port: script.port, address } });
  const [input, output] = socket.finishConnect();
  output.blockingWriteAndFlush(new TextEncoder().encode(script.send));
  const chunks: string[] = [];
  for (;;) {
    try {
      chunks.push(new TextDecoder().decode(input.blockingRead(4096n)));
    } catch (err) {
      if ((err as { payload?: { tag?: string } }).payload?.tag === 'closed') break;
      throw err;
    }
  }
  socket[Symbol.dispose]();
  return { received: chunks.join('') };
}

try {
  parentPort!.postMessage({ ok: true, value: run(), denials });
} catch (err) {
  parentPort!.postMessage({
    ok: false,
    error: (err as { payload?: unknown }).payload ?? String(err),
    denials,
  });
}
