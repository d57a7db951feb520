/*
 * log.h - smmud logging, the OpenBSD daemon log API.
 *
 * Owns: where log lines go and which priorities pass.  Every line goes to
 * stderr as one write(2).  When stderr is the journal (JOURNAL_STREAM is
 * set) or is not a terminal, each line starts with a "<N>" syslog
 * priority prefix (sd-daemon(3)), so journald files it at the right
 * level; on a terminal lines read "smmud: message".  Messages are lower
 * case, without a trailing period, "what: detail".
 *
 * Thread-safety: every function may be called from any thread; the level
 * is an atomic.  All functions preserve errno.
 */
#ifndef SMMUD_LOG_H
#define SMMUD_LOG_H

#include <stdarg.h>
#include <syslog.h>

/*
 * Initialise: decide on the prefix style and set the level to LOG_INFO
 * (LOG_DEBUG when verbose).  May be called again.
 */
void
log_init(int verbose);

/* Pass messages up to priority level (LOG_ERR .. LOG_DEBUG). */
void
log_setlevel(int level);

/* The current level. */
int
log_getlevel(void);

/* With verbose != 0, pass everything (LOG_DEBUG); else LOG_INFO. */
void
log_setverbose(int verbose);

/* Log at priority pri (a LOG_* value). */
void
log_msg(int pri, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void
log_vmsg(int pri, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Warning with ": strerror(errno)" appended. */
void
log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Warning without errno. */
void
log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Error (LOG_ERR) without errno. */
void
log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Notice: a normal but significant condition (LOG_NOTICE). */
void
log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void
log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void
log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log at LOG_CRIT with strerror(errno) appended, then exit(1). */
void
fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Log at LOG_CRIT, then exit(1). */
void
fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif /* SMMUD_LOG_H */
