export type { ToolCallContext, ToolDef, ToolLogLevel, ToolProvider, ToolResult } from './provider.js';
export { type McpServerOptions, type ServerInfo, createMcpServer } from './server.js';
export { type StdioOptions, serveStdio } from './stdio.js';
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  type HttpOptions,
  type HttpServerHandle,
  MCP_PATH,
  isLoopbackHost,
  serveHttp,
} from './http.js';
export * from './component-tools.js';
export * from './tool-catalog.js';
export * from './tool-names.js';
export * from './elicitation.js';
export {
  type CodeModeCall,
  type CodeModeOptions,
  type CodeModeRecord,
  type ScriptableTools,
  CodeModeTools,
} from './code-mode/code-mode.js';
export { codeModeApi } from './code-mode/declarations.js';
export { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from './code-mode/sandbox-protocol.js';
