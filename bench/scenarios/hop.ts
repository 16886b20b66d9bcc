// The thread hop under every sandboxed call, three ways, measured side by side: postMessage both
// ways (what the runtime does), Atomics (the worker blocks in Atomics.wait, the host awaits
// Atomics.waitAsync), and Atomics with the host spinning briefly before it awaits. It is the floor
// of issue 5's round-trip ratio and of code mode's per-call cost; measure only.
import { Worker } from 'node:worker_threads';
import { type Scenario, summarize } from '../measure.js';

const HOPS = 20_000;
// In Node since 16; TypeScript types it from lib es2024 only.
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
    ): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;
const SPIN_MS = 0.2;

async function perHop(hop: (a: number) => Promise<number>): Promise<number> {
  for (let i = 0; i < 2000; i++) await hop(i);
  const started = performance.now();
  for (let i = 0; i < HOPS; i++) if ((await hop(i)) !== i + 1) throw new Error('the hop added wrongly');
  return (performance.now() - started) / HOPS;
}

export async function hopScenarios(): Promise<Scenario[]> {
  const messaging = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (a) => parentPort.postMessage(a + 1));`,
    { eval: true },
  );
  let answer: (n: number) => void = () => {};
  messaging.on('message', (n: number) => answer(n));
  const viaMessage = (a: number) =>
    new Promise<number>((resolve) => {
      answer = resolve;
      messaging.postMessage(a);
    });

  // Cells: 0 request flag, 1 argument, 2 result, 3 result flag.
  const cells = new Int32Array(new SharedArrayBuffer(16));
  const blocking = new Worker(
    `const { workerData } = require('node:worker_threads');
     const c = new Int32Array(workerData);
     for (;;) {
       while (Atomics.load(c, 0) === 0) Atomics.wait(c, 0, 0);
       c[2] = c[1] + 1;
       Atomics.store(c, 0, 0);
       Atomics.store(c, 3, 1);
       Atomics.notify(c, 3);
     }`,
    { eval: true, workerData: cells.buffer },
  );
  const send = (a: number) => {
    cells[1] = a;
    Atomics.store(cells, 3, 0);
    Atomics.store(cells, 0, 1);
    Atomics.notify(cells, 0);
  };
  const awaitResult = async () => {
    const waiting = waitAsync(cells, 3, 0);
    if (waiting.async) await waiting.value;
    return cells[2]!;
  };
  const viaAtomics = async (a: number) => {
    send(a);
    return awaitResult();
  };
  const viaSpin = async (a: number) => {
    send(a);
    const until = performance.now() + SPIN_MS;
    while (Atomics.load(cells, 3) === 0 && performance.now() < until);
    return Atomics.load(cells, 3) === 1 ? cells[2]! : awaitResult();
  };

  const rounds = { message: [] as number[], atomics: [] as number[], spin: [] as number[] };
  try {
    for (let round = 0; round < 3; round++) {
      rounds.message.push(await perHop(viaMessage));
      rounds.atomics.push(await perHop(viaAtomics));
      rounds.spin.push(await perHop(viaSpin));
    }
  } finally {
    await Promise.all([messaging.terminate(), blocking.terminate()]);
  }
  const baseline = { name: 'postMessage both ways (the runtime today)', sample: summarize(rounds.message) };
  const scenario = (name: string, runs: number[]): Scenario => {
    const subject = summarize(runs);
    return {
      name,
      goal: 'measure only (the floor under a sandboxed call)',
      met: true,
      subject,
      baseline,
      ratio: subject.median / baseline.sample.median,
      note: `per hop: ${(subject.median * 1000).toFixed(1)} µs vs ${(baseline.sample.median * 1000).toFixed(1)} µs`,
    };
  };
  return [
    scenario('thread hop: Atomics.wait in the worker, Atomics.waitAsync on the host', rounds.atomics),
    scenario(`thread hop: Atomics, the host spinning up to ${SPIN_MS * 1000} µs first`, rounds.spin),
  ];
}
