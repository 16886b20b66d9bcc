/*
 * Attack: climb out of a granted directory with "..". arg is the guest path of a granted directory;
 * the attack reads <arg>/../../../../etc/passwd. wasi-libc passes the ".." components through to the
 * host's path_open relative to the preopen, so the runtime itself must refuse to leave the grant.
 */
#include "attack.h"

static void attack(const char *arg) {
  char *path = cabi_format("%s/../../../../etc/passwd", arg);
  attack_read_file(path);
  free(path);
}
