/*
 * Attack: modify a directory that was granted read-only. arg is the guest path of that directory,
 * which the test is expected to seed with a file named victim.txt. In order, the attack tries to:
 *   create   <arg>/pwned.txt (O_CREAT|O_TRUNC, then write)
 *   append   to <arg>/victim.txt
 *   mkdir    <arg>/pwned-dir
 *   rename   <arg>/victim.txt -> <arg>/victim-renamed.txt
 *   unlink   <arg>/victim.txt (or victim-renamed.txt when the rename went through)
 * The payload has one line per step, "<step>: ok" or "<step>: <strerror>". ok if any step
 * succeeded (the grant leaked write access), err if every step was refused.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attack.h"

static char *report;
static int any_succeeded;

static void step(const char *name, int failed_errno) {
  char *line = failed_errno ? cabi_format("%s%s: %s\n", report, name, strerror(failed_errno))
                            : cabi_format("%s%s: ok\n", report, name);
  if (!failed_errno) any_succeeded = 1;
  free(report);
  report = line;
}

static int write_to(const char *path, int flags) {
  static const char payload[] = "pwned\n";
  int fd = open(path, O_WRONLY | flags, 0644);
  if (fd < 0) return errno;
  int failed = 0;
  errno = 0;
  if (write(fd, payload, sizeof payload - 1) != (ssize_t)(sizeof payload - 1)) failed = errno ? errno : EIO;
  if (close(fd) != 0 && !failed) failed = errno;
  return failed;
}

static void attack(const char *arg) {
  report = cabi_format("%s", "");
  any_succeeded = 0;
  char *created = cabi_format("%s/pwned.txt", arg);
  char *victim = cabi_format("%s/victim.txt", arg);
  char *renamed = cabi_format("%s/victim-renamed.txt", arg);
  char *dir = cabi_format("%s/pwned-dir", arg);

  step("create pwned.txt", write_to(created, O_CREAT | O_TRUNC));
  step("append victim.txt", write_to(victim, O_APPEND));
  step("mkdir pwned-dir", mkdir(dir, 0755) == 0 ? 0 : errno);
  int rename_failed = rename(victim, renamed) == 0 ? 0 : errno;
  step("rename victim.txt", rename_failed);
  step(rename_failed ? "unlink victim.txt" : "unlink victim-renamed.txt",
       unlink(rename_failed ? victim : renamed) == 0 ? 0 : errno);

  if (any_succeeded) {
    attack_ok(report, strlen(report), 1);
  } else {
    attack_err(report, 1);
  }
  report = NULL;
  free(created);
  free(victim);
  free(renamed);
  free(dir);
}
