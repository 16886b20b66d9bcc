/** A 64-bit integer as a JSON number when a double holds it exactly, else as a decimal string. */
export function int64ToJson(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n.toString();
}

/** A float as a JSON number, or "NaN", "Infinity", "-Infinity". */
export function floatToJson(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Values coming back from jco's glue, made into JSON without knowing their WIT types: 64-bit
 * integers beyond 2^53 become decimal strings, list<u8> (a Uint8Array) becomes base64, other typed
 * arrays become arrays, and non-finite floats the strings "NaN", "Infinity", "-Infinity".
 */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return int64ToJson(value);
  if (typeof value === 'number') return floatToJson(value);
  if (value instanceof Uint8Array) return bytesToBase64(value);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, toJsonValue);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  }
  return value ?? null;
}
