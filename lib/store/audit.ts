import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StoreError, describeError, withFileLock } from '../core/index.js';
import type { WtoolsPaths } from './paths.js';

/** One line of the audit log: what happened, to what, decided by whom. Never secrets. */
export interface AuditRecord {
  event: string;
  subject: string;
  digest?: string;
  detail?: Record<string, unknown>;
}

export function auditFile(paths: WtoolsPaths): string {
  return path.join(paths.data, 'audit.jsonl');
}

/**
 * Appends a record as one JSON line. Appends of whole lines under the lock keep records from two
 * processes from interleaving; the file is 0600 because it names what was run and allowed.
 */
export async function appendAudit(paths: WtoolsPaths, record: AuditRecord): Promise<void> {
  const file = auditFile(paths);
  const line = `${JSON.stringify({ time: new Date().toISOString(), pid: process.pid, ...record })}\n`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await withFileLock(`${file}.lock`, async () => {
      const handle = await fs.open(file, 'a', 0o600);
      try {
        await handle.write(line);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  } catch (err) {
    throw new StoreError('IO', `cannot write the audit log ${file}: ${describeError(err)}`, { cause: err });
  }
}

export interface AuditEntry extends AuditRecord {
  time: string;
  pid?: number;
}

/**
 * The log's records, oldest first, optionally only those at or after `since`. A line that does not
 * parse (a disk that filled mid-write) is counted, not fatal: the log is evidence, and the rest of it
 * still is.
 */
export async function readAudit(
  paths: WtoolsPaths,
  options: { since?: Date } = {},
): Promise<{ entries: AuditEntry[]; unreadable: number }> {
  let text: string;
  try {
    text = await fs.readFile(auditFile(paths), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], unreadable: 0 };
    throw new StoreError('IO', `cannot read the audit log: ${describeError(err)}`, { cause: err });
  }
  const entries: AuditEntry[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as AuditEntry;
      if (typeof entry.time !== 'string' || typeof entry.event !== 'string') throw new Error('not a record');
      if (options.since && new Date(entry.time) < options.since) continue;
      entries.push(entry);
    } catch {
      unreadable += 1;
    }
  }
  return { entries, unreadable };
}
