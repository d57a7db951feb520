/*
 * conn.h - the listener, the worker threads and client connections.
 *
 * Owns: accepting on the listening socket (main event_base), the N worker
 * threads (each with its own event_base), and every client connection:
 * peer credentials, SCM_RIGHTS fds, framing, per-client limits,
 * backpressure and closing.  Frames are executed by dispatch.h.
 *
 * An accepted fd is handed to a worker through that worker's
 * mutex-protected queue plus event_active() on its wake event; from then
 * on only that worker touches the connection.
 *
 * Thread-safety: conn_init(), conn_stop_accepting() and conn_fini() on
 * the main thread; conn_stats_get() and conn_clients() from any thread.
 */
#ifndef SMMUD_CONN_H
#define SMMUD_CONN_H

#include <stdint.h>

#include "topo.h"

struct event_base;

/* Daemon-wide counters, summed over the workers. */
struct conn_stats {
	unsigned clients;
	unsigned workers;
	uint64_t requests;
	uint64_t errors;	/* replies with a status other than OK */
	uint64_t bytes_in;
	uint64_t bytes_out;
};

/*
 * Start nr_workers worker threads (0: one per online CPU) and accept on
 * listen_fd (borrowed, already listening and non-blocking) from base.
 * t is borrowed.  Returns 0 or -1 (logged).
 */
int
conn_init(struct event_base *base, int listen_fd, struct topo *t,
    unsigned nr_workers);

/* Stop accepting new connections (shutdown has begun). */
void
conn_stop_accepting(void);

/*
 * Stop the workers: each sends what it can of its pending output without
 * blocking, closes its connections and exits; then join and free
 * everything.  Safe if conn_init() failed or never ran.
 */
void
conn_fini(void);

/* Sum the counters into *ret. */
void
conn_stats_get(struct conn_stats *ret);

/* Connected clients right now. */
unsigned
conn_clients(void);

#endif /* SMMUD_CONN_H */
