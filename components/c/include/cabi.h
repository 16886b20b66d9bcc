/*
 * Hand-written Component Model canonical ABI glue for the C fixtures (wit-bindgen is not available
 * offline, and these few shapes are easy to lay out by hand). Layouts on wasm32:
 *
 *   string, list<T>             { i32 ptr, i32 len }                               8 bytes, align 4
 *   result<string, string>,     { u8 tag @0, i32 ptr @4, i32 len @8 }             12 bytes, align 4
 *   option<string>,             (result: tag 0 = ok, 1 = err; option: 0 = none, 1 = some)
 *   result<_, string>
 *   result<list<string>, string>
 *
 * A function whose flattened results are more than one core value returns a pointer to a return area;
 * each export here keeps one static area, which is enough because calls on one instance never overlap.
 * Arguments are allocated by the host through `cabi_realloc` and owned by the callee. What a call
 * returns stays allocated until the host has copied it out and calls `cabi_post_<export>`, which
 * frees everything the call deferred.
 */
#ifndef WTOOLS_CABI_H
#define WTOOLS_CABI_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WASM_EXPORT(name) __attribute__((export_name(name)))

typedef struct {
  const char *ptr;
  size_t len;
} cabi_string;

/* result<string-ish, string>, option<string>, result<_, string>: the tag and one (ptr, len) payload. */
typedef struct {
  uint8_t tag;
  const void *ptr;
  size_t len;
} cabi_tagged;

_Static_assert(sizeof(cabi_string) == 8, "string is two i32s");
_Static_assert(sizeof(cabi_tagged) == 12 && offsetof(cabi_tagged, ptr) == 4, "payload at offset 4");

WASM_EXPORT("cabi_realloc")
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  /* A zero-sized block was never allocated: its pointer is the dangling `align`. */
  if (old_size == 0) ptr = NULL;
  if (new_size == 0) {
    free(ptr);
    return (void *)align;
  }
  /* malloc aligns to 16, more than any canonical ABI type needs. */
  void *out = realloc(ptr, new_size);
  if (out == NULL) abort();
  return out;
}

/* Takes ownership of a host-provided string and returns it NUL-terminated (free it when done). */
static inline char *cabi_take_cstr(char *ptr, size_t len) {
  char *out = realloc(len == 0 ? NULL : ptr, len + 1);
  if (out == NULL) abort();
  out[len] = '\0';
  return out;
}

/* Allocations handed to the host by the current call, freed by its post-return. */
static void **cabi_pending;
static size_t cabi_pending_len, cabi_pending_cap;

static inline void *cabi_defer(void *ptr) {
  if (ptr == NULL) return NULL;
  if (cabi_pending_len == cabi_pending_cap) {
    cabi_pending_cap = cabi_pending_cap ? cabi_pending_cap * 2 : 16;
    cabi_pending = realloc(cabi_pending, cabi_pending_cap * sizeof *cabi_pending);
    if (cabi_pending == NULL) abort();
  }
  cabi_pending[cabi_pending_len++] = ptr;
  return ptr;
}

static inline void cabi_free_pending(void) {
  for (size_t i = 0; i < cabi_pending_len; i++) free(cabi_pending[i]);
  cabi_pending_len = 0;
}

__attribute__((format(printf, 1, 2))) static inline char *cabi_format(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  int len = vsnprintf(NULL, 0, fmt, args);
  va_end(args);
  if (len < 0) abort();
  char *out = malloc((size_t)len + 1);
  if (out == NULL) abort();
  va_start(args, fmt);
  vsnprintf(out, (size_t)len + 1, fmt, args);
  va_end(args);
  return out;
}

static inline void cabi_set(cabi_tagged *area, uint8_t tag, const void *ptr, size_t len) {
  area->tag = tag;
  area->ptr = ptr;
  area->len = len;
}

/*
 * The whole content of a file, read with stdio in growing chunks (sizes from stat are not trusted).
 * NULL with errno set on failure.
 */
static inline char *read_whole_file(const char *path, size_t *out_len) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  if (buf == NULL) abort();
  for (;;) {
    if (len == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      if (buf == NULL) abort();
    }
    size_t n = fread(buf + len, 1, cap - len, file);
    len += n;
    if (n > 0) continue;
    if (ferror(file)) {
      int saved = errno;
      fclose(file);
      free(buf);
      errno = saved;
      return NULL;
    }
    break;
  }
  fclose(file);
  *out_len = len;
  return buf;
}

#endif
