/**
 * The permission broker: when nothing granted or refused what a component reaches for, a human
 * decides. It asks through the first channel the human is actually at, in this order: the terminal
 * of `wtools serve`, a `wtools approvals` process, MCP elicitation to the client's user, and otherwise
 * it denies at once with a message that says how to grant. No answer in time is a denial.
 *
 * The model never decides: a request made through the `request-permission` tool goes through the same
 * channels, and nothing a tool argument says can stand in for an answer.
 */
import { randomUUID } from 'node:crypto';
import type { Capability } from './capability.js';
import { formatCapability } from './capability.js';

/** once/session/always allow; deny refuses this access; never refuses it for good. */
export type Answer = 'once' | 'session' | 'always' | 'deny' | 'never';

export const ANSWERS: readonly Answer[] = ['once', 'session', 'always', 'deny', 'never'];

export function allowsAccess(answer: Answer): boolean {
  return answer === 'once' || answer === 'session' || answer === 'always';
}

export interface PermissionRequest {
  id: string;
  component: {
    name: string;
    /** Repository (or file) plus signer: what grants are stored against. */
    identity: string;
    signer: string;
    digest: string;
  };
  capability: Capability;
  /** Why: the guest's own access ("requested at run time") or the model's stated reason. */
  reason: string;
  /** `guest` when the component reached for it, `model` when the agent asked through a tool. */
  requestedBy: 'guest' | 'model';
  /** The answers that mean something for this capability (see answersFor); channels offer only these. */
  answers: readonly Answer[];
  time: string;
}

/**
 * A directory or an environment key is given to an instance when it starts, and stays for the
 * instance's life: "once" cannot be kept for those, so it is not offered. Every other capability is
 * checked at each access and can be allowed for exactly one.
 */
export function answersFor(capability: Capability): readonly Answer[] {
  return capability.kind === 'fs' || capability.kind === 'env'
    ? ANSWERS.filter((a) => a !== 'once')
    : ANSWERS;
}

/** A channel to a human. `available` is checked at the moment of asking, in the broker's order. */
export interface Approver {
  readonly name: string;
  available(): boolean;
  /** The human's answer, or undefined when the channel could not ask after all (it was closed). */
  ask(request: PermissionRequest, signal: AbortSignal): Promise<Answer | undefined>;
}

export interface BrokerDecision {
  answer: Answer;
  /** The approver that answered, `timeout` or `no-approver`. */
  by: string;
  /** For a denial nobody chose: what the human can do to allow it. */
  message?: string;
}

export const DEFAULT_PROMPT_TIMEOUT_MS = 60_000;

export function newPermissionRequest(
  fields: Omit<PermissionRequest, 'id' | 'time' | 'answers'>,
): PermissionRequest {
  return {
    ...fields,
    answers: answersFor(fields.capability),
    id: randomUUID(),
    time: new Date().toISOString(),
  };
}

/** What to tell a model or a log when nobody could be asked. */
export function howToGrant(request: PermissionRequest): string {
  const capability = formatCapability(request.capability);
  return (
    `no human could be asked to allow ${capability} for ${request.component.name}: grant it with ` +
    `\`wtools grant ${request.component.identity.replace(/^file:/, '')} ${capability}\`, or run ` +
    '`wtools approvals` in another terminal to answer such requests as they come'
  );
}

export class PermissionBroker {
  readonly #approvers: Approver[];
  readonly #timeoutMs: number;

  constructor(approvers: readonly Approver[], options: { timeoutMs?: number } = {}) {
    this.#approvers = [...approvers];
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS;
  }

  /**
   * Asks the first available approver; a per-call approver (elicitation to the client whose call
   * caused the access) takes its place in the order after the standing ones.
   */
  async ask(request: PermissionRequest, extra: readonly Approver[] = []): Promise<BrokerDecision> {
    for (const approver of [...this.#approvers, ...extra]) {
      if (!approver.available()) continue;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
      try {
        const answer = await Promise.race([
          approver.ask(request, controller.signal),
          new Promise<'timeout'>((resolve) =>
            controller.signal.addEventListener('abort', () => resolve('timeout'), { once: true }),
          ),
        ]);
        // Only the deadline aborts before the finally below; a channel may give up (undefined) on it.
        if (answer === 'timeout' || controller.signal.aborted) {
          return {
            answer: 'deny',
            by: 'timeout',
            message: `nobody answered within ${Math.round(this.#timeoutMs / 1000)} s, so it was denied`,
          };
        }
        if (answer !== undefined && !request.answers.includes(answer)) {
          // A channel that offered more than the request allows (an older client of the socket):
          // keeping an answer the runtime cannot honour would be a lie, so it is a denial.
          return {
            answer: 'deny',
            by: approver.name,
            message: `"${answer}" cannot be kept for ${formatCapability(request.capability)}; expected one of ${request.answers.join(', ')}`,
          };
        }
        if (answer !== undefined) return { answer, by: approver.name };
      } catch {
        // A channel that failed mid-question counts as unavailable: try the next one.
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
    }
    return { answer: 'deny', by: 'no-approver', message: howToGrant(request) };
  }
}
