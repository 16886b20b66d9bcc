/**
 * The grant store: what humans allowed or refused, per component identity, in one JSON file.
 *
 * A component's identity is its repository plus its signer. Grants are bound to the signer seen when
 * they were made (or at the first load after that): a new digest from the same signer keeps them; a
 * different signer suspends them until a human confirms it (`wtools grant --confirm-signer`).
 *
 * Only decisions meant to last ("always" and "never") are stored; "once" and "session" answers live in
 * the memory of the process that asked. Every write is atomic (temp file, fsync, rename) under a
 * cross-process lock and re-reads the file inside the lock, so two writers never lose an update; the
 * revision number lets a reader holding an older copy notice that it changed. A file that does not
 * parse is an error that stops everything: never a silent fall back to "no grants" or to defaults.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { GrantError, describeError, withFileLock, writeFileAtomic } from '../core/index.js';
import { type Capability, type Limits, formatCapability, parseCapability } from './capability.js';

export const GRANT_STORE_VERSION = 1;

export interface StoredGrant {
  /** The command-line form (formatCapability), which reads back with parseCapability. */
  capability: string;
  effect: 'allow' | 'deny';
  /** Always "always": once and session answers are never stored (see the broker's Answer). */
  scope: 'always';
  /** Who decided: `cli` (wtools grant), `prompt` (terminal), `approvals`, `elicitation`, `policy:FILE`. */
  by: string;
  at: string;
  reason?: string;
}

export interface ComponentGrants {
  /**
   * The signer the grants belong to (`key:…`, `keyless:issuer|identity`, `unsigned`); absent until
   * the component is first loaded after its first grant.
   */
  signer?: string;
  /** A different signer that loaded since: the grants stay suspended until a human confirms it. */
  pendingSigner?: { signer: string; digest?: string; seen: string };
  grants: StoredGrant[];
  limits?: Partial<Limits>;
}

export interface GrantFile {
  version: typeof GRANT_STORE_VERSION;
  revision: number;
  components: Record<string, ComponentGrants>;
}

const EMPTY: GrantFile = { version: GRANT_STORE_VERSION, revision: 0, components: {} };

export function emptyGrantFile(): GrantFile {
  return structuredClone(EMPTY);
}

export class GrantStore {
  constructor(readonly file: string) {}

  /** The current state; a missing file is the empty store, an unreadable one an error. */
  async read(): Promise<GrantFile> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyGrantFile();
      throw new GrantError('IO', `cannot read the grant store ${this.file}: ${describeError(err)}`, {
        cause: err,
      });
    }
    return parseGrantFile(text, this.file);
  }

  /**
   * Applies `change` to the latest state under the lock and writes the result as the next revision.
   * With `expectRevision`, refuses (GRANTS_CONFLICT) when someone else wrote since that revision was read.
   * `change` may return false to write nothing.
   */
  async update(
    change: (state: GrantFile) => boolean | void,
    options: { expectRevision?: number } = {},
  ): Promise<GrantFile> {
    // The folder first, private: the lock file is created in it.
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    return withFileLock(`${this.file}.lock`, async () => {
      const state = await this.read();
      if (options.expectRevision !== undefined && state.revision !== options.expectRevision) {
        throw new GrantError(
          'GRANTS_CONFLICT',
          `the grant store changed while this change was prepared (expected revision ${options.expectRevision}, found ${state.revision}); read it again and retry`,
        );
      }
      if (change(state) === false) return state;
      state.revision += 1;
      try {
        await writeFileAtomic(this.file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      } catch (err) {
        throw new GrantError('IO', `cannot write the grant store ${this.file}: ${describeError(err)}`, {
          cause: err,
        });
      }
      return state;
    });
  }
}

function corrupt(file: string, why: string): GrantError {
  return new GrantError(
    'GRANTS_CORRUPT',
    `the grant store ${file} is not valid: ${why}. Nothing runs until it is repaired or removed ` +
      `(removing it revokes every grant)`,
  );
}

/** Checks every field, so that a hand-edited or damaged file never grants by accident. */
export function parseGrantFile(text: string, file: string): GrantFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(file, `expected JSON, found ${describeError(err)}`);
  }
  const state = value as Partial<GrantFile>;
  if (!state || typeof state !== 'object' || Array.isArray(state)) throw corrupt(file, 'expected an object');
  if (state.version !== GRANT_STORE_VERSION) {
    throw corrupt(file, `expected "version": ${GRANT_STORE_VERSION}, found ${JSON.stringify(state.version)}`);
  }
  if (!Number.isInteger(state.revision) || (state.revision ?? -1) < 0) {
    throw corrupt(file, `expected a "revision" count, found ${JSON.stringify(state.revision)}`);
  }
  if (!state.components || typeof state.components !== 'object' || Array.isArray(state.components)) {
    throw corrupt(file, 'expected "components" to be an object');
  }
  for (const [identity, entry] of Object.entries(state.components)) {
    const where = `components[${JSON.stringify(identity)}]`;
    if (!entry || typeof entry !== 'object' || !Array.isArray(entry.grants)) {
      throw corrupt(file, `${where} needs a "grants" list`);
    }
    if (entry.signer !== undefined && typeof entry.signer !== 'string') {
      throw corrupt(file, `${where}.signer must be a string`);
    }
    entry.grants.forEach((grant, index) => {
      const at = `${where}.grants[${index}]`;
      if (grant?.effect !== 'allow' && grant?.effect !== 'deny') {
        throw corrupt(file, `${at}.effect must be "allow" or "deny"`);
      }
      if (grant.scope !== 'always') throw corrupt(file, `${at}.scope must be "always" in the store`);
      try {
        parseCapability(grant.capability, '/');
      } catch (err) {
        throw corrupt(file, `${at}.capability: ${describeError(err)}`);
      }
    });
  }
  return state as GrantFile;
}

export function entryFor(state: GrantFile, identity: string): ComponentGrants {
  state.components[identity] ??= { grants: [] };
  return state.components[identity];
}

/** Adds or replaces the grant for the same capability (a later decision overrides an earlier one). */
export function putGrant(entry: ComponentGrants, grant: StoredGrant): void {
  entry.grants = entry.grants.filter((g) => g.capability !== grant.capability);
  entry.grants.push(grant);
}

/** Removes grants naming exactly `capability`; returns how many went. */
export function removeGrant(entry: ComponentGrants, capability: Capability): number {
  const text = formatCapability(capability);
  const before = entry.grants.length;
  entry.grants = entry.grants.filter((g) => g.capability !== text);
  return before - entry.grants.length;
}
