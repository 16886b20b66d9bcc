/**
 * How calls reach a worker and results come back, fast. A postMessage each way costs ~70 µs (the
 * receiving thread wakes through its event loop); here the idle worker sleeps in Atomics.wait on a
 * shared flag, the host posts the request and raises the flag, and for calls that have been quick
 * the host spins a little on a result flag and takes the worker's messages off the port itself
 * (`bench/scenarios/hop.ts`: ~11 µs a hop). Everything still travels as messages on one port, in
 * order: what a call posts (denials, notices) is always handled before its result.
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';

const REQUEST = 0;
const RESULT = 1;

export interface CallChannel {
  port: MessagePort;
  /** Two Int32: a request is waiting; a result has been posted. */
  flags: SharedArrayBuffer;
}

export function newCallFlags(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

/** Worker side: sleeps until the host raises the request flag, then takes the requests. */
export function waitForRequests(channel: CallChannel): unknown[] {
  const flags = new Int32Array(channel.flags);
  while (Atomics.load(flags, REQUEST) === 0) Atomics.wait(flags, REQUEST, 0);
  Atomics.store(flags, REQUEST, 0);
  const requests: unknown[] = [];
  for (let next = receiveMessageOnPort(channel.port); next; next = receiveMessageOnPort(channel.port)) {
    requests.push(next.message);
  }
  return requests;
}

/** Worker side: a result was posted on the port; a host spinning for it may take it now. */
export function signalResult(channel: CallChannel): void {
  Atomics.store(new Int32Array(channel.flags), RESULT, 1);
}

/** Host side: posts a request and wakes the worker. */
export function sendRequest(channel: CallChannel, request: unknown): void {
  const flags = new Int32Array(channel.flags);
  Atomics.store(flags, RESULT, 0);
  channel.port.postMessage(request);
  Atomics.store(flags, REQUEST, 1);
  Atomics.notify(flags, REQUEST);
}

/**
 * Host side: waits up to `spinMs` for the result flag, then takes every message on the port (in
 * order) and returns them; none when the worker is still busy (they arrive as 'message' events).
 */
export function spinForResult(channel: CallChannel, spinMs: number): unknown[] {
  const flags = new Int32Array(channel.flags);
  const until = performance.now() + spinMs;
  while (Atomics.load(flags, RESULT) === 0) if (performance.now() >= until) return [];
  const messages: unknown[] = [];
  for (let next = receiveMessageOnPort(channel.port); next; next = receiveMessageOnPort(channel.port)) {
    messages.push(next.message);
  }
  return messages;
}
