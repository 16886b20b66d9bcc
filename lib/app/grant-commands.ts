/**
 * `wtools grant`, `revoke`, `grants` and `audit`: a human's standing decisions, made on the command
 * line, stored against a component's identity and written to the audit log.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GrantError, describeError } from '../core/index.js';
import {
  type ComponentGrants,
  type GrantFile,
  type PolicyFormat,
  formatGrantPolicy,
  parseCapability,
  parseGrantPolicy,
  type Limits,
  type StoredGrant,
  entryFor,
  formatCapability,
  formatLimits,
  parseGrantText,
  putGrant,
  removeGrant,
} from '../grants/index.js';
import { type AuditEntry, appendAudit, readAudit } from '../store/index.js';
import type { WtoolsContext } from './context.js';
import { identityOfInput, openGrantStore } from './permissions.js';

export interface GrantChange {
  identity: string;
  /** The capabilities and limits, in their stored form. */
  changed: string[];
  revision: number;
}

function limitTexts(limits: Partial<Limits>): string[] {
  return formatLimits(limits).map(([name, value]) => `${name}:${value}`);
}

/** Stores "always" allows (or, with `deny`, "never" refusals) for a component. */
export async function grant(
  context: WtoolsContext,
  component: string,
  texts: readonly string[],
  options: { deny?: boolean; by?: string; reason?: string } = {},
): Promise<GrantChange> {
  const identity = await identityOfInput(component);
  const parsed = texts.map((text) => parseGrantText(text)); // every one checked before anything is written
  if (parsed.length === 0)
    throw new GrantError('USAGE', `nothing to grant: expected capabilities after ${component}`);
  const changed: string[] = [];
  const at = new Date().toISOString();
  const state = await openGrantStore(context).update((s) => {
    const entry = entryFor(s, identity);
    for (const item of parsed) {
      if ('capability' in item) {
        const capability = formatCapability(item.capability);
        putGrant(entry, {
          capability,
          effect: options.deny ? 'deny' : 'allow',
          scope: 'always',
          by: options.by ?? 'cli',
          at,
          ...(options.reason ? { reason: options.reason } : {}),
        });
        changed.push(capability);
      } else {
        if (options.deny)
          throw new GrantError('USAGE', 'a limit cannot be denied; grant a smaller one instead');
        entry.limits = { ...entry.limits, ...item.limit };
        changed.push(...limitTexts(item.limit));
      }
    }
  });
  await appendAudit(context.paths, {
    event: options.deny ? 'denied-always' : 'granted',
    subject: identity,
    detail: { changes: changed, by: options.by ?? 'cli', revision: state.revision },
  });
  return { identity, changed, revision: state.revision };
}

/** Removes grants naming exactly these capabilities (or limits by kind), or all with `all`. */
export async function revoke(
  context: WtoolsContext,
  component: string,
  texts: readonly string[],
  options: { all?: boolean } = {},
): Promise<GrantChange> {
  const identity = await identityOfInput(component);
  const parsed = texts.map((text) => parseGrantText(text));
  if (!options.all && parsed.length === 0) {
    throw new GrantError('USAGE', `nothing to revoke: expected capabilities after ${component}, or --all`);
  }
  const changed: string[] = [];
  const state = await openGrantStore(context).update((s) => {
    const entry = s.components[identity];
    if (!entry) return false;
    if (options.all) {
      changed.push(...entry.grants.map((g) => g.capability), ...limitTexts(entry.limits ?? {}));
      delete s.components[identity];
      return changed.length > 0;
    }
    for (const item of parsed) {
      if ('capability' in item) {
        if (removeGrant(entry, item.capability) > 0) changed.push(formatCapability(item.capability));
      } else {
        for (const key of Object.keys(item.limit) as (keyof Limits)[]) {
          if (entry.limits?.[key] !== undefined) {
            changed.push(...limitTexts({ [key]: entry.limits[key] }));
            delete entry.limits[key];
          }
        }
      }
    }
    return changed.length > 0;
  });
  if (changed.length === 0) {
    throw new GrantError(
      'NOT_FOUND',
      `${identity} holds no grant ${options.all ? 'at all' : `named ${texts.join(', ')}`}; see \`wtools grants ${component}\``,
    );
  }
  await appendAudit(context.paths, {
    event: 'revoked',
    subject: identity,
    detail: { changes: changed, revision: state.revision },
  });
  return { identity, changed, revision: state.revision };
}

