/*
 * Attack: grab linear memory. Grows memory 0 in 64 MiB steps (1024 pages) with memory.grow until it
 * fails, which without a limit is at 4 GiB, the wasm32 maximum. The new pages are not touched, so a
 * host that relies on resident-memory limits will not notice; a runtime must cap the memory maximum.
 * Returns ok("grew N MiB; memory is M MiB"). The message lives in a static buffer, because malloc
 * cannot extend its heap once memory is exhausted.
 */
#include "attack.h"

#define STEP_PAGES 1024 /* 64 MiB */
static char message[128];

static void attack(const char *arg) {
  (void)arg;
  size_t grown_pages = 0;
  while (__builtin_wasm_memory_grow(0, STEP_PAGES) != (size_t)-1) grown_pages += STEP_PAGES;
  size_t total_pages = __builtin_wasm_memory_size(0);
  int n = snprintf(message, sizeof message, "grew %zu MiB; memory is %zu MiB", grown_pages / 16,
                   total_pages / 16);
  attack_ok(message, (size_t)n, 0);
}
