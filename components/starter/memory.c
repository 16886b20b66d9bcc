/*
 * The `memory` starter component (world `memory` in wit/starter/memory.wit): a key-value notebook
 * kept in this instance's linear memory. wtools gives each MCP session its own instance (the
 * artifact asks for it with the dev.wtools.instance annotation), so a session sees only its notes.
 * Pure: it reaches for nothing outside its memory.
 */
#include "cabi.h"

#define MAX_KEYS 10000
#define MAX_TOTAL_BYTES (16u * 1024u * 1024u)

typedef struct {
  char *key;
  size_t key_len;
  char *value;
  size_t value_len;
} note;

static note *notes;
static size_t note_count, note_cap, total_bytes;

/* Host-provided strings are ours to keep or free; a zero-length one was never allocated. */
static void release(char *ptr, size_t len) {
  if (len > 0) free(ptr);
}

static long find(const char *key, size_t key_len) {
  for (size_t i = 0; i < note_count; i++) {
    if (notes[i].key_len == key_len && memcmp(notes[i].key, key, key_len) == 0) return (long)i;
  }
  return -1;
}

static cabi_tagged set_area;
static const char FULL[] = "the notebook is full (10000 keys or 16 MiB of text): delete some notes first";

WASM_EXPORT("set")
cabi_tagged *set(char *key, size_t key_len, char *value, size_t value_len) {
  long at = find(key, key_len);
  size_t old = at >= 0 ? notes[at].key_len + notes[at].value_len : 0;
  if ((at < 0 && note_count == MAX_KEYS) || total_bytes - old + key_len + value_len > MAX_TOTAL_BYTES) {
    release(key, key_len);
    release(value, value_len);
    cabi_set(&set_area, 1, FULL, sizeof FULL - 1);
    return &set_area;
  }
  if (at >= 0) {
    release(key, key_len); /* the stored key is the same */
    release(notes[at].value, notes[at].value_len);
    notes[at].value = value;
    notes[at].value_len = value_len;
  } else {
    if (note_count == note_cap) {
      note_cap = note_cap ? note_cap * 2 : 16;
      notes = realloc(notes, note_cap * sizeof *notes);
      if (notes == NULL) abort();
    }
    notes[note_count++] = (note){key, key_len, value, value_len};
  }
  total_bytes = total_bytes - old + key_len + value_len;
  cabi_set(&set_area, 0, NULL, 0);
  return &set_area;
}

static cabi_tagged get_area;

WASM_EXPORT("get")
cabi_tagged *get(char *key, size_t key_len) {
  long at = find(key, key_len);
  release(key, key_len);
  /* The value stays in the notebook: nothing to free after the call. */
  if (at < 0) cabi_set(&get_area, 0, NULL, 0);
  else cabi_set(&get_area, 1, notes[at].value, notes[at].value_len);
  return &get_area;
}

WASM_EXPORT("delete")
uint32_t delete(char *key, size_t key_len) {
  long at = find(key, key_len);
  release(key, key_len);
  if (at < 0) return 0;
  total_bytes -= notes[at].key_len + notes[at].value_len;
  release(notes[at].key, notes[at].key_len);
  release(notes[at].value, notes[at].value_len);
  notes[at] = notes[--note_count];
  return 1;
}

static int compare_keys(const void *a, const void *b) {
  const cabi_string *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->ptr, y->ptr, n);
  return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static cabi_string keys_area;

WASM_EXPORT("keys")
cabi_string *keys(void) {
  cabi_string *list = note_count ? cabi_defer(malloc(note_count * sizeof *list)) : NULL;
  if (note_count && list == NULL) abort();
  for (size_t i = 0; i < note_count; i++) {
    list[i].ptr = notes[i].key;
    list[i].len = notes[i].key_len;
  }
  if (note_count > 1) qsort(list, note_count, sizeof *list, compare_keys);
  keys_area.ptr = (const char *)list;
  keys_area.len = note_count;
  return &keys_area;
}

WASM_EXPORT("cabi_post_keys")
void cabi_post_keys(void *area) {
  (void)area;
  cabi_free_pending();
}

WASM_EXPORT("clear")
void clear(void) {
  for (size_t i = 0; i < note_count; i++) {
    release(notes[i].key, notes[i].key_len);
    release(notes[i].value, notes[i].value_len);
  }
  note_count = 0;
  total_bytes = 0;
}
