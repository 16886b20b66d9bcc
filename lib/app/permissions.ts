/**
 * Grants as a running process sees them: stored grants bound to a component's identity (repository
 * plus signer), grants given on the command line, and answers humans give while it runs. Every
 * decision a human makes, and every denial nobody could ask about, is written to the audit log.
 */
import path from 'node:path';
import { describeError, createLogger } from '../core/index.js';
import {
  type Answer,
  type Approver,
  type BrokerDecision,
  type Capability,
  type ComponentGrants,
  type Grant,
  type GrantFile,
  GrantStore,
  type Limits,
  PermissionBroker,
  type PermissionRequest,
  SettingsStore,
  allowsAccess,
  approvalsApprover,
  decide,
  entryFor,
  formatCapability,
  newPermissionRequest,
  parseCapability,
  putGrant,
} from '../grants/index.js';
import { parseReference } from '../oci/index.js';
import { appendAudit } from '../store/index.js';
import type { WtoolsContext } from './context.js';
import type { StoredTrust } from './trust-record.js';
import { isComponentFile } from './component-input.js';

const log = createLogger('grants');

export function grantStoreFile(context: WtoolsContext): string {
  return path.join(context.paths.config, 'grants.json');
}

export function approvalsSocketPath(context: WtoolsContext): string {
  return path.join(context.paths.data, 'approvals.sock');
}

export function openGrantStore(context: WtoolsContext): GrantStore {
  return new GrantStore(grantStoreFile(context));
}

/** The secrets and configuration set per component (wtools secret, wtools config). */
export function openSettingsStore(context: WtoolsContext): SettingsStore {
  return new SettingsStore(path.join(context.paths.config, 'secrets.json'));
}

/**
 * What grants are stored against, from a load's origin (an absolute file path or a pinned
 * reference): `REGISTRY/REPOSITORY` for a pulled component (any tag or digest of it),
 * `oci:PATH` for a layout, `file:/abs/path` for a local file.
 */
export function identityOf(origin: string): string {
  if (path.isAbsolute(origin)) return `file:${origin}`;
  const ref = parseReference(origin);
  return ref.kind === 'layout' ? `oci:${path.resolve(ref.path)}` : `${ref.registry}/${ref.repository}`;
}

/** The identity of what a human typed: a file exactly when loading it would read a file. */
export async function identityOfInput(input: string): Promise<string> {
  if (input.startsWith('file:')) return input;
  return identityOf((await isComponentFile(input)) ? path.resolve(input) : input);
}

/** A stable label for who signed: what grants are bound to. */
export function signerLabel(trust: StoredTrust | undefined): string {
  const signer = trust?.signer;
  if (!signer) return 'unsigned';
  if (signer.method === 'keyless') return `keyless:${signer.issuer ?? '?'}|${signer.identity ?? '?'}`;
  return `key:${signer.keyName ?? '?'}`;
}

/** Stored grants as the runtime's model; a store entry suspended by a signer change yields none. */
export function storedGrants(entry: ComponentGrants | undefined, signer: string): Grant[] {
  if (!entry || (entry.signer !== undefined && entry.signer !== signer)) return [];
  return entry.grants.map((g) => ({ capability: parseCapability(g.capability, '/'), effect: g.effect }));
}

/** What `open` needs of a component being loaded (a ComponentSource has it). */
export interface LoadingComponent {
  name: string;
  origin: string;
  digest: string;
  trust?: StoredTrust;
}

export interface PermissionsOptions {
  /** The terminal of this process, when it has one and prompts are on; asked first. */
  terminal?: Approver;
  promptTimeoutMs?: number;
}

/** One per process that runs components: the store, the broker, and the answers given for this session. */
export class PermissionCenter {
  readonly store: GrantStore;
  readonly broker: PermissionBroker;

