/*
 * harness.h - integration-test harness: a real smmud on a private socket.
 *
 * Each test gets a fresh temporary directory (removed afterwards), writes
 * a topology into it, starts build/smmud in the foreground as a child
 * process, and waits until the socket accepts connections.  Nothing is
 * left behind: the daemon is stopped (SIGTERM, then SIGKILL after a
 * deadline) and the directory removed by harness_stop().
 */
#ifndef SMMU_TEST_HARNESS_H
#define SMMU_TEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

struct harness {
	char dir[256];		/* temporary directory */
	char sock[300];		/* dir/smmud.sock */
	char conf[300];		/* dir/smmud.yaml */
	char log[300];		/* dir/smmud.log: the daemon's stderr */
	pid_t pid;		/* the daemon, or -1 */
};

/* Absolute path of a built program ("smmud", "smmuctl"), from
 * SMMU_BUILD_DIR (set by the Makefile). */
const char *harness_bin(const char *name);

/* Create the directory and write yaml (a topology; the string "@SOCK@"
 * is replaced by the socket path and "@DIR@" by the directory).  Returns
 * 0 or -1. */
int harness_init(struct harness *h, const char *yaml);

/* A minimal valid topology: vm0 with 64 MiB anonymous RAM at 0x40000000
 * and smmu0 (guest mode, both stages, all granules, oas 48, sid_bits 16,
 * ssid_bits 8).  It ends with the vms: list, so a caller may append more
 * VM entries by concatenating YAML. */
const char *harness_default_yaml(void);

/* Start smmud -f -c h->conf -s h->sock with extra argv (NULL-terminated,
 * may be NULL) and extra environment "K=V" strings (NULL-terminated, may
 * be NULL); wait up to 10 s for the socket.  Returns 0 or -1 (the log is
 * printed to stderr on failure). */
int harness_start(struct harness *h, const char *const *argv,
    const char *const *envp);

/* Send sig to the daemon and wait up to timeout_ms for it to exit;
 * returns its wait status, or -1 on timeout (then it is SIGKILLed). */
int harness_signal_wait(struct harness *h, int sig, int timeout_ms);

/* Stop the daemon if running and remove the directory.  Safe to call
 * twice. */
void harness_stop(struct harness *h);

/* Run a program (argv[0] is a path) with stdout captured into a malloc'ed
 * string *out (may be NULL) and stderr into *err (may be NULL); returns
 * the exit status (WEXITSTATUS) or -1. */
int harness_run(const char *const *argv, const char *const *envp,
    char **out, char **err);

/* Connect a raw stream socket to h->sock; returns the fd or -1. */
int harness_connect_raw(const struct harness *h);

#endif /* SMMU_TEST_HARNESS_H */
