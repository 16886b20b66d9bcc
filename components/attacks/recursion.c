/*
 * Attack: recurse without bound. Two kinds of stack can run out, and the runtime must survive both:
 *   arg "" (default): recursion through wasm locals only, exhausting the engine's native stack
 *                     (V8 throws RangeError "Maximum call stack size exceeded", not a wasm trap);
 *   arg "shadow":     recursion with a 256-byte array in each frame, exhausting the 64 KiB C shadow
 *                     stack in linear memory; linked with --stack-first, this traps with an
 *                     out-of-bounds access instead of silently overwriting static data.
 * The depth bound is a volatile the compiler cannot see through, and a volatile store after each
 * call keeps the recursion out of tail position, so it is neither folded nor turned into a loop.
 */
#include "attack.h"

static volatile uint32_t never = 0xffffffffu;
static volatile uint32_t sink;

__attribute__((noinline)) static uint32_t native(uint32_t depth) {
  if (depth == never) return depth;
  uint32_t below = native(depth + 1);
  sink = below;
  return below + depth;
}

__attribute__((noinline)) static uint32_t shadow(uint32_t depth) {
  volatile char frame[256];
  frame[depth & 255] = (char)depth;
  if (depth == never) return depth;
  uint32_t below = shadow(depth + 1);
  sink = below;
  return below + (uint32_t)frame[(depth * 7) & 255];
}

static void attack(const char *arg) {
  uint32_t result = strcmp(arg, "shadow") == 0 ? shadow(0) : native(0);
  attack_ok_str(cabi_format("returned %u", result), 1);
}
