/*
 * Attack: list every environment variable the guest can see, "KEY=value" joined by newlines.
 * Always ok; the test checks that only the granted variables appear (the WASI shim's Node default
 * would expose the whole host process.env, secrets included).
 */
#include <wasi/libc-environ.h>

#include "attack.h"

extern char **environ;

static void attack(const char *arg) {
  (void)arg;
  /* wasi-libc fills environ lazily; getenv does this itself, a direct read of environ does not. */
  __wasilibc_ensure_environ();
  size_t len = 0;
  for (char **e = environ; e && *e; e++) len += strlen(*e) + 1;
  char *out = malloc(len + 1);
  if (out == NULL) abort();
  size_t at = 0;
  for (char **e = environ; e && *e; e++) {
    size_t n = strlen(*e);
    if (at > 0) out[at++] = '\n';
    memcpy(out + at, *e, n);
    at += n;
  }
  out[at] = '\0';
  attack_ok(out, at, 1);
}