/** Accepts the signer that last loaded in place of the one the grants were bound to. */
export async function confirmSigner(
  context: WtoolsContext,
  component: string,
): Promise<{ identity: string; signer: string }> {
  const identity = await identityOfInput(component);
  let confirmed: { from?: string; to: string } | undefined;
  await openGrantStore(context).update((s) => {
    const entry = s.components[identity];
    if (!entry?.pendingSigner) return false;
    confirmed = { ...(entry.signer ? { from: entry.signer } : {}), to: entry.pendingSigner.signer };
    entry.signer = entry.pendingSigner.signer;
    delete entry.pendingSigner;
  });
  if (!confirmed) {
    throw new GrantError('NOT_FOUND', `${identity} has no new signer waiting for confirmation`);
  }
  await appendAudit(context.paths, { event: 'signer-confirmed', subject: identity, detail: confirmed });
  return { identity, signer: confirmed.to };
}

export interface GrantListing {
  identity: string;
  signer?: string;
  pendingSigner?: string;
  grants: StoredGrant[];
  limits: string[];
}

export async function listGrants(context: WtoolsContext, component?: string): Promise<GrantListing[]> {
  const state: GrantFile = await openGrantStore(context).read();
  const wanted = component === undefined ? undefined : await identityOfInput(component);
  return Object.entries(state.components)
    .filter(([identity]) => wanted === undefined || identity === wanted)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([identity, entry]: [string, ComponentGrants]) => ({
      identity,
      ...(entry.signer ? { signer: entry.signer } : {}),
      ...(entry.pendingSigner ? { pendingSigner: entry.pendingSigner.signer } : {}),
      grants: entry.grants,
      limits: limitTexts(entry.limits ?? {}),
    }));
}

export async function auditLog(
  context: WtoolsContext,
  options: { since?: Date } = {},
): Promise<{ entries: AuditEntry[]; unreadable: number }> {
  return readAudit(context.paths, options);
}

/** `wtools policy import FILE --component X`: every entry becomes a stored grant, made by this human. */
export async function importPolicy(
  context: WtoolsContext,
  file: string,
  component: string,
): Promise<GrantChange & { format: PolicyFormat; skipped: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new GrantError('NOT_FOUND', `cannot read the policy file ${file}: ${describeError(err)}`, {
      cause: err,
    });
  }
  const policy = parseGrantPolicy(text, file, path.dirname(path.resolve(file)));
  const identity = await identityOfInput(component);
  const by = `policy:${path.basename(file)}`;
  const at = new Date().toISOString();
  const changed: string[] = [];
  const state = await openGrantStore(context).update((s) => {
    const entry = entryFor(s, identity);
    for (const [effect, list] of [
      ['allow', policy.allow],
      ['deny', policy.deny],
    ] as const) {
      for (const capability of list) {
        const text = formatCapability(capability);
        putGrant(entry, { capability: text, effect, scope: 'always', by, at });
        changed.push(`${effect === 'deny' ? 'deny ' : ''}${text}`);
      }
    }
    if (Object.keys(policy.limits).length) {
      entry.limits = { ...entry.limits, ...policy.limits };
      changed.push(...limitTexts(policy.limits));
    }
  });
  await appendAudit(context.paths, {
    event: 'policy-imported',
    subject: identity,
    detail: {
      file: path.resolve(file),
      format: policy.format,
      changes: changed,
      skipped: policy.skipped,
      revision: state.revision,
    },
  });
  return { identity, changed, revision: state.revision, format: policy.format, skipped: policy.skipped };
}

/** `wtools policy export X [--format wassette]`: the stored grants of one component as a policy file. */
export async function exportPolicy(
  context: WtoolsContext,
  component: string,
  format: PolicyFormat,
): Promise<{ text: string; skipped: string[] }> {
  const identity = await identityOfInput(component);
  const entry = (await openGrantStore(context).read()).components[identity];
  if (!entry) throw new GrantError('NOT_FOUND', `${identity} holds no grants; see \`wtools grants\``);
  const pick = (effect: 'allow' | 'deny') =>
    entry.grants.filter((g) => g.effect === effect).map((g) => parseCapability(g.capability, '/'));
  return formatGrantPolicy(
    { allow: pick('allow'), deny: pick('deny'), limits: entry.limits ?? {} },
    format,
    `grants of ${identity}, exported by wtools`,
  );
}
