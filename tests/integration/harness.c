/*
 * harness.c - integration-test harness: a real smmud on a private socket.
 *
 * Daemons are started in the test's process group with
 * PR_SET_PDEATHSIG = SIGKILL, so a test that dies (a failed assertion
 * _exit()s the forked test process, a Check timeout SIGKILLs its group)
 * never leaves a daemon behind.  The directory is removed by
 * harness_stop(), by an atexit() handler, and otherwise by a small
 * cleaner process forked by harness_init(): it waits for EOF on a pipe
 * whose only write end the test holds, which comes however the test ends.
 *
 * SMMU_TEST_WRAPPER, if set when harness_start() runs, is a
 * space-separated command put in front of smmud (e.g. "valgrind -q" or
 * "systemd-socket-activate -l SOCK"), as chrony's TEST_WRAPPER.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define HARNESS_START_TIMEOUT_MS 10000
#define HARNESS_POLL_MS 10
#define HARNESS_STOP_TIMEOUT_MS 10000
#define HARNESS_RUN_TIMEOUT_MS 30000
#define HARNESS_MAX_LIVE 16
#define HARNESS_MAX_ARGS 64

extern char **environ;

/* Harnesses with a directory or a daemon, for the atexit() cleanup. */
static struct harness *harness_live[HARNESS_MAX_LIVE];
static bool harness_atexit_set;

/* The cleaner process of each live harness (same index). */
static struct {
	pid_t pid;
	int fd;		/* write end of its pipe, or -1 */
} harness_cleaner[HARNESS_MAX_LIVE];

/* Milliseconds on the monotonic clock. */
static long long
harness_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
harness_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* atexit(): stop whatever a failed test left running. */
static void
harness_atexit(void)
{
	unsigned i;

	for (i = 0; i < HARNESS_MAX_LIVE; i++)
		if (harness_live[i] != NULL)
			harness_stop(harness_live[i]);
}

/* nftw() callback: remove one entry (depth first). */
static int
harness_rm_cb(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)(type == FTW_DP ? rmdir(path) : unlink(path));
	return 0;
}

/*
 * Fork the cleaner of harness slot i: it removes dir once the pipe says
 * the test process is gone (or harness_stop() closed it).
 */
static void
harness_cleaner_start(unsigned i, const char *dir)
{
	int p[2], fd;
	pid_t pid;
	char c;

	harness_cleaner[i].pid = -1;
	harness_cleaner[i].fd = -1;
	if (pipe2(p, O_CLOEXEC) == -1)
		return;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return;
	}
	if (pid == 0) {
		/* Hold no other cleaner's pipe open. */
		for (fd = 3; fd < 1024; fd++)
			if (fd != p[0])
				(void)close(fd);
		while (read(p[0], &c, 1) == -1 && errno == EINTR)
			;
		(void)nftw(dir, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
		_exit(0);
	}
	(void)close(p[0]);
	harness_cleaner[i].pid = pid;
	harness_cleaner[i].fd = p[1];
}

/* Release the cleaner of slot i (the directory is already gone). */
static void
harness_cleaner_stop(unsigned i)
{
	if (harness_cleaner[i].fd != -1)
		(void)close(harness_cleaner[i].fd);
	if (harness_cleaner[i].pid > 0)
		while (waitpid(harness_cleaner[i].pid, NULL, 0) == -1 &&
		    errno == EINTR)
			;
	harness_cleaner[i].pid = -1;
	harness_cleaner[i].fd = -1;
}

static void
harness_track(struct harness *h)
{
	unsigned i;

	if (!harness_atexit_set) {
		(void)atexit(harness_atexit);
		harness_atexit_set = true;
	}
	for (i = 0; i < HARNESS_MAX_LIVE; i++)
		if (harness_live[i] == h)
			return;
	for (i = 0; i < HARNESS_MAX_LIVE; i++) {
		if (harness_live[i] == NULL) {
			harness_live[i] = h;
			harness_cleaner_start(i, h->dir);
			return;
		}
	}
}