  constructor(
    readonly context: WtoolsContext,
    options: PermissionsOptions,
  ) {
    this.store = openGrantStore(context);
    // The order of the issue: this terminal, then a `wtools approvals` process; elicitation comes
    // per call (it belongs to the client whose call caused the access).
    const approvers = [
      ...(options.terminal ? [options.terminal] : []),
      approvalsApprover(approvalsSocketPath(context)),
    ];
    this.broker = new PermissionBroker(approvers, {
      ...(options.promptTimeoutMs !== undefined ? { timeoutMs: options.promptTimeoutMs } : {}),
    });
  }

  /**
   * The permissions of a component about to load. Binds an unbound store entry to this signer; a
   * different signer than the bound one suspends the stored grants (audited) until a human confirms.
   */
  async open(source: LoadingComponent, extraGrants: readonly Grant[]): Promise<ComponentPermissions> {
    const identity = identityOf(source.origin);
    const signer = signerLabel(source.trust);
    let state: GrantFile = await this.store.read();
    const entry = state.components[identity];
    // Secrets are bound to a signer as grants are: a component with secrets but no grants gets an
    // entry now, so that another signer's build of it later is suspended and gets none of them.
    const unbound = entry === undefined ? await this.#hasSettings(identity) : entry.signer === undefined;
    if (unbound) {
      state = await this.store.update((s) => {
        const e = entryFor(s, identity);
        if (e.signer !== undefined) return false;
        e.signer = signer;
      });
      await this.audit('signer-bound', identity, source.digest, { signer });
    } else if (entry?.signer !== undefined && entry.signer !== signer) {
      if (entry.pendingSigner?.signer !== signer) {
        state = await this.store.update((s) => {
          entryFor(s, identity).pendingSigner = {
            signer,
            digest: source.digest,
            seen: new Date().toISOString(),
          };
        });
        await this.audit('signer-changed', identity, source.digest, { from: entry.signer, to: signer });
      }
      log.warn(
        `${identity} is now signed by ${signer}, not ${entry.signer}: its ${entry.grants.length} stored ` +
          `grant(s) are suspended until you confirm the new signer with \`wtools grant ${identity.replace(/^file:/, '')} --confirm-signer\``,
      );
    }
    return new ComponentPermissions(this, {
      name: source.name,
      identity,
      signer,
      digest: source.digest,
      extraGrants,
      entry: state.components[identity],
    });
  }

  async #hasSettings(identity: string): Promise<boolean> {
    const settings = await openSettingsStore(this.context).settingsOf(identity);
    return Object.keys(settings.secrets).length + Object.keys(settings.config).length > 0;
  }

  audit(event: string, subject: string, digest: string, detail: Record<string, unknown>): Promise<void> {
    return appendAudit(this.context.paths, { event, subject, digest, detail });
  }
}

interface ComponentFacts {
  name: string;
  identity: string;
  signer: string;
  digest: string;
  extraGrants: readonly Grant[];
  entry: ComponentGrants | undefined;
}

export class ComponentPermissions {
  readonly name: string;
  readonly identity: string;
  readonly signer: string;
  readonly digest: string;
  /** The signer the stored grants belong to, when one is bound. */
  readonly boundSigner: string | undefined;
  /** True when the stored grants and secrets belong to another signer. */
  readonly suspended: boolean;
  readonly #center: PermissionCenter;
  readonly #extra: readonly Grant[];
  readonly #session: Grant[] = [];
  #stored: Grant[];
  readonly #limits: Partial<Limits>;

  constructor(center: PermissionCenter, facts: ComponentFacts) {
    this.#center = center;
    this.name = facts.name;
    this.identity = facts.identity;
    this.signer = facts.signer;
    this.digest = facts.digest;
    this.#extra = facts.extraGrants;
    this.#stored = storedGrants(facts.entry, facts.signer);
    this.boundSigner = facts.entry?.signer;
    // Another signer than the one the stored grants (and secrets) belong to.
    this.suspended = facts.entry?.signer !== undefined && facts.entry.signer !== facts.signer;
    this.#limits = this.suspended ? {} : (facts.entry?.limits ?? {});
  }

