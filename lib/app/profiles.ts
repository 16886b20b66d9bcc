/**
 * Profiles: named tool sets a human keeps and switches between (`wtools serve --profile NAME`, or
 * the `switch-profile` tool). A profile lists components pinned to the digest verified when they
 * were added, each with its tool filters and grants; it never holds secrets, so an exported profile
 * can be shared as it is. Everything a profile names still goes through the trust policy at load.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { GrantError, StateFile, WtoolsError, describeError } from '../core/index.js';
import { type Grant, formatCapability, parseCapability } from '../grants/index.js';
import { parseReference } from '../oci/index.js';
import { appendAudit } from '../store/index.js';
import type { WtoolsContext } from './context.js';
import { type PullOptions, pull } from './pull.js';

export const PROFILE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const PROFILE_FORMAT_KEY = 'wtools-profile';

export interface ProfileComponent {
  /** Pinned: `REGISTRY/REPO@sha256:…` or `oci:DIR@sha256:…`. */
  ref: string;
  /** `--tools` globs for this component; all its tools when absent. */
  tools?: string[];
  /** Grant strings given to this component when the profile is served. */
  grants?: string[];
}

export interface Profile {
  components: ProfileComponent[];
}

interface ProfileFile {
  version: 1;
  revision: number;
  profiles: Record<string, Profile>;
}

function invalid(what: string, why: string): GrantError {
  return new GrantError('POLICY_FILE_INVALID', `${what} is not a valid profile: ${why}`);
}

/** Checks one profile (from the store or from a file a human imports). */
function checkProfile(value: unknown, what: string, dir: string): Profile {
  const profile = value as Partial<Profile> | null;
  if (!profile || typeof profile !== 'object' || !Array.isArray(profile.components)) {
    throw invalid(what, 'expected "components", a list');
  }
  return {
    components: profile.components.map((c: Partial<ProfileComponent>, i) => {
      const at = `components[${i}]`;
      if (typeof c?.ref !== 'string') throw invalid(what, `${at}.ref must be a reference`);
      const ref = parseReference(c.ref);
      if (!ref.digest)
        throw invalid(what, `${at}.ref must be pinned to a digest (…@sha256:…), found ${c.ref}`);
      // A layout path is relative to the file, as grant paths are: stored absolute.
      const pinned =
        ref.kind === 'layout' && !path.isAbsolute(ref.path)
          ? `oci:${path.resolve(dir, ref.path)}@${ref.digest}`
          : c.ref;
      const strings = (list: unknown, key: string) => {
        if (list === undefined) return undefined;
        if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
          throw invalid(what, `${at}.${key} must be a list of strings`);
        }
        return list as string[];
      };
      const tools = strings(c.tools, 'tools');
      const grants = strings(c.grants, 'grants');
      // Stored canonical and absolute: `fs:.` in a shared file means the file's folder, never `/`.
      const canonical = grants?.map((grant) => {
        try {
          return formatCapability(parseCapability(grant, dir));
        } catch (err) {
          throw invalid(what, `${at}.grants: ${describeError(err)}`);
        }
      });
      return { ref: pinned, ...(tools ? { tools } : {}), ...(canonical ? { grants: canonical } : {}) };
    }),
  };
}

function profileStore(context: WtoolsContext): StateFile<ProfileFile> {
  return new StateFile<ProfileFile>(path.join(context.paths.config, 'profiles.json'), {
    what: 'the profile store',
    empty: () => ({ version: 1, revision: 0, profiles: {} }),
    parse: (text, file) => {
      let state: Partial<ProfileFile>;
      try {
        state = JSON.parse(text) as Partial<ProfileFile>;
      } catch (err) {
        throw new GrantError('STORE_CORRUPT', `the profile store ${file} is not JSON: ${describeError(err)}`);
      }
      if (state?.version !== 1 || !Number.isInteger(state.revision) || typeof state.profiles !== 'object') {
        throw new GrantError(
          'STORE_CORRUPT',
          `the profile store ${file} is not valid: expected version 1, a revision and profiles`,
        );
      }
      for (const [name, profile] of Object.entries(state.profiles ?? {}))
        checkProfile(profile, `profile ${name} in ${file}`, '/');
      return state as ProfileFile;
    },
    error: (code, message, cause) =>
      new GrantError(code === 'CONFLICT' ? 'GRANTS_CONFLICT' : 'IO', message, cause ? { cause } : {}),
  });
}

function checkName(name: string): void {
  if (!PROFILE_NAME_PATTERN.test(name)) {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      `expected a profile name of lowercase letters, digits, - and _, found "${name}"`,
    );
  }
}