static void
harness_untrack(struct harness *h)
{
	unsigned i;

	for (i = 0; i < HARNESS_MAX_LIVE; i++) {
		if (harness_live[i] == h) {
			harness_live[i] = NULL;
			harness_cleaner_stop(i);
		}
	}
}

const char *
harness_bin(const char *name)
{
	static char ring[8][PATH_MAX];
	static unsigned next;
	const char *dir = getenv("SMMU_BUILD_DIR");
	char *buf = ring[next++ % 8];

	(void)snprintf(buf, PATH_MAX, "%s/%s", dir != NULL ? dir : "build",
	    name);
	return buf;
}

const char *
harness_default_yaml(void)
{
	return
	    "version: 1\n"
	    "socket: @SOCK@\n"
	    "state_dir: @DIR@/state\n"
	    "workers: 2\n"
	    "log_level: debug\n"
	    "vms:\n"
	    "  - name: vm0\n"
	    "    memory:\n"
	    "      - { name: ram, gpa: 0x40000000, size: 64MiB, "
	    "backing: anonymous }\n"
	    "    smmus:\n"
	    "      - name: smmu0\n"
	    "        mode: guest\n"
	    "        stages: [s1, s2]\n"
	    "        granules: [4k, 16k, 64k]\n"
	    "        oas: 48\n"
	    "        sid_bits: 16\n"
	    "        ssid_bits: 8\n";
}

/* Replace every "@SOCK@" and "@DIR@" in yaml; malloc'ed result. */
static char *
harness_subst(const struct harness *h, const char *yaml)
{
	size_t cap = strlen(yaml) * 2 + 4 * sizeof(h->sock) + 1, len = 0;
	const char *p = yaml;
	char *out = malloc(cap);
	const char *val;
	size_t klen, vlen;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		if (strncmp(p, "@SOCK@", 6) == 0) {
			val = h->sock;
			klen = 6;
		} else if (strncmp(p, "@DIR@", 5) == 0) {
			val = h->dir;
			klen = 5;
		} else {
			val = NULL;
			klen = 1;
		}
		vlen = val != NULL ? strlen(val) : 1;
		if (len + vlen + 1 > cap) {
			char *n;

			cap = 2 * (cap + vlen);
			if ((n = realloc(out, cap)) == NULL) {
				free(out);
				return NULL;
			}
			out = n;
		}
		memcpy(out + len, val != NULL ? val : p, vlen);
		len += vlen;
		p += klen;
	}
	out[len] = '\0';
	return out;
}

int
harness_init(struct harness *h, const char *yaml)
{
	const char *tmp = getenv("TMPDIR");
	char *text;
	FILE *f;
	int rc;

	memset(h, 0, sizeof(*h));
	h->pid = -1;
	(void)snprintf(h->dir, sizeof(h->dir), "%s/smmu-itest.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(h->dir) == NULL) {
		h->dir[0] = '\0';
		return -1;
	}
	harness_track(h);
	(void)snprintf(h->sock, sizeof(h->sock), "%s/smmud.sock", h->dir);
	(void)snprintf(h->conf, sizeof(h->conf), "%s/smmud.yaml", h->dir);
	(void)snprintf(h->log, sizeof(h->log), "%s/smmud.log", h->dir);
	if ((text = harness_subst(h, yaml)) == NULL)
		return -1;
	if ((f = fopen(h->conf, "w")) == NULL) {
		free(text);
		return -1;
	}
	rc = fputs(text, f) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	free(text);
	return rc;
}

/* Copy the log to stderr (after a failed start). */
static void
harness_dump_log(const struct harness *h)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(h->log, "r");

	if (f == NULL)
		return;
	fprintf(stderr, "---- %s ----\n", h->log);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		(void)fwrite(buf, 1, n, stderr);
	fprintf(stderr, "---- end of log ----\n");
	(void)fclose(f);
}

