/**
 * A blocking call from a guest's worker thread to the host thread. WASI's calls are synchronous, but
 * some answers live on the host thread (an HTTP response, a human's answer to a permission prompt):
 * the worker posts the request, sleeps on a shared flag, and takes the reply off its port without
 * returning to its event loop.
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { Capability } from '../grants/index.js';
import type { McpHostRequest } from './guest-mcp.js';
import type { HttpRequestMessage } from './wasi/http.js';
import type { SocketRequest } from './wasi/sockets.js';

export const FLAG_WAITING = 0;
export const FLAG_ANSWERED = 1;

export interface HostCallChannel {
  port: MessagePort;
  /** One Int32: FLAG_WAITING while the host works, FLAG_ANSWERED once the reply is on the port. */
  flag: SharedArrayBuffer;
}

export type HostRequest =
  | { op: 'http'; request: HttpRequestMessage }
  | { op: 'ask'; capability: Capability; reason: string }
  | { op: 'socket'; request: SocketRequest }
  | { op: 'mcp'; request: McpHostRequest };

export function makeHostCaller(channel: HostCallChannel): (request: HostRequest) => unknown {
  const flag = new Int32Array(channel.flag);
  return (request) => {
    Atomics.store(flag, 0, FLAG_WAITING);
    channel.port.postMessage(request);
    while (Atomics.load(flag, 0) === FLAG_WAITING) Atomics.wait(flag, 0, FLAG_WAITING);
    const reply = receiveMessageOnPort(channel.port);
    if (!reply) throw new Error('host call answered without a message');
    return reply.message;
  };
}

/** Host side: answers one request, then wakes the worker. */
export function answerHostCall(channel: HostCallChannel, reply: unknown): void {
  channel.port.postMessage(reply);
  const flag = new Int32Array(channel.flag);
  Atomics.store(flag, 0, FLAG_ANSWERED);
  Atomics.notify(flag, 0);
}
