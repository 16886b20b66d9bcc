/*
 * Attack: read the host's /etc/passwd (arg ignored). A runtime that grants no path, or only some
 * other directory, must make this fail; ok(content) means the host file system leaked.
 */
#include "attack.h"

static void attack(const char *arg) {
  (void)arg;
  attack_read_file("/etc/passwd");
}
