/**
 * How a host function returns the `err` case of a WIT `result`: jco's glue lowers the `payload` of
 * whatever the host throws. Anything else thrown is a host bug and traps the guest.
 */
export class WasiResultError extends Error {
  readonly payload: unknown;
  constructor(payload: unknown) {
    super(typeof payload === 'string' ? payload : JSON.stringify(payload));
    this.payload = payload;
  }
}

export function fail(payload: unknown): never {
  throw new WasiResultError(payload);
}

/** Thrown by `wasi:cli/exit`: unwinds the guest and ends the call, never the host. */
export class GuestExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`the component called exit(${exitCode})`);
    this.exitCode = exitCode;
  }
}
