/**
 * The host side of the code-mode sandbox: worker threads that run scripts (sandbox-worker.ts), a
 * warm one kept for the next run, the wall-time limit (the worker is ended: the engine's interrupts
 * are soft inside native built-ins), and the tool calls of a script handed to the caller.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type MessagePort, MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { workerScript } from '../../core/index.js';
import type { HostMessage, SandboxFailure, SandboxLimits, SandboxMessage } from './sandbox-protocol.js';

export interface ToolCallOutcome {
  ok: boolean;
  value?: unknown;
  error?: string;
  data?: unknown;
}

export interface SandboxRun {
  source: string;
  namespaces: Record<string, string[]>;
  limits: SandboxLimits;
  /** Runs one tool call of the script. */
  callTool(namespace: string, fn: string, args: unknown): Promise<ToolCallOutcome>;
  signal?: AbortSignal;
}

export interface SandboxOutcome {
  ok: boolean;
  resultJson?: string;
  failure?: SandboxFailure | 'wall' | 'cancelled';
  error?: string;
  logs: string;
  cpuMs: number;
  wallMs: number;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** The engine, compiled once per process and shared with every worker. */
function engineModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
    return WebAssembly.compile(await readFile(file));
  })();
  return compiled;
}

/** The JS heap of a sandbox worker: the engine's memory is its wasm memory, capped per run. */
const WORKER_HEAP_MB = 256;

interface SandboxWorker {
  worker: Worker;
  /** Everything to and from the worker; the host may take messages off it itself (spinning). */
  port: MessagePort;
  /** Raised with each tool reply: a run waiting for its tools sleeps on it. */
  replyRaised: Int32Array;
  ready: Promise<void>;
}

/**
 * After a tool reply, how long the host spins for the script's next message: a script calling
 * tools one after another sends the next call within microseconds, and waking through the event
 * loop costs far more than that (bench/scenarios/hop.ts).
 */
const NEXT_MESSAGE_SPIN_MS = 0.2;

async function spawn(): Promise<SandboxWorker> {
  const wasmModule = await engineModule();
  const entry = workerScript(import.meta.url, 'code-mode', 'sandbox-worker', 'code-mode-worker.js');
  const { port1, port2 } = new MessageChannel();
  const replyFlag = new SharedArrayBuffer(4);
  const worker = new Worker(entry.file, {
    workerData: { wasmModule, port: port2, replyFlag, ...(entry.tsEntry ? { tsEntry: entry.tsEntry } : {}) },
    transferList: [port2],
    env: {},
    stdout: true,
    stderr: true,
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, stackSizeMb: 4 },
  });
  worker.stdout.resume();
  worker.stderr.resume();
  worker.unref();
  port1.unref();
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (message: SandboxMessage) => {
      if (message.type !== 'ready') return;
      port1.off('message', onMessage);
      resolve();
    };
    port1.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', () => reject(new Error('the sandbox worker exited before it was ready')));
  });
  ready.catch(() => {});
  return { worker, port: port1, replyRaised: new Int32Array(replyFlag), ready };
}

/** Runs scripts, one per worker at a time; keeps one worker warm for the next run. */
export class Sandbox {
  #idle: Promise<SandboxWorker> | undefined;
  #closed = false;
  readonly #running = new Set<Worker>();

  /** Starts a worker ahead of the first run (serve does, so the first script does not wait). */
  warm(): void {
    if (!this.#closed) this.#idle ??= spawn();
  }

  async run(run: SandboxRun): Promise<SandboxOutcome> {
    const taken = this.#idle ?? spawn();
    this.#idle = undefined;
    const sandbox = await taken;
    sandbox.worker.ref();
    await sandbox.ready;
    this.#running.add(sandbox.worker);
    const started = performance.now();
    let logs = '';
    return new Promise<SandboxOutcome>((resolve) => {
      const { worker, port } = sandbox;
      let settled = false;
      const finish = (outcome: Omit<SandboxOutcome, 'logs' | 'wallMs'>, reusable: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(wall);
        run.signal?.removeEventListener('abort', onAbort);
        port.off('message', onMessage);
        worker.off('exit', onExit);
        this.#running.delete(worker);
        if (reusable && !this.#closed && !this.#idle) {
          // A waiting worker must not keep the process alive.
          worker.unref();
          this.#idle = Promise.resolve(sandbox);
        } else void worker.terminate();
        if (!this.#closed) this.warm();
        resolve({ ...outcome, logs, wallMs: performance.now() - started });
      };
      const wall = setTimeout(
        () =>
          finish(
            {
              ok: false,
              failure: 'wall',
              error: `the run took longer than ${run.limits.wallMs} ms and was stopped`,
              cpuMs: 0,
            },
            false,
          ),
        run.limits.wallMs,
      );
      const onAbort = () =>
        finish({ ok: false, failure: 'cancelled', error: 'the run was cancelled', cpuMs: 0 }, false);
      run.signal?.addEventListener('abort', onAbort, { once: true });
      const onMessage = (message: SandboxMessage) => {
        switch (message.type) {
          case 'log':
            logs += message.text;
            break;
          case 'call':
            void run.callTool(message.namespace, message.fn, message.args).then(
              (outcome) => reply({ type: 'reply', call: message.call, ...outcome }),
              (err: unknown) =>
                reply({
                  type: 'reply',
                  call: message.call,
                  ok: false,
                  error: err instanceof Error ? err.message : String(err),
                }),
            );
            break;
          case 'done':
            finish(
              {
                ok: message.ok,
                ...(message.resultJson !== undefined ? { resultJson: message.resultJson } : {}),
                ...(message.failure ? { failure: message.failure } : {}),
                ...(message.error !== undefined ? { error: message.error } : {}),
                cpuMs: message.cpuMs,
              },
              true,
            );
            break;
          case 'ready':
            break;
        }
      };
      const post = (message: HostMessage) => port.postMessage(message);
      /** A tool's answer: wakes the sleeping run, then takes its next message without the event loop. */
      const reply = (message: HostMessage) => {
        if (settled) return;
        post(message);
        Atomics.store(sandbox.replyRaised, 0, 1);
        Atomics.notify(sandbox.replyRaised, 0);
        const until = performance.now() + NEXT_MESSAGE_SPIN_MS;
        let next = receiveMessageOnPort(port);
        while (!next && performance.now() < until) next = receiveMessageOnPort(port);
        for (; next && !settled; next = receiveMessageOnPort(port)) onMessage(next.message as SandboxMessage);
      };
      const onExit = () =>
        finish({ ok: false, failure: 'internal', error: 'the sandbox worker stopped', cpuMs: 0 }, false);
      port.on('message', onMessage);
      worker.once('exit', onExit);
      if (run.signal?.aborted) onAbort();
      else post({ type: 'run', source: run.source, namespaces: run.namespaces, limits: run.limits });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle;
    this.#idle = undefined;
    await Promise.all([
      ...[...this.#running].map((w) => w.terminate()),
      idle?.then((s) => s.worker.terminate()).catch(() => undefined),
    ]);
  }
}
