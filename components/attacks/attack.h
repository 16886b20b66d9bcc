/*
 * The `run` export shared by the attack fixtures (world `attack` in wit/attack.wit). Each attack
 * defines `static void attack(const char *arg)` and reports through attack_ok / attack_err; the
 * outcome is lifted as result<string, string>, and whatever was allocated for it is freed by
 * `cabi_post_run` once the host has copied it.
 */
#ifndef WTOOLS_ATTACK_H
#define WTOOLS_ATTACK_H

#include "cabi.h"

static cabi_tagged attack_outcome;

/* With owned, text was malloc'd and is freed after the call; otherwise it is static. */
static inline void attack_ok(const char *text, size_t len, int owned) {
  cabi_set(&attack_outcome, 0, owned ? cabi_defer((void *)text) : text, len);
}

static inline void attack_ok_str(const char *text, int owned) { attack_ok(text, strlen(text), owned); }

static inline void attack_err(const char *text, int owned) {
  cabi_set(&attack_outcome, 1, owned ? cabi_defer((void *)text) : text, strlen(text));
}

static void attack(const char *arg);

WASM_EXPORT("run")
cabi_tagged *run(char *arg_ptr, size_t arg_len) {
  char *arg = cabi_take_cstr(arg_ptr, arg_len);
  attack_err("the attack reported no outcome", 0);
  attack(arg);
  free(arg);
  return &attack_outcome;
}

WASM_EXPORT("cabi_post_run")
void cabi_post_run(void *area) {
  (void)area;
  cabi_free_pending();
}

/* ok(content) if the file could be read, err("<path>: <strerror>") if not. */
static inline void attack_read_file(const char *path) {
  size_t len;
  char *content = read_whole_file(path, &len);
  if (content == NULL) {
    attack_err(cabi_format("%s: %s", path, strerror(errno)), 1);
  } else {
    attack_ok(content, len, 1);
  }
}

/* A decimal byte count from arg, or fallback when arg is empty. -1 when arg is not a number. */
static inline long long attack_size_arg(const char *arg, long long fallback) {
  if (arg[0] == '\0') return fallback;
  char *end;
  errno = 0;
  long long n = strtoll(arg, &end, 10);
  if (errno != 0 || *end != '\0' || n < 0) return -1;
  return n;
}

#endif
