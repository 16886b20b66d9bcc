/**
 * A small JSON state file shared by processes (the grant store, the secret store): reads that never
 * fall back to defaults on damage, and updates made under a cross-process lock on the latest state,
 * written atomically (temp file, fsync, rename) as the next revision, with the file mode given.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeError } from './errors.js';
import type { WtoolsError } from './errors.js';
import { withFileLock, writeFileAtomic } from './fs.js';

export interface StateFileSpec<T> {
  /** What it is, for messages: "the grant store". */
  what: string;
  empty(): T;
  /** Parses and checks every field; throws its own "corrupt" error. */
  parse(text: string, file: string): T;
  /** The error type of its layer, for I/O failures and conflicts. */
  error(code: 'IO' | 'CONFLICT', message: string, cause?: unknown): WtoolsError;
}

export class StateFile<T extends { revision: number }> {
  constructor(
    readonly file: string,
    private readonly spec: StateFileSpec<T>,
  ) {}

  /** The current state; a missing file is the empty state, an unreadable one an error. */
  async read(): Promise<T> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.spec.empty();
      throw this.spec.error('IO', `cannot read ${this.spec.what} ${this.file}: ${describeError(err)}`, err);
    }
    return this.spec.parse(text, this.file);
  }

  /**
   * Applies `change` to the latest state under the lock and writes the result as the next revision.
   * With `expectRevision`, refuses when someone else wrote since that revision was read. `change`
   * may return false to write nothing.
   */
  async update(change: (state: T) => boolean | void, options: { expectRevision?: number } = {}): Promise<T> {
    // The folder first, private: the lock file is created in it.
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    return withFileLock(`${this.file}.lock`, async () => {
      const state = await this.read();
      if (options.expectRevision !== undefined && state.revision !== options.expectRevision) {
        throw this.spec.error(
          'CONFLICT',
          `${this.spec.what} changed while this change was prepared (expected revision ${options.expectRevision}, found ${state.revision}); read it again and retry`,
        );
      }
      if (change(state) === false) return state;
      state.revision += 1;
      try {
        await writeFileAtomic(this.file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      } catch (err) {
        throw this.spec.error(
          'IO',
          `cannot write ${this.spec.what} ${this.file}: ${describeError(err)}`,
          err,
        );
      }
      return state;
    });
  }
}

/** The common shape of a state file: its version, its revision count, and an entry per component. */
export interface ComponentStateShape<E> {
  version: number;
  revision: number;
  components: Record<string, E>;
}

/**
 * Parses the JSON and checks the common shape (`why` → the caller's "corrupt" error); the caller
 * checks each component entry.
 */
export function parseComponentState<E>(
  text: string,
  version: number,
  corrupt: (why: string) => Error,
  options: { secret?: boolean } = {},
): ComponentStateShape<E> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // The engine's message quotes the text around the fault: for a file of secrets, the position only.
    const position = /position (\d+)/.exec(describeError(err))?.[1];
    const why = options.secret
      ? `a JSON syntax error${position ? ` at character ${position}` : ''}`
      : describeError(err);
    throw corrupt(`expected JSON, found ${why}`);
  }
  const state = value as Partial<ComponentStateShape<E>>;
  if (!state || typeof state !== 'object' || Array.isArray(state)) throw corrupt('expected an object');
  if (state.version !== version) {
    throw corrupt(`expected "version": ${version}, found ${JSON.stringify(state.version)}`);
  }
  if (!Number.isInteger(state.revision) || (state.revision ?? -1) < 0) {
    throw corrupt(`expected a "revision" count, found ${JSON.stringify(state.revision)}`);
  }
  if (!state.components || typeof state.components !== 'object' || Array.isArray(state.components)) {
    throw corrupt('expected "components" to be an object');
  }
  return state as ComponentStateShape<E>;
}
