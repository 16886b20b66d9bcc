/**
 * A private tmux server for tests that need a real terminal (prompts on /dev/tty): its own socket,
 * so no user session is ever touched, and its socket file removed when the suite ends.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';

export const TMUX = '/usr/bin/tmux';

/** Quotes a value for the shell command tmux runs. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface TmuxServer {
  /** Runs a tmux command against this server and returns its output. */
  run(...args: string[]): string;
  /** Polls a session's pane until `done` accepts its text; fails with the last screen on timeout. */
  waitForPane(
    session: string,
    done: (screen: string) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<string>;
  /** Ends the server (if it still runs) and removes its socket file. */
  close(): Promise<void>;
}

export function tmuxServer(prefix: string): TmuxServer {
  const socket = `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const run = (...args: string[]): string =>
    execFileSync(TMUX, ['-L', socket, ...args], { encoding: 'utf8' });
  return {
    run,
    async waitForPane(session, done, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let screen = '';
      while (Date.now() < deadline) {
        screen = run('capture-pane', '-p', '-J', '-t', session);
        if (done(screen)) return screen;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`timed out waiting for ${what}; the terminal shows:\n${screen}`);
    },
    async close() {
      try {
        run('kill-server');
      } catch {
        // already gone: the server exits with its last session
      }
      const uid = process.getuid?.() ?? 0;
      await rm(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${uid}`, socket), { force: true });
    },
  };
}