  /** What the component starts with: stored grants (unless suspended), then command-line ones. */
  grants(): Grant[] {
    return [...this.#stored, ...this.#extra, ...this.#session];
  }

  /** Limits set with `wtools grant X memory:… timeout:…`; command-line flags override them. */
  limits(): Partial<Limits> {
    return this.#limits;
  }

  /**
   * Decides an access no load-time grant settled. A grant stored since load (another terminal ran
   * `wtools grant`) or an earlier answer of this session settles it without asking; otherwise the
   * broker asks a human. Lasting answers go to the store.
   */
  async ask(
    capability: Capability,
    how: { requestedBy: 'guest' | 'model'; reason: string; approvers?: readonly Approver[] },
  ): Promise<BrokerDecision> {
    try {
      const state = await this.#center.store.read();
      this.#stored = storedGrants(state.components[this.identity], this.signer);
    } catch (err) {
      // A store that became unreadable must not turn into "no grants, ask again": deny.
      log.warn(`cannot read the grant store: ${describeError(err)}`);
      return { answer: 'deny', by: 'store-error', message: describeError(err) };
    }
    const settled = decide(this.grants(), capability);
    if (settled === 'allow') return { answer: 'session', by: 'grant' };
    if (settled === 'deny') return { answer: 'never', by: 'grant' };

    const request: PermissionRequest = newPermissionRequest({
      component: { name: this.name, identity: this.identity, signer: this.signer, digest: this.digest },
      capability,
      reason: how.reason,
      requestedBy: how.requestedBy,
    });
    const decision = await this.#center.broker.ask(request, how.approvers ?? []);
    await this.#record(request, decision);
    return decision;
  }

  async #record(request: PermissionRequest, decision: BrokerDecision): Promise<void> {
    const text = formatCapability(request.capability);
    const { answer, by } = decision;
    const asked = by !== 'no-approver' && by !== 'timeout';
    if (decision.message) log.warn(`${this.name}: ${text} denied: ${decision.message}`);
    await this.#center.audit(
      asked ? 'permission-answered' : 'permission-denied',
      this.identity,
      this.digest,
      {
        capability: text,
        answer,
        by,
        requestedBy: request.requestedBy,
        reason: request.reason,
        signer: this.signer,
      },
    );
    if (answer === 'session') this.#session.push({ capability: request.capability, effect: 'allow' });
    if (answer === 'always' || answer === 'never') {
      await this.remember(request.capability, answer, by, request.reason);
    }
  }

  /**
   * Stores an "always" or "never" answer; false (nothing stored, nothing audited) when the stored
   * grants belong to another signer: a decision about this signer's build must not mix with them.
   */
  async remember(
    capability: Capability,
    answer: Extract<Answer, 'always' | 'never'>,
    by: string,
    reason?: string,
  ): Promise<boolean> {
    const grant = { capability, effect: allowsAccess(answer) ? 'allow' : 'deny' } as const;
    let written = false;
    await this.#center.store.update((state) => {
      const entry = entryFor(state, this.identity);
      if (entry.signer !== undefined && entry.signer !== this.signer) return false;
      entry.signer ??= this.signer;
      written = true;
      putGrant(entry, {
        capability: formatCapability(capability),
        effect: grant.effect,
        scope: 'always',
        by,
        at: new Date().toISOString(),
        ...(reason ? { reason } : {}),
      });
    });
    if (!written) return false;
    this.#stored = [
      ...this.#stored.filter((g) => formatCapability(g.capability) !== formatCapability(capability)),
      grant,
    ];
    await this.#center.audit(answer === 'always' ? 'granted' : 'denied-always', this.identity, this.digest, {
      changes: [formatCapability(capability)],
      by,
      signer: this.signer,
    });
    return true;
  }
}
