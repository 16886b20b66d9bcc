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
import { GrantError, StateFile, describeError, parseComponentState } from '../core/index.js';
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

/** The grant store's file: read and updated as a StateFile (see there for the guarantees). */
export class GrantStore extends StateFile<GrantFile> {
  constructor(file: string) {
    super(file, {
      what: 'the grant store',
      empty: emptyGrantFile,
      parse: parseGrantFile,
      error: (code, message, cause) =>
        new GrantError(code === 'CONFLICT' ? 'GRANTS_CONFLICT' : 'IO', message, cause ? { cause } : {}),
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
  const state = parseComponentState<GrantFile['components'][string]>(text, GRANT_STORE_VERSION, (why) =>
    corrupt(file, why),
  );
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