/*
 * The environment of a child: ours, with each "K=V" of extra replacing a
 * variable K or added.  Returns a malloc'ed array of borrowed strings.
 */
static char **
harness_env(const char *const *extra)
{
	size_t n = 0, m = 0, i, j, k, klen;
	char **env;

	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[m] != NULL)
		m++;
	if ((env = calloc(n + m + 1, sizeof(*env))) == NULL)
		return NULL;
	k = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < m; j++) {
			klen = strcspn(extra[j], "=");
			if (strncmp(environ[i], extra[j], klen) == 0 &&
			    environ[i][klen] == '=')
				break;
		}
		if (j == m)
			env[k++] = environ[i];
	}
	for (j = 0; j < m; j++)
		env[k++] = (char *)(uintptr_t)extra[j];
	env[k] = NULL;
	return env;
}

/* In a forked child: never outlive the test, no stray fds. */
static void
harness_child_prepare(void)
{
	int fd;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)signal(SIGPIPE, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1) {
		(void)dup2(fd, STDIN_FILENO);
		(void)close(fd);
	}
	/* The test's own sockets must not leak into the daemon. */
	for (fd = 3; fd < 1024; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Whether something accepts connections at path. */
static bool
harness_sock_ready(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return false;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return false;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)close(fd);
	return rc == 0;
}

int
harness_start(struct harness *h, const char *const *argv,
    const char *const *envp)
{
	const char *args[HARNESS_MAX_ARGS];
	char *wrap = NULL, *tok, *save = NULL;
	const char *w = getenv("SMMU_TEST_WRAPPER");
	char **env;
	long long deadline;
	size_t n = 0;
	int fd, status;
	pid_t pid;

	if (w != NULL && *w != '\0') {
		if ((wrap = strdup(w)) == NULL)
			return -1;
		for (tok = strtok_r(wrap, " ", &save); tok != NULL &&
		    n < HARNESS_MAX_ARGS / 2; tok = strtok_r(NULL, " ", &save))
			args[n++] = tok;
	}
	args[n++] = harness_bin("smmud");
	args[n++] = "-f";
	args[n++] = "-c";
	args[n++] = h->conf;
	args[n++] = "-s";
	args[n++] = h->sock;
	while (argv != NULL && *argv != NULL && n < HARNESS_MAX_ARGS - 1)
		args[n++] = *argv++;
	args[n] = NULL;
	if ((env = harness_env(envp)) == NULL) {
		free(wrap);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		free(wrap);
		free(env);
		return -1;
	}
	if (pid == 0) {
		harness_child_prepare();
		fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0644);
		if (fd != -1) {
			(void)dup2(fd, STDOUT_FILENO);
			(void)dup2(fd, STDERR_FILENO);
		}
		execvpe(args[0], (char *const *)(uintptr_t)args, env);
		fprintf(stderr, "harness: exec %s: %s\n", args[0],
		    strerror(errno));
		_exit(127);
	}
	free(wrap);
	free(env);
	h->pid = pid;
	harness_track(h);
	deadline = harness_now_ms() + HARNESS_START_TIMEOUT_MS;
	while (harness_now_ms() < deadline) {
		if (harness_sock_ready(h->sock))
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			h->pid = -1;
			fprintf(stderr, "harness: smmud exited (status 0x%x) "
			    "before accepting on %s\n", status, h->sock);
			harness_dump_log(h);
			return -1;
		}
		harness_sleep_ms(HARNESS_POLL_MS);
	}
	fprintf(stderr, "harness: smmud did not accept on %s within %d ms\n",
	    h->sock, HARNESS_START_TIMEOUT_MS);
	harness_dump_log(h);
	(void)harness_signal_wait(h, SIGKILL, 1000);
	return -1;
}

