/*
 * Attack: flood stdout, to check that guest output is captured and bounded rather than passed to
 * the host's stdout (which carries the MCP protocol in stdio mode) or buffered without limit.
 * Writes arg bytes (decimal; default 64 MiB) of text in 64 KiB write() calls, handling short
 * writes, then returns ok("wrote N bytes"), or err when a write fails.
 */
#include <unistd.h>

#include "attack.h"

#define CHUNK (64 * 1024)
static char chunk[CHUNK]; /* static: the shadow stack is only 64 KiB */

static void attack(const char *arg) {
  long long total = attack_size_arg(arg, 64LL * 1024 * 1024);
  if (total < 0) {
    attack_err("arg must be a decimal byte count or empty", 0);
    return;
  }
  for (size_t i = 0; i < CHUNK; i++) chunk[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
  long long written = 0;
  while (written < total) {
    size_t want = total - written < CHUNK ? (size_t)(total - written) : CHUNK;
    size_t off = (size_t)(written % CHUNK);
    if (want > CHUNK - off) want = CHUNK - off;
    ssize_t n = write(1, chunk + off, want);
    if (n <= 0) {
      const char *why = n < 0 ? strerror(errno) : "wrote nothing";
      attack_err(cabi_format("write failed after %lld bytes: %s", written, why), 1);
      return;
    }
    written += n;
  }
  attack_ok_str(cabi_format("wrote %lld bytes", written), 1);
}
