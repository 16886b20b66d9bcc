/**
 * TCP through the runtime's socket stack: a granted host is looked up and connected to for real;
 * an ungranted host, another port, or an address nobody looked up is refused with access-denied
 * before any connection, and reported.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Grant } from '../../lib/grants/index.js';
import { answerHostCall, type HostRequest } from '../../lib/runtime/host-call.js';
import { SocketHost, socketPolicyFor } from '../../lib/runtime/socket-host.js';
import { grants } from '../harness/runtime.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let server: Server;
let port: number;
let connections = 0;
let udpServer: UdpSocket;
let udpPort: number;
let datagrams = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    socket.once('data', (data) => socket.end(`echo: ${data.toString()}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  udpServer = createSocket('udp4');
  udpServer.on('message', (data, remote) => {
    datagrams++;
    udpServer.send(`echo: ${data.toString()}`, remote.port, remote.address);
  });
  udpServer.bind(0, '127.0.0.1');
  await once(udpServer, 'listening');
  udpPort = udpServer.address().port;
});

afterAll(async () => {
  udpServer.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface GuestResult {
  ok: boolean;
  value?: { received?: string };
  error?: unknown;
  denials: { capability: unknown; reason: string }[];
}

async function runGuest(given: Grant[], script: Record<string, unknown>): Promise<GuestResult> {
  // Nobody to ask: what the grants leave open is refused, as in `wtools call`.
  const host = new SocketHost(socketPolicyFor(given, async () => false));
  const { port1, port2 } = new MessageChannel();
  const flag = new SharedArrayBuffer(4);
  port1.on('message', async (request: HostRequest) => {
    if (request.op !== 'socket') throw new Error(`unexpected host call ${request.op}`);
    answerHostCall({ port: port1, flag }, await host.handle(request.request));
  });
  const worker = new Worker(path.join(ROOT, 'scripts', 'ts-worker.mjs'), {
    workerData: {
      ...script,
      channel: { port: port2, flag },
      tsEntry: pathToFileURL(path.join(ROOT, 'test', 'harness', 'socket-guest.ts')).href,
    },
    transferList: [port2],
  });
  try {
    const [result] = (await once(worker, 'message')) as [GuestResult];
    return result;
  } finally {
    host.closeAll();
    port1.close();
    await worker.terminate();
  }
}

describe('TCP sockets from a guest', () => {
  it('connects to a granted host looked up by name, and talks', async () => {
    const result = await runGuest(grants(`tcp:localhost:${port}`), { name: 'localhost', port, send: 'ping' });
    expect(result).toMatchObject({ ok: true, value: { received: 'echo: ping' }, denials: [] });
  });

  it('connects to a granted address literal', async () => {
    const result = await runGuest(grants(`tcp:127.0.0.1:${port}`), {
      address: [127, 0, 0, 1],
      port,
      send: 'pong',
    });
    expect(result).toMatchObject({ ok: true, value: { received: 'echo: pong' } });
  });

  it('refuses an ungranted name, another port, and an address no granted lookup returned', async () => {
    const before = connections;
    const unnamed = await runGuest(grants(`tcp:example.invalid:${port}`), {
      name: 'localhost',
      port,
      send: 'x',
    });
    expect(unnamed).toMatchObject({ ok: false, error: 'access-denied' });
    expect(unnamed.denials[0]).toMatchObject({ capability: { kind: 'tcp', host: 'localhost', port: 0 } });

    const otherPort = await runGuest(grants(`tcp:localhost:${port + 1}`), {
      name: 'localhost',
      port,
      send: 'x',
    });
    expect(otherPort).toMatchObject({ ok: false, error: 'access-denied' });
    expect(otherPort.denials[0]).toMatchObject({ capability: { kind: 'tcp', host: 'localhost', port } });

    const literal = await runGuest(grants(`tcp:localhost:${port}`), {
      address: [127, 0, 0, 1],
      port,
      send: 'x',
    });
    expect(literal).toMatchObject({ ok: false, error: 'access-denied' });
    expect(literal.denials[0]).toMatchObject({ capability: { kind: 'tcp', host: '127.0.0.1', port } });

    const none = await runGuest([], { address: [127, 0, 0, 1], port, send: 'x' });
    expect(none).toMatchObject({ ok: false, error: 'access-denied' });
    expect(connections).toBe(before);
  });
});

describe('UDP sockets from a guest', () => {
  it('sends to a granted peer and hears its answer', async () => {
    const result = await runGuest(grants(`udp:localhost:${udpPort}`), {
      name: 'localhost',
      port: udpPort,
      send: 'ping',
      udp: true,
    });
    expect(result).toMatchObject({ ok: true, value: { received: 'echo: ping' }, denials: [] });
  });

  it('refuses a peer no grant covers, before any datagram leaves', async () => {
    const before = datagrams;
    const tcpOnly = await runGuest(grants(`tcp:127.0.0.1:${udpPort}`), {
      address: [127, 0, 0, 1],
      port: udpPort,
      send: 'x',
      udp: true,
    });
    expect(tcpOnly).toMatchObject({ ok: false, error: 'access-denied' });
    expect(tcpOnly.denials[0]).toMatchObject({
      capability: { kind: 'udp', host: '127.0.0.1', port: udpPort },
    });
    const otherPort = await runGuest(grants(`udp:127.0.0.1:${udpPort + 1}`), {
      address: [127, 0, 0, 1],
      port: udpPort,
      send: 'x',
      udp: true,
    });
    expect(otherPort).toMatchObject({ ok: false, error: 'access-denied' });
    expect(datagrams).toBe(before);
  });
});
