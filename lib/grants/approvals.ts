/**
 * The approvals channel: a `wtools approvals` process in another terminal listens on a local socket
 * (mode 0600, in a 0700 directory, so only the same user can reach it); a `wtools serve` that needs
 * a human connects, sends the request, and waits for the answer. One connection per question, in
 * newline-delimited JSON:
 *
 *   serve → approvals   {"type":"request","request":PermissionRequest}
 *   approvals → serve   {"type":"answer","id":"…","answer":"once"|"session"|"always"|"deny"|"never"}
 *
 * Closing the connection withdraws the question (the call ended or timed out).
 */
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { GrantError, describeError } from '../core/index.js';
import { ANSWERS, type Answer, type Approver, type PermissionRequest } from './broker.js';

const MAX_LINE = 64 * 1024;

/** Reads newline-delimited JSON from a socket, refusing lines longer than MAX_LINE. */
function onLines(socket: net.Socket, handle: (value: unknown) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    if (buffered.length > MAX_LINE && !buffered.includes('\n')) {
      socket.destroy();
      return;
    }
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        handle(JSON.parse(line));
      } catch {
        socket.destroy();
        return;
      }
    }
  });
}

export interface PendingApproval {
  request: PermissionRequest;
  /** Aborted when the asking side withdrew the question. */
  withdrawn: AbortSignal;
  answer(answer: Answer): void;
}

export interface ApprovalsServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Is something listening there? A socket file left by a crashed process is not. */
function isListening(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Starts listening for questions; `onRequest` gets each one with a way to answer it. */
export async function listenForApprovals(
  socketPath: string,
  onRequest: (pending: PendingApproval) => void,
): Promise<ApprovalsServer> {
  await fs.mkdir(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  if (existsSync(socketPath)) {
    if (await isListening(socketPath)) {
      throw new GrantError(
        'USAGE',
        `another wtools approvals is already answering requests (socket ${socketPath})`,
      );
    }
    await fs.rm(socketPath, { force: true });
  }
  const server = net.createServer((socket) => {
    const withdrawn = new AbortController();
    socket.once('close', () => withdrawn.abort());
    socket.on('error', () => socket.destroy());
    onLines(socket, (message) => {
      const { type, request } = message as { type?: string; request?: PermissionRequest };
      if (type !== 'request' || typeof request?.id !== 'string') {
        socket.destroy();
        return;
      }
      let answered = false;
      onRequest({
        request,
        withdrawn: withdrawn.signal,
        answer(answer) {
          if (answered || socket.destroyed) return;
          answered = true;
          socket.end(`${JSON.stringify({ type: 'answer', id: request.id, answer })}\n`);
        },
      });
    });
  });
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } catch (err) {
    throw new GrantError('IO', `cannot listen on ${socketPath}: ${describeError(err)}`, { cause: err });
  } finally {
    process.umask(previousUmask);
  }
  await fs.chmod(socketPath, 0o600);
  return {
    path: socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        void fs.rm(socketPath, { force: true });
      }),
  };
}

/** The serve side: asks the `wtools approvals` process listening at `socketPath`, when there is one. */
export function approvalsApprover(socketPath: string): Approver {
  return {
    name: 'approvals',
    available: () => existsSync(socketPath),
    ask: (request, signal) =>
      new Promise<Answer | undefined>((resolve) => {
        const socket = net.connect(socketPath);
        const done = (answer: Answer | undefined): void => {
          signal.removeEventListener('abort', onAbort);
          socket.destroy();
          resolve(answer);
        };
        const onAbort = (): void => done(undefined);
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('error', () => done(undefined));
        socket.once('close', () => done(undefined));
        socket.once('connect', () => socket.write(`${JSON.stringify({ type: 'request', request })}\n`));
        onLines(socket, (message) => {
          const { type, id, answer } = message as { type?: string; id?: string; answer?: Answer };
          done(type === 'answer' && id === request.id && ANSWERS.includes(answer!) ? answer : undefined);
        });
      }),
  };
}
