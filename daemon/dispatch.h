/*
 * dispatch.h - executing one request frame: unpack, gate, handle, reply.
 *
 * Owns: the dispatch table (one entry per Request body case: name,
 * handler, flags), the permission and state gates that run before every
 * handler, the handlers themselves, and the single reply path.  Handlers
 * never touch the socket: they fill the Response being built, and
 * dispatch_frame() hands it to the caller's reply callback, which packs
 * it into the connection's output.
 *
 * The unpacked Request is owned by dispatch_frame() and freed at its end;
 * the Response points at borrowed or per-request memory that is freed
 * after the reply callback returns.
 *
 * Thread-safety: dispatch_frame() runs on any worker thread, for one
 * client at a time per struct dispatch_client.
 */
#ifndef SMMUD_DISPATCH_H
#define SMMUD_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "topo.h"

#define DISPATCH_CLIENT_NAME_MAX 63

/* Per-connection state the dispatcher reads and updates. */
struct dispatch_client {
	struct topo_peer peer;		/* from SO_PEERCRED at accept */
	char label[96];			/* "client 7 (uid 0, pid 12)" */
	char name[DISPATCH_CLIENT_NAME_MAX + 1]; /* Hello.client_name */
	bool hello;			/* a Hello was accepted */
	bool close;			/* close once the reply is sent */
	/*
	 * File descriptors that arrived with SCM_RIGHTS, oldest first:
	 * fd_pop() transfers ownership of the oldest one (or returns -1).
	 */
	int (*fd_pop)(void *arg);
	unsigned (*fd_count)(void *arg);
	void *fd_arg;
};

/*
 * Sink for a finished Response: pack it into the output (borrowed; copy
 * what you keep).  Returns 0, or -1 if it could not be queued.
 */
typedef int (*dispatch_reply_cb)(void *arg, const Smmu__V1__Response *resp);

/* Set the topology the handlers serve (borrowed) and the start time. */
void
dispatch_init(struct topo *t);

/*
 * Execute one frame body of len bytes: unpack (with a heap budget
 * derived from max_frame), gate, run the handler, reply once through
 * reply.  Sets c->close when the stream can no longer be trusted or the
 * request says so (a bad Hello).  Returns the Status of the reply.
 */
int
dispatch_frame(struct dispatch_client *c, const uint8_t *buf, size_t len,
    uint32_t max_frame, dispatch_reply_cb reply, void *arg);

/*
 * Reply with an error not tied to a handler (id may be 0): status and a
 * printf-style message.  Returns what reply returns.
 */
int
dispatch_reply_error(dispatch_reply_cb reply, void *arg, uint32_t id,
    int status, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Name of a request body case ("Translate"), or NULL if unknown.  The
 * same table smmuctl's help could be built from.
 */
const char *
dispatch_request_name(unsigned body_case);

#endif /* SMMUD_DISPATCH_H */
