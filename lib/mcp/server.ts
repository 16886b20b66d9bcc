/**
 * One MCP server session over a ToolProvider: tools/list, tools/call (cancellation, progress, log
 * messages), logging/setLevel and tools/list_changed. Transport-agnostic: stdio.ts and http.ts
 * connect it; tests connect it to an InMemoryTransport.
 *
 * Tools are raw JSON Schema, so this uses the SDK's low-level `Server` (McpServer expects zod).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  SetLevelRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult, LoggingLevel, RequestId, Tool } from '@modelcontextprotocol/sdk/types.js';
import { createLogger, describeError, isWtoolsError } from '../core/index.js';
import { TOOL_NAME } from './tool-names.js';
import type {
  ElicitAnswer,
  ElicitForm,
  SampleAnswer,
  SampleRequest,
  ToolCallContext,
  ToolDef,
  ToolLogLevel,
  ToolProvider,
  ToolResult,
} from './provider.js';

const log = createLogger('mcp');

export interface ServerInfo {
  name: string;
  version: string;
  /** Shown to the model by clients that support it. */
  instructions?: string;
  title?: string;
}

export interface McpServerOptions {
  /**
   * Announce `tools.listChanged` and forward provider.onToolsChanged as notifications/tools/list_changed
   * (default true). Stateless HTTP turns it off: a per-request server has nowhere to send it.
   */
  toolsListChanged?: boolean;
  /**
   * The least time between a call's last progress notification and its result, in ms (default 50).
   * SDK clients handle a notification a microtask after reading it but a response at once, and drop
   * progress for a request that has completed: when both arrive in one read, the progress is lost.
   */
  progressSettleMs?: number;
  /**
   * The session of every request when the transport names none: over stdio one client is one
   * session (resource handles and per-session instances need a name for it).
   */
  sessionId?: string;
  /** Called when a tools/call request is cancelled by the client (http.ts releases its SSE stream). */
  onCallCancelled?: (requestId: RequestId) => void;
}

/** RFC 5424 severities in the order MCP uses, lowest first. */
const SEVERITY: Record<LoggingLevel, number> = {
  debug: 0,
  info: 1,
  notice: 2,
  warning: 3,
  error: 4,
  critical: 5,
  alert: 6,
  emergency: 7,
};

/** Why clients would reject a tool (MCP 2025-11-25), or undefined. */
function problemWith(tool: ToolDef): string | undefined {
  if (!TOOL_NAME.test(tool.name)) return `its name does not match ${TOOL_NAME.source}`;
  if (tool.inputSchema['type'] !== 'object') return 'its inputSchema is not type "object"';
  if (tool.outputSchema !== undefined && tool.outputSchema['type'] !== 'object') {
    return 'its outputSchema is not type "object"';
  }
  return undefined;
}

/** Tools that clients would reject (bad name, non-object schema) are left out of the list, with a warning. */
function usableTools(tools: readonly ToolDef[]): Tool[] {
  const out: Tool[] = [];
  const seen = new Set<string>();
  for (const tool of tools) {
    const problem = problemWith(tool) ?? (seen.has(tool.name) ? 'another tool has the same name' : undefined);
    if (problem !== undefined) {
      log.warn(`tool ${JSON.stringify(tool.name)} is not listed: ${problem}`);
      continue;
    }
    seen.add(tool.name);
    out.push({
      name: tool.name,
      ...(tool.title !== undefined && { title: tool.title }),
      ...(tool.description !== undefined && { description: tool.description }),
      inputSchema: tool.inputSchema as Tool['inputSchema'],
      ...(tool.outputSchema !== undefined && { outputSchema: tool.outputSchema as Tool['outputSchema'] }),
      ...(tool.annotations !== undefined && { annotations: tool.annotations }),
    });
  }
  return out;
}

function errorResult(err: unknown): ToolResult {
  const message = isWtoolsError(err) ? `${err.code}: ${err.message}` : describeError(err);
  return { content: [{ type: 'text', text: message }], isError: true };
}

const DEFAULT_PROGRESS_SETTLE_MS = 50;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A Server for one MCP session (connect it to exactly one transport). Its subscription to
 * provider.onToolsChanged starts when the client has initialized and ends when the server closes.
 */
