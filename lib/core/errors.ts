/**
 * One error type for the whole library. `code` is stable and tested against; the message says what
 * was expected and what was found. Only cli/ and mcp/ turn errors into output.
 */
export type ErrorCode =
  // usage and input
  | 'USAGE'
  | 'INVALID_REFERENCE'
  | 'INVALID_DIGEST'
  | 'INVALID_ARGUMENT'
  // content
  | 'DIGEST_MISMATCH'
  | 'SIZE_EXCEEDED'
  | 'SIZE_MISMATCH'
  | 'MANIFEST_TOO_LARGE'
  | 'MANIFEST_INVALID'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_A_COMPONENT'
  | 'NO_WASM_LAYER'
  | 'NOT_FOUND'
  // registry
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'REGISTRY_UNREACHABLE'
  | 'REGISTRY_ERROR'
  | 'INSECURE_REGISTRY'
  | 'CREDENTIAL_HELPER'
  | 'TIMEOUT'
  // trust
  | 'SIGNATURE_INVALID'
  | 'SUBJECT_MISMATCH'
  | 'UNTRUSTED_SIGNER'
  | 'UNSIGNED'
  | 'NO_MATCHING_RULE'
  | 'POLICY_INVALID'
  | 'TRUST_ROOT_INVALID'
  | 'TRUST_UPDATE_FAILED'
  // signing
  | 'KEY_INVALID'
  | 'KEY_UNSUPPORTED'
  | 'KEY_PASSPHRASE'
  | 'SIGNING_FAILED'
  // components and the runtime
  | 'TRANSPILE_FAILED'
  | 'IMPORTS_REFUSED'
  | 'NO_SUCH_EXPORT'
  | 'MEMORY_LIMIT'
  | 'CALL_TIMEOUT'
  | 'CALL_CANCELLED'
  | 'GUEST_TRAP'
  | 'GUEST_EXIT'
  | 'GUEST_ERROR'
  | 'OUTPUT_LIMIT'
  | 'WORKER_CRASHED'
  // local state
  | 'STORE_CORRUPT'
  | 'LOCK_TIMEOUT'
  | 'IO'
  // grants
  | 'GRANTS_CORRUPT'
  | 'GRANTS_CONFLICT'
  | 'SECRETS_CORRUPT'
  | 'SECRETS_CONFLICT'
  | 'POLICY_FILE_INVALID';

export interface WtoolsErrorOptions {
  cause?: unknown;
  /** Extra structured facts for --json output (never secrets). */
  details?: Record<string, unknown>;
}

export class WtoolsError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: C, message: string, options: WtoolsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

export class OciError extends WtoolsError {}
export class StoreError extends WtoolsError {}
export class TrustError extends WtoolsError {}
export class ComponentError extends WtoolsError {}
export class RuntimeError extends WtoolsError {}
export class GrantError extends WtoolsError {}

export function isWtoolsError(err: unknown, code?: ErrorCode): err is WtoolsError {
  return err instanceof WtoolsError && (code === undefined || err.code === code);
}

/** A short description of anything thrown, for wrapping third-party errors. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (cause as { code?: string } | undefined)?.code ?? (err as { code?: string }).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
