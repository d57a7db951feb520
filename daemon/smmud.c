/*
 * smmud.c - main: options, start-up in dependency order, the main event
 * loop (listener, signals, timers), teardown in exact reverse.
 *
 * smmud never forks (systemd Type=notify, daemon(7)); -f is accepted for
 * symmetry with other daemons and changes nothing.  Logging always goes
 * to stderr (log.h).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "conf.h"
#include "conn.h"
#include "dispatch.h"
#include "log.h"
#include "sd.h"
#include "topo.h"

#ifndef SMMUD_VERSION
#define SMMUD_VERSION "0.0.0"
#endif

#define SMMUD_CONF_NAME "smmud.yaml"
#define SMMUD_CONF_DEFAULT "/etc/smmud/smmud.yaml"
#define SMMUD_DEFAULT_NAME "<default>"
#define SMMUD_STATUS_PERIOD_S 1

/* The running daemon (main thread only). */
static struct {
	const char *conf_path;		/* NULL: the embedded default */
	bool verbose;
	struct event_base *base;
	struct topo *topo;
	char *socket_path;
	int listen_fd;
	bool activated;
	struct event *sig_term;
	struct event *sig_int;
	struct event *sig_hup;
	struct event *status_timer;
	unsigned last_clients;
} smmud = { .listen_fd = -1 };

static void __attribute__((noreturn))
smmud_usage(FILE *out, int status)
{
	fprintf(out,
	    "usage: smmud [-fnv] [-c FILE] [-s SOCKET]\n"
	    "  -c, --config FILE     topology (default: "
	    "$CONFIGURATION_DIRECTORY/" SMMUD_CONF_NAME ",\n"
	    "                        else " SMMUD_CONF_DEFAULT
	    ", else the embedded default)\n"
	    "  -s, --socket SOCKET   listen on SOCKET (overrides the "
	    "topology)\n"
	    "  -f, --foreground      stay in the foreground (always the "
	    "case)\n"
	    "  -n, --check-config    check the topology and exit\n"
	    "  -v, --verbose         debug logging; with -n print the "
	    "canonical topology\n"
	    "      --version         print the version and exit\n"
	    "  -h, --help            this help\n");
	exit(status);
}

/*
 * The topology file to use when -c is not given: systemd's
 * ConfigurationDirectory (the first of a colon-separated list), else the
 * FHS path; NULL (the embedded default) when that file does not exist.
 */
static const char *
smmud_conf_default(void)
{
	static char path[4096];
	const char *dir = getenv("CONFIGURATION_DIRECTORY");
	size_t len;

	if (dir != NULL && *dir != '\0') {
		len = strcspn(dir, ":");
		(void)snprintf(path, sizeof(path), "%.*s/%s", (int)len, dir,
		    SMMUD_CONF_NAME);
	} else {
		(void)snprintf(path, sizeof(path), "%s", SMMUD_CONF_DEFAULT);
	}
	if (access(path, F_OK) == -1)
		return NULL;
	return path;
}

/* Load the topology from path, or the embedded default when NULL. */
static int
smmud_conf_load(const char *path, struct smmud_conf **ret, char **ret_errors)
{
	if (path != NULL)
		return conf_load(path, ret, ret_errors);
	return conf_load_string(SMMUD_DEFAULT_NAME, conf_default_yaml,
	    conf_default_yaml_len, ret, ret_errors);
}

