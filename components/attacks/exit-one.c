/*
 * Attack: call exit(1) in the middle of a call. With the WASI shim's Node defaults this ends the
 * whole host process; a runtime must turn it into an error for this call (and treat the instance
 * as dead) while the host keeps serving.
 */
#include "attack.h"

static void attack(const char *arg) {
  (void)arg;
  exit(1);
}
