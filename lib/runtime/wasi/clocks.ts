/** wasi:clocks and wasi:random: always allowed, as they reveal nothing about the host's data. */
import { getRandomValues, randomBytes } from 'node:crypto';
import { Pollable } from './io.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** A pollable that becomes ready at a monotonic instant; blocking sleeps the guest's thread. */
function timer(deadline: bigint): Pollable {
  return new Pollable(
    () => nowNs() >= deadline,
    () => {
      const remainingMs = Number((deadline - nowNs()) / 1_000_000n);
      if (remainingMs > 0) Atomics.wait(sleeper, 0, 0, remainingMs);
    },
  );
}

export function clockImports(): Record<string, Record<string, unknown>> {
  return {
    'wasi:clocks/monotonic-clock': {
      now: nowNs,
      resolution: () => 1n,
      subscribeInstant: (when: bigint) => timer(when),
      subscribeDuration: (duration: bigint) => timer(nowNs() + duration),
    },
    'wasi:clocks/wall-clock': {
      now() {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
  };
}

const MAX_RANDOM_BYTES = 64 * 1024 * 1024;

function bytes(len: bigint): Uint8Array {
  const n = Number(len > BigInt(MAX_RANDOM_BYTES) ? BigInt(MAX_RANDOM_BYTES) : len);
  return new Uint8Array(randomBytes(n));
}

function u64(): bigint {
  return getRandomValues(new BigUint64Array(1))[0]!;
}

export function randomImports(): Record<string, Record<string, unknown>> {
  return {
    'wasi:random/random': { getRandomBytes: bytes, getRandomU64: u64 },
    'wasi:random/insecure': { getInsecureRandomBytes: bytes, getInsecureRandomU64: u64 },
    'wasi:random/insecure-seed': { insecureSeed: () => [u64(), u64()] },
  };
}