export async function readProfiles(context: WtoolsContext): Promise<Record<string, Profile>> {
  return (await profileStore(context).read()).profiles;
}

export async function getProfile(context: WtoolsContext, name: string): Promise<Profile> {
  const profiles = await readProfiles(context);
  // Own keys only: "constructor" or "toString" is no profile.
  const profile =
    PROFILE_NAME_PATTERN.test(name) && Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  if (!profile) {
    throw new WtoolsError(
      'NOT_FOUND',
      `no profile named ${name}; the profiles are ${Object.keys(profiles).sort().join(', ') || 'none (wtools profile create NAME)'}`,
    );
  }
  return profile;
}

export async function createProfile(context: WtoolsContext, name: string): Promise<void> {
  checkName(name);
  let existed = false;
  await profileStore(context).update((state) => {
    if (Object.hasOwn(state.profiles, name)) {
      existed = true;
      return false;
    }
    state.profiles[name] = { components: [] };
  });
  if (existed) throw new WtoolsError('INVALID_ARGUMENT', `a profile named ${name} exists already`);
  await appendAudit(context.paths, { event: 'profile-created', subject: name });
}

export async function deleteProfile(context: WtoolsContext, name: string): Promise<boolean> {
  checkName(name);
  let removed = false;
  await profileStore(context).update((state) => {
    if (!Object.hasOwn(state.profiles, name)) return false;
    delete state.profiles[name];
    removed = true;
  });
  if (removed) await appendAudit(context.paths, { event: 'profile-deleted', subject: name });
  return removed;
}

/**
 * Adds a component, pinned to the digest that verifies now (pulled through the trust policy); an
 * entry for the same repository is replaced.
 */
export async function addToProfile(
  context: WtoolsContext,
  name: string,
  input: string,
  options: { tools?: string[]; grants?: string[]; pull?: PullOptions } = {},
): Promise<ProfileComponent> {
  await getProfile(context, name);
  for (const grant of options.grants ?? []) parseCapability(grant);
  const pulled = await pull(context, input, options.pull);
  const entry: ProfileComponent = {
    ref: pulled.pinned,
    ...(options.tools?.length ? { tools: options.tools } : {}),
    ...(options.grants?.length ? { grants: options.grants.map((g) => formatGrant(g)) } : {}),
  };
  const repository = (ref: string) => ref.replace(/@sha256:[0-9a-f]+$/, '');
  await profileStore(context).update((state) => {
    const profile = state.profiles[name]!;
    profile.components = [
      ...profile.components.filter((c) => repository(c.ref) !== repository(entry.ref)),
      entry,
    ];
  });
  await appendAudit(context.paths, {
    event: 'profile-changed',
    subject: name,
    digest: pulled.digest,
    detail: { added: entry.ref, grants: entry.grants ?? [] },
  });
  return entry;
}

/** Grants as stored: canonical, with absolute paths, so the profile means the same from any folder. */
function formatGrant(text: string): string {
  return formatCapability(parseCapability(text));
}

/** What `serve` needs to load a profile: its references, and each one's grants and tool filters. */
export function profileInputs(profile: Profile): {
  inputs: string[];
  perInput: Map<string, { grants: Grant[]; tools?: string[] }>;
} {
  const perInput = new Map<string, { grants: Grant[]; tools?: string[] }>();
  for (const c of profile.components) {
    perInput.set(c.ref, {
      grants: (c.grants ?? []).map((g) => ({
        capability: parseCapability(g, '/'),
        effect: 'allow' as const,
      })),
      ...(c.tools ? { tools: c.tools } : {}),
    });
  }
  return { inputs: profile.components.map((c) => c.ref), perInput };
}

export function profileToYaml(name: string, profile: Profile): string {
  return stringify({ [PROFILE_FORMAT_KEY]: 1, name, components: profile.components });
}

/** Reads an exported profile; stored under `as` or the name in the file. */
export async function importProfile(context: WtoolsContext, file: string, as?: string): Promise<string> {
  let doc: Record<string, unknown>;
  try {
    doc = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw invalid(file, describeError(err));
  }
  if (doc?.[PROFILE_FORMAT_KEY] !== 1) throw invalid(file, `expected "${PROFILE_FORMAT_KEY}: 1" at the top`);
  const name = as ?? (typeof doc.name === 'string' ? doc.name : '');
  checkName(name);
  const profile = checkProfile(doc, file, path.dirname(path.resolve(file)));
  await profileStore(context).update((state) => {
    state.profiles[name] = profile;
  });
  await appendAudit(context.paths, {
    event: 'profile-imported',
    subject: name,
    detail: { from: path.resolve(file) },
  });
  return name;
}
