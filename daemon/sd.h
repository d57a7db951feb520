/*
 * sd.h - everything smmud does with systemd's sd-daemon API.
 *
 * Owns: the listening socket (inherited through socket activation or
 * bound by us), the sd_notify() messages (READY, STATUS, RELOADING,
 * STOPPING) and the watchdog timer.  Nothing else in the daemon calls
 * libsystemd.  With the systemd environment variables unset every
 * notification is a no-op and the socket is bound by us, so the same
 * binary runs by hand, under systemd, and in the tests.
 *
 * The functions keep libsystemd's sd_ prefix as the module prefix; none
 * of them is a libsystemd symbol.  Notifications always pass
 * unset_environment = 0 (sd_notify(1, ...) would unset NOTIFY_SOCKET and
 * silence later watchdog pings).
 *
 * Thread-safety: sd_status() may be called from any thread; the others
 * from the main thread.
 */
#ifndef SMMUD_SD_H
#define SMMUD_SD_H

#include <stdbool.h>

struct event_base;

/*
 * The listening socket: the one systemd passed (exactly one AF_UNIX
 * SOCK_STREAM listening socket, else fatal), or, when none was passed,
 * one bound at path (its directory created, a stale socket file removed
 * only when nobody answers on it, mode 0660).  Returns a non-blocking,
 * close-on-exec fd; calls fatal() on failure.  *ret_activated tells
 * which it was.
 */
int
sd_socket_open(const char *path, bool *ret_activated);

/*
 * Close the socket; unlink path if we bound it ourselves (not on
 * activation: systemd owns that file).
 */
void
sd_socket_close(int fd, const char *path, bool activated);

/* READY=1 with a STATUS= line. */
void
sd_ready(const char *status);

/* STATUS= line alone. */
void
sd_status(const char *status);

/* RELOADING=1 (with MONOTONIC_USEC=) before a reload. */
void
sd_reloading(void);

/* STOPPING=1 when shutting down. */
void
sd_stopping(void);

/*
 * If systemd asked for watchdog pings (WATCHDOG_USEC, for our pid), send
 * WATCHDOG=1 every half interval from a timer on base.  Returns 0 (also
 * when not asked) or -1.
 */
int
sd_watchdog_start(struct event_base *base);

/* Stop and free the watchdog timer.  Safe when never started. */
void
sd_watchdog_stop(void);

#endif /* SMMUD_SD_H */
