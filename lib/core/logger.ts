/** Diagnostics go to stderr only: stdout belongs to command output and to MCP in stdio mode. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

let threshold: LogLevel = (process.env.WTOOLS_LOG as LogLevel | undefined) ?? 'warn';

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function createLogger(scope: string): Logger {
  const emit = (level: LogLevel, message: string) => {
    if (ORDER[level] < ORDER[threshold]) return;
    process.stderr.write(`wtools ${level} [${scope}] ${message}\n`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}
