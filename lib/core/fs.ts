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
 * A cross-process lock: an exclusively created file holding the owner's pid. A lock whose owner
 * process is gone (or that is older than staleMs) is broken, so a crash never wedges the store.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 120_000;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  const started = Date.now();
  let delay = 5;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError('IO', `cannot create lock ${lockPath}: ${describeError(err)}`, { cause: err });
      }
      if (await breakStaleLock(lockPath, staleMs)) continue;
      if (Date.now() - started > timeoutMs) {
        throw new StoreError(
          'LOCK_TIMEOUT',
          `waited ${timeoutMs} ms for lock ${lockPath}, held by another process`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

async function breakStaleLock(lockPath: string, staleMs: number): Promise<boolean> {
  let owner: number;
  let ageMs: number;
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    owner = Number.parseInt(text.trim(), 10);
    ageMs = Date.now() - stat.mtimeMs;
  } catch {
    return false; // released meanwhile, or being written: try again
  }
  const ownerGone = Number.isInteger(owner) && owner > 0 && owner !== process.pid && !processAlive(owner);
  if (!ownerGone && ageMs < staleMs) return false;
  // Rename first so two breakers cannot both delete a fresh lock taken by a third process.
  const grave = `${lockPath}.stale.${process.pid}`;
  try {
    await fs.rename(lockPath, grave);
    await fs.rm(grave, { force: true });
    return true;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
