/*
 * sd.c - socket activation, readiness notification and the watchdog.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "sd.h"

#define SD_BACKLOG 128
#define SD_SOCKET_MODE 0660
#define SD_DIR_MODE 0755

static struct event *sd_watchdog_ev;

/* Make fd non-blocking and close-on-exec (an inherited fd may be not). */
static void
sd_fd_prepare(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("socket: fcntl O_NONBLOCK");
	if ((fl = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		fatal("socket: fcntl FD_CLOEXEC");
}

/* mkdir -p for the directory part of path (mode SD_DIR_MODE). */
static void
sd_mkdir_parents(const char *path)
{
	char buf[PATH_MAX];
	char *p;
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		fatalx("socket: path too long: '%s'", path);
	memcpy(buf, path, len + 1);
	if ((p = strrchr(buf, '/')) == NULL || p == buf)
		return;
	*p = '\0';
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, SD_DIR_MODE) == -1 && errno != EEXIST)
			fatal("socket: mkdir '%s'", buf);
		*p = '/';
	}
	if (mkdir(buf, SD_DIR_MODE) == -1 && errno != EEXIST)
		fatal("socket: mkdir '%s'", buf);
}

/*
 * If a file sits at path, remove it only if it is a socket nobody
 * listens on (connect() refused): a live smmud must not lose its socket
 * to a second instance.
 */
static void
sd_unlink_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return;
		fatal("socket: '%s'", path);
	}
	if (!S_ISSOCK(st.st_mode))
		fatalx("socket: '%s' exists and is not a socket", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	if (r == 0) {
		(void)close(fd);
		fatalx("socket: another daemon is listening on '%s'", path);
	}
	if (errno != ECONNREFUSED) {
		int saved = errno;

		(void)close(fd);
		errno = saved;
		fatal("socket: probing '%s'", path);
	}
	(void)close(fd);
	log_info("socket: removing stale '%s'", path);
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("socket: unlink '%s'", path);
}

/* Bind and listen on our own socket at path. */
static int
sd_socket_bind(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path == NULL || *path == '\0')
		fatalx("socket: no socket path configured");
	if (strlen(path) >= sizeof(sun.sun_path))
		fatalx("socket: path longer than %zu bytes: '%s'",
		    sizeof(sun.sun_path) - 1, path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	sd_mkdir_parents(path);
	sd_unlink_stale(path, &sun);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		fatal("socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("socket: bind '%s'", path);
	/* Access is decided by the file mode, then by the access rules. */
	if (chmod(path, SD_SOCKET_MODE) == -1)
		fatal("socket: chmod '%s'", path);
	if (listen(fd, SD_BACKLOG) == -1)
		fatal("socket: listen '%s'", path);
	log_info("listening on '%s'", path);
	return fd;
}

int
sd_socket_open(const char *path, bool *ret_activated)
{
	int n, fd;

	n = sd_listen_fds(1);
	if (n < 0) {
		errno = -n;
		fatal("socket activation: sd_listen_fds");
	}
	if (n == 0) {
		*ret_activated = false;
		return sd_socket_bind(path);
	}
	if (n != 1)
		fatalx("socket activation: expected exactly one socket, "
		    "got %d", n);
	fd = SD_LISTEN_FDS_START;
	if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
		fatalx("socket activation: fd %d is not a listening "
		    "AF_UNIX stream socket", fd);
	sd_fd_prepare(fd);
	log_info("listening on the socket passed by systemd (fd %d)", fd);
	*ret_activated = true;
	return fd;
}

void
sd_socket_close(int fd, const char *path, bool activated)
{
	if (fd >= 0)
		(void)close(fd);
	if (!activated && path != NULL && *path != '\0')
		(void)unlink(path);
}

void
sd_ready(const char *status)
{
	(void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
sd_status(const char *status)
{
	(void)sd_notifyf(0, "STATUS=%s", status);
}

void
sd_reloading(void)
{
	struct timespec ts;
	unsigned long long usec;

	/* MONOTONIC_USEC lets a newer systemd match READY=1 to this. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	usec = (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000;
	(void)sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\n"
	    "MONOTONIC_USEC=%llu", usec);
}

void
sd_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

/* Watchdog timer: tell systemd the main loop still runs. */
static void
sd_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)sd_notify(0, "WATCHDOG=1");
}

int
sd_watchdog_start(struct event_base *base)
{
	uint64_t usec = 0;
	struct timeval tv;
	int r;

	r = sd_watchdog_enabled(0, &usec);
	if (r < 0) {
		errno = -r;
		log_warn("watchdog: WATCHDOG_USEC, ignoring");
		return 0;
	}
	if (r == 0 || usec == 0)
		return 0;
	/* Ping at half the interval, as sd_watchdog_enabled(3) advises. */
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	sd_watchdog_ev = event_new(base, -1, EV_PERSIST, sd_watchdog_cb, NULL);
	if (sd_watchdog_ev == NULL || event_add(sd_watchdog_ev, &tv) == -1) {
		log_warnx("watchdog: cannot create the timer");
		sd_watchdog_stop();
		return -1;
	}
	(void)sd_notify(0, "WATCHDOG=1");
	log_info("watchdog: pinging every %llu ms",
	    (unsigned long long)usec / 1000);
	return 0;
}

void
sd_watchdog_stop(void)
{
	if (sd_watchdog_ev != NULL) {
		event_free(sd_watchdog_ev);
		sd_watchdog_ev = NULL;
	}
}
