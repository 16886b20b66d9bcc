// Guest code of the `types` fixture (world `types` in wit/types.wit), compiled by componentize-js.
// A pure component: no console, clocks, random or fetch; an uncaught error traps.

/**
 * componentize-js 0.22 hands s64 parameters to the guest as unsigned BigInts (-7 arrives as
 * 2^64 - 7): its bindings pass the engine's i64 on unchanged. Results are wrapped correctly, so
 * only arithmetic on parameters needs this.
 */
function s64(x) {
  return BigInt.asIntN(64, x);
}

/** Thrown from an export returning result<T, E>: the payload becomes the err value. */
class ComponentError extends Error {
  constructor(payload) {
    super(payload);
    this.payload = payload;
  }
}

// --- interface wtools:fixtures/shapes@0.1.0 ---

const COLORS = ['red', 'green', 'blue'];

export const shapes = {
  echoNumbers(n) {
    return { ...n, aS64: s64(n.aS64) };
  },
  echoRecord(p) {
    return { x: p.x, y: p.y, label: p.label };
  },
  translate(p, dx, dy) {
    return { x: p.x + dx, y: p.y + dy, label: p.label === undefined ? undefined : `${p.label}'` };
  },
  classify(n) {
    if (n < 0) return { tag: 'negative', val: -n };
    if (n === 0) return { tag: 'zero' };
    return { tag: 'positive', val: String(n) };
  },
  nextColor(c) {
    return COLORS[(COLORS.indexOf(c) + 1) % COLORS.length];
  },
  toggle(f) {
    return { read: !f.read, write: !f.write, execute: !f.execute };
  },
  maybeDouble(x) {
    return x === undefined ? undefined : x * 2;
  },
  nested(x) {
    // option<option<T>>: the outer option is { tag: 'none' } | { tag: 'some', val: T | undefined }.
    if (x.tag === 'some' && x.val !== undefined) return { tag: 'some', val: x.val + 1 };
    return x;
  },
  divide(a, b) {
    a = s64(a);
    b = s64(b);
    if (b === 0n) throw new ComponentError('division by zero');
    return a / b;
  },
  rotate([n, s, b]) {
    return [n + 1, s.toUpperCase(), !b];
  },
};

// --- world root ---

let count = 0;

export function greet(name) {
  return `Hello, ${name}!`;
}
export function u64Echo(x) {
  return x;
}
export function floatEcho(x) {
  return x;
}
export function f32Echo(x) {
  return x;
}
export function charNext(c) {
  let code = c.codePointAt(0) + 1;
  if (code === 0xd800) code = 0xe000;
  if (code > 0x10ffff) code = 0;
  return String.fromCodePoint(code);
}
export function negate(b) {
  return !b;
}
export function bytesLen(b) {
  return b.length;
}
export function reverseBytes(b) {
  return Uint8Array.from(b).reverse();
}
export function sum(xs) {
  let total = 0;
  for (const x of xs) total += x;
  return total;
}
export function splitWords(s) {
  return s.split(/\s+/).filter((w) => w.length > 0);
}
export function join(parts, sep) {
  return parts.join(sep);
}
export function describe(name, age, score, tags, active) {
  return `${name} (${age}) scored ${score} [${tags.join(', ')}]${active ? ' active' : ''}`;
}
export function check(ok, message) {
  if (!ok) throw new ComponentError(message);
  return message;
}
export function bump(by) {
  count += by;
}
export function counter() {
  return count;
}
