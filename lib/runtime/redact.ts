/**
 * Redaction of secrets from what a component hands back: its result, its stdout and stderr, and
 * its error messages. A secret is given to a component to use, not to repeat to the model: any
 * occurrence of a secret's value in that output is replaced before it leaves the runtime.
 */
export const REDACTED = '[redacted]';

export class Redactor {
  readonly #secrets: string[];

  constructor(secrets: readonly string[]) {
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  }

  get active(): boolean {
    return this.#secrets.length > 0;
  }

  text(text: string): string {
    let out = text;
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** Output bytes: re-encoded only when a secret occurs in them (as UTF-8 text). */
  bytes(bytes: Uint8Array): Uint8Array {
    if (!this.active || bytes.length === 0) return bytes;
    const text = new TextDecoder().decode(bytes);
    const redacted = this.text(text);
    return redacted === text ? bytes : new TextEncoder().encode(redacted);
  }

  /** A worker's error, its message and payload redacted. */
  wireError<E extends { message: string; payload?: unknown }>(error: E): E {
    if (!this.active) return error;
    return { ...error, message: this.text(error.message), payload: this.value(error.payload) };
  }

  /** A result value as the runtime passes it (strings, numbers, bigints, arrays, plain objects, byte arrays). */
  value(value: unknown): unknown {
    if (!this.active) return value;
    if (typeof value === 'string') return this.text(value);
    if (value instanceof Uint8Array) return this.bytes(value);
    if (Array.isArray(value)) return value.map((v) => this.value(v));
    if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)]));
    }
    return value;
  }
}