int
harness_signal_wait(struct harness *h, int sig, int timeout_ms)
{
	long long deadline;
	int status;
	pid_t r;

	if (h->pid <= 0)
		return -1;
	if (kill(h->pid, sig) == -1 && errno != ESRCH)
		return -1;
	deadline = harness_now_ms() + timeout_ms;
	for (;;) {
		r = waitpid(h->pid, &status, WNOHANG);
		if (r == h->pid) {
			h->pid = -1;
			return status;
		}
		if (r == -1 && errno != EINTR) {
			h->pid = -1;
			return -1;
		}
		if (harness_now_ms() >= deadline)
			break;
		harness_sleep_ms(2);
	}
	(void)kill(h->pid, SIGKILL);
	while (waitpid(h->pid, &status, 0) == -1 && errno == EINTR)
		;
	h->pid = -1;
	return -1;
}

void
harness_stop(struct harness *h)
{
	if (h->pid > 0)
		(void)harness_signal_wait(h, SIGTERM, HARNESS_STOP_TIMEOUT_MS);
	if (h->dir[0] != '\0') {
		(void)nftw(h->dir, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
		h->dir[0] = '\0';
	}
	harness_untrack(h);
}

/* Append what fd has to *buf (a growing string). */
static int
harness_slurp(int fd, char **buf, size_t *len)
{
	char tmp[4096];
	char *n;
	ssize_t r;

	r = read(fd, tmp, sizeof(tmp));
	if (r <= 0)
		return r == -1 && errno == EINTR ? 1 : 0;
	if ((n = realloc(*buf, *len + (size_t)r + 1)) == NULL)
		return 0;
	*buf = n;
	memcpy(*buf + *len, tmp, (size_t)r);
	*len += (size_t)r;
	(*buf)[*len] = '\0';
	return 1;
}

int
harness_run(const char *const *argv, const char *const *envp, char **out,
    char **err)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	struct pollfd pfd[2];
	long long deadline;
	char **env;
	int status, n;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1)
		goto fail_pipes;
	if ((env = harness_env(envp)) == NULL)
		goto fail_pipes;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		free(env);
		goto fail_pipes;
	}
	if (pid == 0) {
		harness_child_prepare();
		(void)dup2(po[1], STDOUT_FILENO);
		(void)dup2(pe[1], STDERR_FILENO);
		execvpe(argv[0], (char *const *)(uintptr_t)argv, env);
		fprintf(stderr, "harness: exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	free(env);
	(void)close(po[1]);
	(void)close(pe[1]);
	obuf = calloc(1, 1);
	ebuf = calloc(1, 1);
	pfd[0].fd = po[0];
	pfd[1].fd = pe[0];
	pfd[0].events = pfd[1].events = POLLIN;
	deadline = harness_now_ms() + HARNESS_RUN_TIMEOUT_MS;
	while ((pfd[0].fd >= 0 || pfd[1].fd >= 0) &&
	    harness_now_ms() < deadline) {
		n = poll(pfd, 2, 100);
		if (n <= 0)
			continue;
		if (pfd[0].revents && !harness_slurp(po[0], &obuf, &olen))
			pfd[0].fd = -1;
		if (pfd[1].revents && !harness_slurp(pe[0], &ebuf, &elen))
			pfd[1].fd = -1;
	}
	(void)close(po[0]);
	(void)close(pe[0]);
	if (harness_now_ms() >= deadline)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (out != NULL)
		*out = obuf;
	else
		free(obuf);
	if (err != NULL)
		*err = ebuf;
	else
		free(ebuf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
fail_pipes:
	if (po[0] != -1) {
		(void)close(po[0]);
		(void)close(po[1]);
	}
	if (pe[0] != -1) {
		(void)close(pe[0]);
		(void)close(pe[1]);
	}
	return -1;
}

int
harness_connect_raw(const struct harness *h)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(h->sock) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, h->sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}
