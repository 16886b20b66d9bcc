/**
 * The wtools:mcp host interfaces (wit/mcp): a guest's log messages, progress reports, sampling
 * requests and questions to the user, passed to the MCP client of the call that is running. Values
 * are in jco's shapes (records camelCase, variants `{tag, val}`); lib/mcp turns them into MCP.
 *
 * Log and progress are notifications: the worker posts them and goes on, and they reach the host
 * before the call's result because both travel on the same port. Sampling and elicitation wait for
 * an answer: they are blocking host calls, each behind a grant (`mcp:sampling`, `mcp:elicit`).
 */
import type { Capability, McpFeature } from '../grants/capability.js';

export type GuestLogLevel =
  'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

export interface SamplingRequest {
  messages: { role: 'user' | 'assistant'; text: string }[];
  systemPrompt?: string;
  maxTokens: number;
  temperature?: number;
  modelHint?: string;
}

export interface SamplingResponse {
  text: string;
  model: string;
  stopReason?: string;
}

export interface NumberBounds {
  minimum?: number;
  maximum?: number;
}

export type ElicitFieldKind =
  | { tag: 'text' }
  | { tag: 'number' | 'integer'; val: NumberBounds }
  | { tag: 'boolean' }
  | { tag: 'choice'; val: string[] };

export interface ElicitField {
  name: string;
  title?: string;
  description?: string;
  required: boolean;
  kind: ElicitFieldKind;
}

export interface ElicitRequest {
  message: string;
  fields: ElicitField[];
}

export type ElicitValue =
  { tag: 'text'; val: string } | { tag: 'number'; val: number } | { tag: 'boolean'; val: boolean };

export type ElicitOutcome =
  { tag: 'accept'; val: [string, ElicitValue][] } | { tag: 'decline' } | { tag: 'cancel' };

/** The `err` cases of sampling's and elicitation's results. */
export type McpFeatureError =
  { tag: 'not-granted' } | { tag: 'not-supported' } | { tag: 'failed'; val: string };

/**
 * The MCP client of one call, as a guest may use it. Sampling and elicitation are absent when the
 * client did not declare them; a failure rejects with an Error whose message is the reason.
 */
export interface GuestMcpClient {
  log(level: GuestLogLevel, message: string): void;
  progress(progress: number, total: number | undefined, message: string | undefined): void;
  sample?(request: SamplingRequest, signal: AbortSignal): Promise<SamplingResponse>;
  elicit?(request: ElicitRequest, signal: AbortSignal): Promise<ElicitOutcome>;
}

/** What the worker posts for a log message or a progress report. */
export type McpNotice =
  | { kind: 'log'; level: GuestLogLevel; message: string }
  | { kind: 'progress'; progress: number; total?: number; message?: string };

export type McpHostRequest =
  { feature: 'sampling'; request: SamplingRequest } | { feature: 'elicit'; request: ElicitRequest };

export type McpHostReply = { ok: true; value: unknown } | { ok: false; error: McpFeatureError };

/** A call may send this many log messages and progress reports together; the rest are dropped. */
export const MAX_NOTICES_PER_CALL = 1000;
/** A log or progress message longer than this is cut (and says so). */
export const MAX_NOTICE_CHARS = 64 * 1024;

export function capabilityOf(feature: McpFeature): Capability {
  return { kind: 'mcp', feature };
}

function cut(text: string): string {
  return text.length > MAX_NOTICE_CHARS ? `${text.slice(0, MAX_NOTICE_CHARS)}… (cut)` : text;
}

export interface GuestMcpImportOptions {
  /** Posts a notice to the host thread (the worker counts them per call). */
  notify(notice: McpNotice): void;
  /** Grants first, then a human: the same check as every other capability. */
  allows(want: Capability): boolean;
  /** The blocking call to the host thread. */
  request(request: McpHostRequest): McpHostReply;
  /** How the err case of a WIT result is thrown to jco's glue. */
  fail(payload: unknown): never;
}

/** The import object of the wtools:mcp interfaces, as jco's glue looks them up. */
export function guestMcpImports(options: GuestMcpImportOptions): Record<string, Record<string, unknown>> {
  const ask = (request: McpHostRequest): unknown => {
    if (!options.allows(capabilityOf(request.feature))) options.fail({ tag: 'not-granted' });
    const reply = options.request(request);
    if (!reply.ok) options.fail(reply.error);
    return reply.value;
  };
  return {
    // Types only: nothing to provide, but the glue may look the interface up.
    'wtools:mcp/content': {},
    'wtools:mcp/log': {
      log: (level: GuestLogLevel, message: string) =>
        options.notify({ kind: 'log', level, message: cut(String(message)) }),
    },
    'wtools:mcp/progress': {
      report: (progress: number, total?: number, message?: string) =>
        options.notify({
          kind: 'progress',
          progress,
          ...(total === undefined ? {} : { total }),
          ...(message === undefined ? {} : { message: cut(String(message)) }),
        }),
    },
    'wtools:mcp/sampling': {
      createMessage: (request: SamplingRequest) => ask({ feature: 'sampling', request }),
    },
    'wtools:mcp/elicit': {
      ask: (message: string, fields: ElicitField[]) =>
        ask({ feature: 'elicit', request: { message, fields } }),
    },
  };
}
