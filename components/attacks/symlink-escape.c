/*
 * Attack: follow a symlink that the test planted inside a granted directory and that points outside
 * it (for example <grant>/link -> /etc). arg is the full guest path to read through the link, such
 * as "<grant>/link/passwd". ok(content) means the runtime followed the link out of the grant.
 */
#include "attack.h"

static void attack(const char *arg) { attack_read_file(arg); }
