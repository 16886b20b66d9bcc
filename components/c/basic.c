/*
 * The small C fixture (world `basic` in wit/basic.wit): one export per canonical-ABI shape the
 * runtime must lift and lower correctly (scalars, strings, result, option, list<string>, no result),
 * plus the WASI calls that grants gate: file read/write, directory listing, environment, stdio.
 * Small and quick to instantiate, it serves the fast tests and the warm-load benchmark.
 */
#include <dirent.h>
#include <errno.h>

#include "cabi.h"

WASM_EXPORT("add")
uint32_t add(uint32_t a, uint32_t b) { return a + b; }

static cabi_string greet_area;

WASM_EXPORT("greet")
cabi_string *greet(char *name_ptr, size_t name_len) {
  static const char prefix[] = "hello, ";
  size_t len = sizeof prefix - 1 + name_len;
  char *out = cabi_defer(malloc(len));
  if (out == NULL) abort();
  memcpy(out, prefix, sizeof prefix - 1);
  memcpy(out + sizeof prefix - 1, name_ptr, name_len);
  if (name_len > 0) free(name_ptr);
  greet_area.ptr = out;
  greet_area.len = len;
  return &greet_area;
}

WASM_EXPORT("cabi_post_greet")
void cabi_post_greet(void *area) {
  (void)area;
  cabi_free_pending();
}

static cabi_tagged read_file_area;

WASM_EXPORT("read-file")
cabi_tagged *read_file(char *path_ptr, size_t path_len) {
  char *path = cabi_take_cstr(path_ptr, path_len);
  size_t len;
  char *content = read_whole_file(path, &len);
  if (content == NULL) {
    cabi_set(&read_file_area, 1, strerror(errno), strlen(strerror(errno)));
  } else {
    cabi_set(&read_file_area, 0, cabi_defer(content), len);
  }
  free(path);
  return &read_file_area;
}

WASM_EXPORT("cabi_post_read-file")
void cabi_post_read_file(void *area) {
  (void)area;
  cabi_free_pending();
}

static cabi_tagged write_file_area;

WASM_EXPORT("write-file")
cabi_tagged *write_file(char *path_ptr, size_t path_len, char *contents, size_t contents_len) {
  char *path = cabi_take_cstr(path_ptr, path_len);
  int failed = 0;
  FILE *file = fopen(path, "wb");
  if (file == NULL) {
    failed = errno;
  } else {
    errno = 0;
    if (fwrite(contents, 1, contents_len, file) != contents_len) failed = errno ? errno : EIO;
    if (fclose(file) != 0 && !failed) failed = errno;
  }
  if (failed) {
    cabi_set(&write_file_area, 1, strerror(failed), strlen(strerror(failed)));
  } else {
    cabi_set(&write_file_area, 0, NULL, 0);
  }
  free(path);
  if (contents_len > 0) free(contents);
  return &write_file_area;
}

WASM_EXPORT("cabi_post_write-file")
void cabi_post_write_file(void *area) {
  (void)area;
  cabi_free_pending();
}

static int compare_names(const void *a, const void *b) {
  return strcmp(((const cabi_string *)a)->ptr, ((const cabi_string *)b)->ptr);
}

static cabi_tagged list_dir_area;

WASM_EXPORT("list-dir")
cabi_tagged *list_dir(char *path_ptr, size_t path_len) {
  char *path = cabi_take_cstr(path_ptr, path_len);
  DIR *dir = opendir(path);
  free(path);
  if (dir == NULL) {
    cabi_set(&list_dir_area, 1, strerror(errno), strlen(strerror(errno)));
    return &list_dir_area;
  }
  cabi_string *names = NULL;
  size_t count = 0, cap = 0;
  struct dirent *entry;
  errno = 0;
  while ((entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    if (count == cap) {
      cap = cap ? cap * 2 : 16;
      names = realloc(names, cap * sizeof *names);
      if (names == NULL) abort();
    }
    /* Names stay NUL-terminated for qsort; the list carries their lengths without it. */
    char *name = cabi_defer(strdup(entry->d_name));
    if (name == NULL) abort();
    names[count].ptr = name;
    names[count].len = strlen(name);
    count++;
    errno = 0;
  }
  int failed = errno;
  closedir(dir);
  if (failed) {
    cabi_free_pending();
    free(names);
    cabi_set(&list_dir_area, 1, strerror(failed), strlen(strerror(failed)));
    return &list_dir_area;
  }
  if (count > 0) qsort(names, count, sizeof *names, compare_names);
  cabi_set(&list_dir_area, 0, cabi_defer(names), count);
  return &list_dir_area;
}

WASM_EXPORT("cabi_post_list-dir")
void cabi_post_list_dir(void *area) {
  (void)area;
  cabi_free_pending();
}

static cabi_tagged get_env_area;

WASM_EXPORT("get-env")
cabi_tagged *get_env(char *key_ptr, size_t key_len) {
  char *key = cabi_take_cstr(key_ptr, key_len);
  const char *value = getenv(key);
  free(key);
  if (value == NULL) {
    cabi_set(&get_env_area, 0, NULL, 0);
  } else {
    /* getenv's storage belongs to libc and outlives the call: nothing to free. */
    cabi_set(&get_env_area, 1, value, strlen(value));
  }
  return &get_env_area;
}

WASM_EXPORT("print")
void print(char *text, size_t len) {
  /* Reactors never run exit-time flushing, so every write is flushed here. */
  fwrite(text, 1, len, stdout);
  fflush(stdout);
  fputs("err:", stderr);
  fwrite(text, 1, len, stderr);
  fflush(stderr);
  if (len > 0) free(text);
}
