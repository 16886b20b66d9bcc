import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { StoreError, describeError } from './errors.js';

/** A temp name beside the target, so the final rename stays on one file system and is atomic. */
export function tempPathFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

/**
 * Writes a file so that readers see either the old or the new content, never a mix:
 * temp file, fsync, rename, fsync of the directory.
 */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array | string,
  options: { mode?: number } = {},
): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  const handle = await fs.open(temp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await fs.rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(path.dirname(target));
}

export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

export interface LockOptions {
  /** How long to wait for another holder before failing. */
  timeoutMs?: number;
  /** A lock older than this whose holder cannot be checked is taken over. */
  staleMs?: number;
}

/**
 * A cross-process lock: a file holding the owner's pid and a random token, put in place with an
 * atomic link of a file already written, so a lock never exists without its owner (a process
 * killed between creating and writing it would leave an empty lock that wedges everyone until it
 * is stale). A lock is broken only when its owner process is gone (or, for an ownerless lock from
 * elsewhere, when it is older than staleMs), so a crash never wedges the store and a slow holder
 * is never robbed; the token makes sure a holder only ever removes its own lock.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 120_000;
  const content = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  const candidate = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  try {
    await fs.writeFile(candidate, content, { mode: 0o600 });
  } catch (err) {
    throw new StoreError('IO', `cannot create lock ${lockPath}: ${describeError(err)}`, { cause: err });
  }
  const started = Date.now();
  let delay = 5;
  try {
    for (;;) {
      try {
        await fs.link(candidate, lockPath);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StoreError('IO', `cannot create lock ${lockPath}: ${describeError(err)}`, { cause: err });
        }
        if (await breakStaleLock(lockPath, staleMs)) continue;
        if (Date.now() - started > timeoutMs) {
          throw new StoreError(
            'LOCK_TIMEOUT',
            `waited ${timeoutMs} ms for lock ${lockPath}, held by another process (${await lockOwner(lockPath)})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 100);
      }
    }
  } finally {
    await fs.rm(candidate, { force: true });
  }
  try {
    return await fn();
  } finally {
    if ((await fs.readFile(lockPath, 'utf8').catch(() => '')) === content)
      await fs.rm(lockPath, { force: true });
  }
}

async function lockOwner(lockPath: string): Promise<string> {
  const text = await fs.readFile(lockPath, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) ? `pid ${pid}` : 'unknown owner';
}

async function breakStaleLock(lockPath: string, staleMs: number): Promise<boolean> {
  let text: string;
  let ageMs: number;
  try {
    const [read, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    text = read;
    ageMs = Date.now() - stat.mtimeMs;
  } catch {
    return false; // released meanwhile: try again
  }
  const owner = Number.parseInt(text, 10);
  const stale =
    Number.isInteger(owner) && owner > 0 ? !processAlive(owner) : /* never written */ ageMs > staleMs;
  if (!stale) return false;
  // Move it aside, then make sure what was moved is the lock judged stale and not a fresh one
  // that a third process took in between; a fresh one is put back.
  const grave = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lockPath, grave);
  } catch {
    return false;
  }
  const moved = await fs.readFile(grave, 'utf8').catch(() => '');
  if (moved !== text) await fs.link(grave, lockPath).catch(() => {});
  await fs.rm(grave, { force: true });
  return moved === text;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
