import { type ErrorCode, isWtoolsError } from '../lib/index.js';

/** Exit codes, documented in the README; stable for scripts and CI. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  auth: 4,
  integrity: 5,
  network: 6,
  localState: 7,
  trust: 8,
  component: 9,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  USAGE: ExitCode.usage,
  INVALID_REFERENCE: ExitCode.usage,
  INVALID_DIGEST: ExitCode.usage,
  INVALID_ARGUMENT: ExitCode.usage,
  KEY_INVALID: ExitCode.usage,
  KEY_UNSUPPORTED: ExitCode.usage,
  KEY_PASSPHRASE: ExitCode.usage,
  NOT_FOUND: ExitCode.notFound,
  UNAUTHORIZED: ExitCode.auth,
  DENIED: ExitCode.auth,
  CREDENTIAL_HELPER: ExitCode.auth,
  DIGEST_MISMATCH: ExitCode.integrity,
  SIZE_EXCEEDED: ExitCode.integrity,
  SIZE_MISMATCH: ExitCode.integrity,
  MANIFEST_TOO_LARGE: ExitCode.integrity,
  MANIFEST_INVALID: ExitCode.integrity,
  UNSUPPORTED_MEDIA_TYPE: ExitCode.integrity,
  NOT_A_COMPONENT: ExitCode.integrity,
  NO_WASM_LAYER: ExitCode.integrity,
  REGISTRY_UNREACHABLE: ExitCode.network,
  REGISTRY_ERROR: ExitCode.network,
  INSECURE_REGISTRY: ExitCode.network,
  TIMEOUT: ExitCode.network,
  SIGNATURE_INVALID: ExitCode.trust,
  SUBJECT_MISMATCH: ExitCode.trust,
  UNTRUSTED_SIGNER: ExitCode.trust,
  UNSIGNED: ExitCode.trust,
  NO_MATCHING_RULE: ExitCode.trust,
  POLICY_INVALID: ExitCode.usage,
  TRUST_ROOT_INVALID: ExitCode.usage,
  TRUST_UPDATE_FAILED: ExitCode.network,
  STORE_CORRUPT: ExitCode.localState,
  LOCK_TIMEOUT: ExitCode.localState,
  IO: ExitCode.localState,
  GRANTS_CORRUPT: ExitCode.localState,
  GRANTS_CONFLICT: ExitCode.localState,
  SECRETS_CORRUPT: ExitCode.localState,
  SECRETS_CONFLICT: ExitCode.localState,
  POLICY_FILE_INVALID: ExitCode.usage,
  TRANSPILE_FAILED: ExitCode.integrity,
  IMPORTS_REFUSED: ExitCode.integrity,
  NO_SUCH_EXPORT: ExitCode.usage,
  MEMORY_LIMIT: ExitCode.component,
  CALL_TIMEOUT: ExitCode.component,
  CALL_CANCELLED: ExitCode.component,
  GUEST_TRAP: ExitCode.component,
  GUEST_EXIT: ExitCode.component,
  GUEST_ERROR: ExitCode.component,
  OUTPUT_LIMIT: ExitCode.component,
  WORKER_CRASHED: ExitCode.component,
};

export function exitCodeFor(err: unknown): number {
  return isWtoolsError(err) ? (BY_CODE[err.code] ?? ExitCode.failure) : ExitCode.failure;
}

/** The one place an error becomes output: one line (stack with --debug), or JSON with --json. */
export function reportError(err: unknown, options: { json: boolean; debug: boolean }): number {
  const code = exitCodeFor(err);
  if (options.json) {
    const error = isWtoolsError(err)
      ? { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }
      : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
    process.stdout.write(`${JSON.stringify({ ok: false, exitCode: code, error }, null, 2)}\n`);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`wtools: ${isWtoolsError(err) ? '' : 'internal error: '}${message}\n`);
  if (options.debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return code;
}
