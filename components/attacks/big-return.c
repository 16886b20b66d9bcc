/*
 * Attack: return a huge result. ok with a string of arg bytes (decimal; default 50 MiB =
 * 52428800 bytes) of ASCII, to check that the runtime bounds what it copies out of the guest and
 * what it hands on to MCP clients.
 */
#include "attack.h"

static void attack(const char *arg) {
  long long size = attack_size_arg(arg, 50LL * 1024 * 1024);
  if (size < 0) {
    attack_err("arg must be a decimal byte count or empty", 0);
    return;
  }
  char *out = malloc((size_t)size + 1);
  if (out == NULL) {
    attack_err("malloc failed", 0);
    return;
  }
  for (long long i = 0; i < size; i++) out[i] = (i % 64 == 63) ? '\n' : (char)('A' + i % 26);
  attack_ok(out, (size_t)size, 1);
}