/* Log every line of a conf_load() error text at LOG_ERR. */
static void
smmud_log_errors(const char *errors)
{
	const char *p = errors, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		log_errx("%.*s", nl != NULL ? (int)(nl - p) : (int)strlen(p),
		    p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

/* -n: check the topology, print the verdict, exit. */
static void __attribute__((noreturn))
smmud_check_config(void)
{
	struct smmud_conf *c = NULL;
	char *errors = NULL;

	if (smmud_conf_load(smmud.conf_path, &c, &errors) == -1) {
		if (errors != NULL)
			fputs(errors, stderr);
		if (errors == NULL || *errors == '\0' ||
		    errors[strlen(errors) - 1] != '\n')
			fputc('\n', stderr);
		free(errors);
		exit(1);
	}
	free(errors);
	if (smmud.verbose) {
		/* stdout is the canonical YAML alone (golden tests). */
		conf_print(c, stdout);
		fprintf(stderr, "configuration OK\n");
	} else {
		printf("configuration OK\n");
	}
	conf_free(c);
	exit(fflush(stdout) == 0 ? 0 : 1);
}

/* The STATUS= text: clients and socket. */
static void
smmud_status_line(char *buf, size_t len)
{
	unsigned n = conn_clients();

	(void)snprintf(buf, len, "serving %u client%s on %s", n,
	    n == 1 ? "" : "s", smmud.activated ? "the activated socket" :
	    smmud.socket_path);
	smmud.last_clients = n;
}

/* Send the STATUS= line. */
static void
smmud_status(void)
{
	char status[512];

	smmud_status_line(status, sizeof(status));
	sd_status(status);
}

/* Periodic: refresh STATUS= when the client count changed. */
static void
smmud_status_cb(evutil_socket_t fd, short what, void *arg)
{
	if (conn_clients() != smmud.last_clients)
		smmud_status();
}

/* SIGTERM/SIGINT: stop accepting, let the loop finish, exit 0. */
static void
smmud_sigterm_cb(evutil_socket_t sig, short what, void *arg)
{
	log_info("received %s, stopping", sig == SIGINT ? "SIGINT" :
	    "SIGTERM");
	sd_stopping();
	conn_stop_accepting();
	(void)event_base_loopexit(smmud.base, NULL);
}

/* SIGHUP: re-read the topology and apply it only if it is valid. */
static void
smmud_sighup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct smmud_conf *c = NULL;
	char *errors = NULL, status[512];
	const char *name = smmud.conf_path != NULL ? smmud.conf_path :
	    SMMUD_DEFAULT_NAME;

	log_info("received SIGHUP, reloading '%s'", name);
	sd_reloading();
	if (smmud_conf_load(smmud.conf_path, &c, &errors) == -1) {
		smmud_log_errors(errors);
		log_errx("reload failed, keeping the running topology");
	} else if (topo_reload(smmud.topo, c) == 0 && !smmud.verbose) {
		log_setlevel(topo_view_get(smmud.topo)->conf->log_level);
	}
	free(errors);
	smmud_status_line(status, sizeof(status));
	sd_ready(status);
}

/* Create and add a signal or timer event on the main base. */
static struct event *
smmud_event(int sig, event_callback_fn cb, const struct timeval *tv)
{
	struct event *ev;

	if (sig >= 0)
		ev = evsignal_new(smmud.base, sig, cb, NULL);
	else
		ev = event_new(smmud.base, -1, EV_PERSIST, cb, NULL);
	if (ev == NULL || event_add(ev, tv) == -1)
		fatalx("cannot create the main loop events");
	return ev;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct timeval status_tv = { SMMUD_STATUS_PERIOD_S, 0 };
	const struct smmud_conf *conf;
	struct smmud_conf *c = NULL;
	const char *opt_socket = NULL;
	char *errors = NULL;
	char status[512];
	bool check = false, have_conf = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:s:fnvh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			smmud.conf_path = optarg;
			have_conf = true;
			break;
		case 's':
			opt_socket = optarg;
			break;
		case 'f':
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			smmud.verbose = true;
			break;
		case 'V':
			printf("smmud %s\n", SMMUD_VERSION);
			return 0;
		case 'h':
			smmud_usage(stdout, 0);
		default:
			smmud_usage(stderr, 1);
		}
	}
	if (optind != argc)
		smmud_usage(stderr, 1);
	if (!have_conf)
		smmud.conf_path = smmud_conf_default();
	if (check)
		smmud_check_config();

	/* A write to a departed client must fail with EPIPE, not kill us. */
	(void)signal(SIGPIPE, SIG_IGN);
	log_init(smmud.verbose);
	log_info("smmud %s starting", SMMUD_VERSION);

	if (smmud_conf_load(smmud.conf_path, &c, &errors) == -1) {
		smmud_log_errors(errors);
		fatalx("%s: bad topology, not starting", smmud.conf_path !=
		    NULL ? smmud.conf_path : SMMUD_DEFAULT_NAME);
	}
	free(errors);
	if (!smmud.verbose)
		log_setlevel(c->log_level);
	smmud.socket_path = strdup(opt_socket != NULL ? opt_socket :
	    c->socket != NULL ? c->socket : "");
	if (smmud.socket_path == NULL)
		fatal("strdup");

	/* libevent: locking on before the first event_base (threads). */
	if (evthread_use_pthreads() == -1)
		fatalx("libevent: no pthreads support");
	if ((smmud.base = event_base_new()) == NULL)
		fatalx("libevent: cannot create the main event base");

	/* The VMs (the topology owns c from here on). */
	if ((smmud.topo = topo_create(c, status, sizeof(status))) == NULL)
		fatalx("%s", status);
	conf = topo_view_get(smmud.topo)->conf;
	dispatch_init(smmud.topo);

	smmud.listen_fd = sd_socket_open(smmud.socket_path, &smmud.activated);
	if (conn_init(smmud.base, smmud.listen_fd, smmud.topo,
	    conf->workers) == -1)
		fatalx("cannot start the workers");

	smmud.sig_term = smmud_event(SIGTERM, smmud_sigterm_cb, NULL);
	smmud.sig_int = smmud_event(SIGINT, smmud_sigterm_cb, NULL);
	smmud.sig_hup = smmud_event(SIGHUP, smmud_sighup_cb, NULL);
	smmud.status_timer = smmud_event(-1, smmud_status_cb, &status_tv);
	if (sd_watchdog_start(smmud.base) == -1)
		fatalx("cannot start the watchdog timer");

	smmud_status_line(status, sizeof(status));
	log_info("ready: %u VM%s, %s", topo_view_get(smmud.topo)->nr_vms,
	    topo_view_get(smmud.topo)->nr_vms == 1 ? "" : "s", status);
	sd_ready(status);

	if (event_base_dispatch(smmud.base) == -1)
		log_warnx("main loop failed");

	/* Teardown, in exact reverse. */
	sd_watchdog_stop();
	event_free(smmud.status_timer);
	event_free(smmud.sig_hup);
	event_free(smmud.sig_int);
	event_free(smmud.sig_term);
	conn_fini();
	sd_socket_close(smmud.listen_fd, smmud.socket_path, smmud.activated);
	topo_destroy(smmud.topo);
	event_base_free(smmud.base);
	libevent_global_shutdown();
	free(smmud.socket_path);
	log_info("stopped");
	return 0;
}
