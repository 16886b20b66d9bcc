/**
 * The questions asked when a component arrives (`wtools pull`, `wtools serve` loading it), for a
 * human at the terminal: keep the stored grants for a new signer? grant any of what it will ask
 * for, before it runs? The offer shows the signer, what its WIT imports let it reach for, and what
 * its publisher's policy layer asks for; every choice starts unticked, and nothing is granted
 * without one.
 */
import { type Capability, type Grant, decide, formatCapability, parseCapability } from '../grants/index.js';
import { type ComponentSource, sourceOfPull } from './call.js';
import type { WtoolsContext } from './context.js';
import { declaredRequests } from './declared-policy.js';
import { confirmSigner } from './grant-commands.js';
import { type InspectResult, inspectSource } from './inspect.js';
import type { PullResult } from './pull.js';
import type { ComponentPermissions, PermissionCenter } from './permissions.js';

/** What a human at the terminal is asked when a component loads. */
export interface LoadPrompts {
  /** The stored grants belong to another signer: accept the new one (and keep the grants)? */
  confirmSigner(facts: { component: string; identity: string; from: string; to: string }): Promise<boolean>;
  /** Pick grants to give before it runs, from what its imports and its publisher ask for. */
  preGrant(offer: PreGrantOffer): Promise<Capability[]>;
}

export interface PreGrantOffer {
  component: string;
  identity: string;
  signer: string;
  /** What its WIT imports let it ask for, in words. */
  asks: string[];
  /** What its artifact's policy layer asks for, as grant strings (limits too); or why it is unreadable. */
  declared?: { asks: string[]; problem?: string };
  suggestions: { capability: Capability; why: string }[];
}

/**
 * Grants worth offering: the current directory for a component that imports the filesystem
 * (read-only, or read-write), sampling and elicitation for one that imports them, and whatever its
 * publisher's policy asks for. Network and environment
 * are otherwise asked for when used: no sensible default host or key exists to offer.
 */
export function preGrantOffer(
  inspection: InspectResult,
  permissions: ComponentPermissions,
  cwd: string,
): PreGrantOffer {
  const suggestions: PreGrantOffer['suggestions'] = [];
  const offer = (capability: Capability, why: string) => {
    const text = formatCapability(capability);
    if (decide(permissions.grants(), capability) !== 'ask') return;
    if (suggestions.some((s) => formatCapability(s.capability) === text)) return;
    suggestions.push({ capability, why });
  };
  if (inspection.asks.some((a) => a.interface.startsWith('wasi:filesystem/'))) {
    offer({ kind: 'fs', path: cwd, access: 'ro' }, 'read the current directory');
    offer({ kind: 'fs', path: cwd, access: 'rw' }, 'read and write it');
  }
  // The MCP features name exactly one capability each: worth offering as they are.
  if (inspection.asks.some((a) => a.interface.startsWith('wtools:mcp/sampling'))) {
    offer({ kind: 'mcp', feature: 'sampling' }, 'ask your MCP client’s model for completions');
  }
  if (inspection.asks.some((a) => a.interface.startsWith('wtools:mcp/elicit'))) {
    offer({ kind: 'mcp', feature: 'elicit' }, 'ask you questions through your MCP client');
  }
  const declared = inspection.declaredPolicy;
  for (const text of declared?.asks ?? []) {
    offer(parseCapability(text, cwd), 'its publisher’s policy asks for it');
  }
  return {
    component: permissions.name,
    identity: permissions.identity,
    signer: permissions.signer,
    asks: [...new Set(inspection.asks.map((a) => a.capability))],
    ...(declared
      ? {
          declared: {
            asks: declaredRequests(declared),
            ...(declared.problem ? { problem: declared.problem } : {}),
          },
        }
      : {}),
    suggestions,
  };
}

export interface ArrivingComponent {
  source: ComponentSource;
  inspection: InspectResult;
  permissions: ComponentPermissions;
  /** Grants given for this run (command line): they settle what they cover. */
  given: readonly Grant[];
  center: PermissionCenter;
}

/**
 * Asks the load-time questions. Returns the permissions to run with (opened again when the human
 * accepted a new signer) and the grants the human ticked, which are stored as "always".
 */
export async function askAtLoad(
  context: WtoolsContext,
  arriving: ArrivingComponent,
  prompts: LoadPrompts,
): Promise<{ permissions: ComponentPermissions; granted: Capability[] }> {
  const { source, inspection, given, center } = arriving;
  let permissions = arriving.permissions;
  if (
    permissions.suspended &&
    (await prompts.confirmSigner({
      component: source.name,
      identity: permissions.identity,
      from: permissions.boundSigner ?? 'unknown',
      to: permissions.signer,
    }))
  ) {
    await confirmSigner(context, source.origin);
    permissions = await center.open(source, given);
  }
  const granted: Capability[] = [];
  // While the stored grants belong to another signer (the human declined the new one), nothing
  // chosen here could be stored: no offer.
  if (permissions.suspended) return { permissions, granted };
  const offer = preGrantOffer(inspection, permissions, process.cwd());
  if (offer.suggestions.length > 0) {
    for (const capability of await prompts.preGrant(offer)) {
      if (await permissions.remember(capability, 'always', 'prompt', 'chosen at load'))
        granted.push(capability);
    }
  }
  return { permissions, granted };
}

/**
 * The same questions right after `wtools pull`, for a component that is stored but not started:
 * the grants chosen are stored, and apply wherever it runs next.
 */
export async function askAfterPull(
  context: WtoolsContext,
  pulled: PullResult,
  center: PermissionCenter,
  prompts: LoadPrompts,
): Promise<Capability[]> {
  const source = await sourceOfPull(context, pulled);
  const inspection = inspectSource(source);
  const permissions = await center.open(source, []);
  const arriving = { source, inspection, permissions, given: [], center };
  return (await askAtLoad(context, arriving, prompts)).granted;
}