export function createMcpServer(
  provider: ToolProvider,
  info: ServerInfo,
  options: McpServerOptions = {},
): Server {
  const listChanged = options.toolsListChanged ?? true;
  const settleMs = options.progressSettleMs ?? DEFAULT_PROGRESS_SETTLE_MS;
  const server = new Server(
    { name: info.name, version: info.version, ...(info.title !== undefined && { title: info.title }) },
    {
      capabilities: { tools: { listChanged }, logging: {} },
      ...(info.instructions !== undefined && { instructions: info.instructions }),
      // Several onToolsChanged in one tick reach the client as one notification.
      debouncedNotificationMethods: ['notifications/tools/list_changed'],
    },
  );

  // The SDK keeps log levels in a map keyed by session and only applies them to sendLoggingMessage,
  // which is not tied to a request (over HTTP it goes to the GET stream, if the client opened one).
  // Tool logs go with their request, so this server keeps the level itself: one server per session.
  let minLevel: LoggingLevel | undefined;
  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    minLevel = request.params.level;
    return {};
  });

  server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => {
    return { tools: usableTools(provider.listTools(extra.sessionId ?? options.sessionId)) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    const sessionId = extra.sessionId ?? options.sessionId;
    // Callable is what tools/list would list: the first tool of that name, if clients accept it.
    const tool = provider.listTools(sessionId).find((t) => t.name === name);
    if (!tool || problemWith(tool) !== undefined) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${JSON.stringify(name)}`);
    }

    const progressToken = request.params._meta?.progressToken;
    let lastProgress = -Infinity;
    let lastProgressAt: number | undefined;
    const send = (notification: Parameters<typeof extra.sendNotification>[0]) => {
      extra.sendNotification(notification).catch((err: unknown) => {
        log.debug(`could not send ${notification.method}: ${describeError(err)}`);
      });
    };
    const context: ToolCallContext = {
      signal: extra.signal,
      sessionId,
      progress(progress, total, message) {
        if (progressToken === undefined || extra.signal.aborted) return;
        if (!(progress > lastProgress)) return; // progress must increase
        lastProgress = progress;
        lastProgressAt = performance.now();
        send({
          method: 'notifications/progress',
          params: {
            progressToken,
            progress,
            ...(total !== undefined && { total }),
            ...(message !== undefined && { message }),
          },
        });
      },
      ...(server.getClientCapabilities()?.elicitation
        ? {
            elicit: async (form: ElicitForm, signal: AbortSignal): Promise<ElicitAnswer> => {
              const result = await extra.sendRequest(
                {
                  method: 'elicitation/create',
                  params: { message: form.message, requestedSchema: form.requestedSchema },
                },
                ElicitResultSchema,
                { signal, timeout: 24 * 60 * 60 * 1000 }, // the broker's own deadline governs
              );
              return {
                action: result.action,
                ...(result.content ? { content: result.content as Record<string, unknown> } : {}),
              };
            },
          }
        : {}),
      ...(server.getClientCapabilities()?.sampling
        ? {
            sample: async (params: SampleRequest, signal: AbortSignal): Promise<SampleAnswer> => {
              const result = await extra.sendRequest(
                { method: 'sampling/createMessage', params },
                CreateMessageResultSchema,
                // A model (and often a human who approves the prompt) may take a while.
                { signal, timeout: 10 * 60 * 1000 },
              );
              // One block, or (clients that sample with tools) several: the first text block answers.
              const blocks = (
                Array.isArray(result.content) ? result.content : [result.content]
              ) as SampleAnswer['content'][];
              return {
                model: result.model,
                role: result.role,
                content: blocks.find((b) => b.type === 'text') ?? blocks[0] ?? { type: 'none' },
                ...(result.stopReason !== undefined ? { stopReason: result.stopReason } : {}),
              };
            },
          }
        : {}),
      log(level: ToolLogLevel, data, logger) {
        if (extra.signal.aborted) return;
        if (minLevel !== undefined && SEVERITY[level] < SEVERITY[minLevel]) return;
        send({
          method: 'notifications/message',
          params: { level, data, ...(logger !== undefined && { logger }) },
        });
      },
    };

    const onAbort = () => options.onCallCancelled?.(extra.requestId);
    extra.signal.addEventListener('abort', onAbort, { once: true });
    let result: ToolResult;
    try {
      result = await provider.callTool(name, args, context);
    } catch (err) {
      if (!extra.signal.aborted) log.debug(`tool ${name} failed: ${describeError(err)}`);
      result = errorResult(err);
    } finally {
      extra.signal.removeEventListener('abort', onAbort);
    }
    // Keep recent progress out of the read that brings the result (see progressSettleMs).
    if (lastProgressAt !== undefined && !extra.signal.aborted) {
      const wait = lastProgressAt + settleMs - performance.now();
      if (wait > 0) await delay(wait);
    }
    return {
      content: result.content,
      ...(result.structuredContent !== undefined && { structuredContent: result.structuredContent }),
      ...(result.isError !== undefined && { isError: result.isError }),
    };
  });

  if (listChanged) {
    let unsubscribe: (() => void) | undefined;
    const stop = () => {
      unsubscribe?.();
      unsubscribe = undefined;
    };
    server.oninitialized = () => {
      stop();
      unsubscribe = provider.onToolsChanged(() => {
        server.sendToolListChanged().catch((err: unknown) => {
          log.debug(`could not send tools/list_changed: ${describeError(err)}`);
        });
      });
    };
    server.onclose = stop;
  }
  return server;
}
