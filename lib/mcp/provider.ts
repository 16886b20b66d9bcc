/**
 * The seam between the MCP protocol layer and whatever makes tools. The protocol layer (server.ts,
 * stdio.ts, http.ts) knows nothing of components, grants or workers: it lists what a provider lists
 * and forwards calls to it.
 */

/** A tool as MCP clients see it. `inputSchema` and `outputSchema` are JSON Schema 2020-12, `type: object`. */
export interface ToolDef {
  /** Must match `^[A-Za-z0-9._-]{1,128}$`; tools with other names are not listed. */
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown> /* JSON Schema 2020-12, type object */;
  /** When present, every successful result must carry `structuredContent` matching it. */
  outputSchema?: Record<string, unknown>;
  annotations?: {
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    idempotentHint?: boolean;
    openWorldHint?: boolean;
    title?: string;
  };
}

/** One block of a tool result's content, as MCP sends it (binary data base64 encoded). */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image' | 'audio'; data: string; mimeType: string }
  | {
      type: 'resource';
      resource: { uri: string; mimeType?: string } & ({ text: string } | { blob: string });
    }
  | { type: 'resource_link'; uri: string; name: string; description?: string; mimeType?: string };

export interface ToolResult {
  content: ContentBlock[];
  /** An object (wrap scalars); required when the tool declares an outputSchema and isError is not set. */
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** MCP log levels (RFC 5424 severities, lowest first). */
export type ToolLogLevel =
  'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

export interface ToolCallContext {
  /** Aborted when the client cancels the request, the session ends or the server closes. */
  signal: AbortSignal;
  /** The MCP session (Streamable HTTP, stateful); undefined over stdio and in stateless HTTP mode. */
  sessionId: string | undefined;
  /**
   * Reports progress when the client asked for it (a progressToken); otherwise does nothing. Values
   * must increase: a value not above the previous one is dropped.
   */
  progress(progress: number, total?: number, message?: string): void;
  /** Sends a log message to the client, honouring the level the client set with logging/setLevel. */
  log(level: ToolLogLevel, data: unknown, logger?: string): void;
  /**
   * Asks the client's user a flat form (MCP elicitation), tied to this call; present only when the
   * client declared the elicitation capability.
   */
  elicit?(request: ElicitForm, signal: AbortSignal): Promise<ElicitAnswer>;
  /**
   * Asks the client's model for a completion (MCP sampling/createMessage), tied to this call;
   * present only when the client declared the sampling capability.
   */
  sample?(request: SampleRequest, signal: AbortSignal): Promise<SampleAnswer>;
}

/** The parameters of sampling/createMessage, text messages only. */
export interface SampleRequest {
  messages: { role: 'user' | 'assistant'; content: { type: 'text'; text: string } }[];
  systemPrompt?: string;
  maxTokens: number;
  temperature?: number;
  modelPreferences?: { hints: { name: string }[] };
}

/** What the client's model answered: its content block as MCP has it, and the model's name. */
export interface SampleAnswer {
  model: string;
  role: string;
  content: { type: string; text?: string };
  stopReason?: string;
}

export interface ElicitForm {
  message: string;
  /** A flat object schema: string, number, boolean and enum properties only (MCP's rule). */
  requestedSchema: {
    type: 'object';
    properties: Record<string, Record<string, unknown>>;
    required?: string[];
  };
}

export interface ElicitAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

export interface ToolProvider {
  listTools(sessionId: string | undefined): ToolDef[];
  /**
   * Runs a tool. A thrown error becomes an `isError` result carrying its message; a tool that is not
   * in `listTools(sessionId)` is never called (the client gets a JSON-RPC InvalidParams error).
   */
  callTool(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult>;
  /** Subscribes to changes of the tool list; returns the unsubscribe function. */
  onToolsChanged(listener: () => void): () => void;
  /** Called once when an HTTP session ends (DELETE, idle expiry or server close). */
  endSession?(sessionId: string): Promise<void>;
}
