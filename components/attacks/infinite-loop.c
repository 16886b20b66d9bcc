/*
 * Attack: never return. The loop touches a volatile so the compiler can neither delete it nor prove
 * it side-effect free; only a host-side deadline (for example terminating the worker) ends it.
 */
#include "attack.h"

static volatile uint32_t spins;

static void attack(const char *arg) {
  (void)arg;
  for (;;) spins++;
}
