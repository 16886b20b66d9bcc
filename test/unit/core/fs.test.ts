import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from '../../../lib/core/fs.js';
import { expectCode, tempDir } from '../../harness/unit.js';

/** The pid of a process that has exited (a child that ran and was reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((resolve) => child.once('exit', resolve));
  return pid;
}

/** A lock file with this content, its mtime `ageMs` in the past. */
async function placeLock(content: string, ageMs = 0): Promise<string> {
  const lockPath = path.join(await tempDir('wtools-lock-'), 'store', 'index.json.lock');
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  await fs.writeFile(lockPath, content);
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    await fs.utimes(lockPath, then, then);
  }
  return lockPath;
}

describe('withFileLock', () => {
  it('runs fn under the lock and removes its own lock file afterwards', async () => {
    const lockPath = path.join(await tempDir('wtools-lock-'), 'deep', 'dir', 'x.lock');
    const seen = await withFileLock(lockPath, async () => fs.readFile(lockPath, 'utf8'));
    expect(seen).toMatch(new RegExp(`^${process.pid} [0-9a-f]{16}\\n$`));
    await expect(fs.access(lockPath)).rejects.toThrow();
  });

  it('never has an empty lock: the owner is written before the lock exists, and nothing is left beside it', async () => {
    const dir = await tempDir('wtools-lock-');
    const lockPath = path.join(dir, 'x.lock');
    const seen: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(lockPath, async () => {
          seen.push(await fs.readFile(lockPath, 'utf8'));
        }),
      ),
    );
    expect(seen.every((text) => /^\d+ [0-9a-f]{16}\n$/.test(text))).toBe(true);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('serialises holders in one process', async () => {
    const lockPath = path.join(await tempDir('wtools-lock-'), 'x.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withFileLock(lockPath, async () => {
          inside += 1;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('does not break an old lock whose owner is alive, and names the owner', async () => {
    const owner = process.ppid; // the test runner: alive, and not us
    expect(owner).not.toBe(process.pid);
    const lockPath = await placeLock(`${owner} 0123456789abcdef\n`, 60_000);
    let ran = false;
    const err = await expectCode(
      withFileLock(
        lockPath,
        async () => {
          ran = true;
        },
        { timeoutMs: 50, staleMs: 10 },
      ),
      'LOCK_TIMEOUT',
    );
    expect(err.message).toContain(`pid ${owner}`);
    expect(ran).toBe(false);
    expect(await fs.readFile(lockPath, 'utf8')).toBe(`${owner} 0123456789abcdef\n`);
  });

  it('breaks a young lock whose owner process is gone', async () => {
    const pid = await deadPid();
    const lockPath = await placeLock(`${pid} 0123456789abcdef\n`);
    const result = await withFileLock(lockPath, async () => fs.readFile(lockPath, 'utf8'), {
      timeoutMs: 1_000,
      staleMs: 600_000,
    });
    expect(result.startsWith(`${process.pid} `)).toBe(true);
    await expect(fs.access(lockPath)).rejects.toThrow();
    // No grave of the broken lock is left beside it.
    expect(await fs.readdir(path.dirname(lockPath))).toEqual([]);
  });

  it('breaks an unreadable lock older than staleMs', async () => {
    for (const garbage of ['garbage', '']) {
      const lockPath = await placeLock(garbage, 60_000);
      let ran = false;
      await withFileLock(
        lockPath,
        async () => {
          ran = true;
        },
        { timeoutMs: 1_000, staleMs: 1_000 },
      );
      expect(ran, JSON.stringify(garbage)).toBe(true);
      expect(await fs.readdir(path.dirname(lockPath))).toEqual([]);
    }
  });

  it('does not break an unreadable lock younger than staleMs', async () => {
    const lockPath = await placeLock('garbage');
    const err = await expectCode(
      withFileLock(lockPath, async () => {}, { timeoutMs: 50, staleMs: 60_000 }),
      'LOCK_TIMEOUT',
    );
    expect(err.message).toContain('unknown owner');
    expect(await fs.readFile(lockPath, 'utf8')).toBe('garbage');
  });

  it('never deletes a lock file whose content is not its own', async () => {
    const lockPath = path.join(await tempDir('wtools-lock-'), 'x.lock');
    const other = `${process.ppid} fedcba9876543210\n`;
    await withFileLock(lockPath, async () => {
      // Another process took the lock over meanwhile.
      await fs.writeFile(lockPath, other);
    });
    expect(await fs.readFile(lockPath, 'utf8')).toBe(other);

    const again = path.join(path.dirname(lockPath), 'y.lock');
    await expect(
      withFileLock(again, async () => {
        await fs.writeFile(again, other);
        throw new Error('fn failed');
      }),
    ).rejects.toThrow('fn failed');
    expect(await fs.readFile(again, 'utf8')).toBe(other);
  });
});
