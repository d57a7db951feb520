/*
 * conn.c - the listener, the worker threads and client connections.
 *
 * A connection is driven by two raw events on its fd (libevent
 * bufferevents cannot carry SCM_RIGHTS): EV_READ calls recvmsg() into the
 * input evbuffer and queues received fds; EV_WRITE, armed only while
 * output is pending, sends the output evbuffer with sendmsg(MSG_NOSIGNAL).
 * After every read all complete frames are executed in order
 * (pipelining) and the replies sent at once where the socket allows.
 *
 * States: OPEN serves requests.  CLOSING ("flush, then close", tmux's
 * PEER_BAD) stops reading and executing, sends what is queued (the error
 * reply that explains the close), then shuts down the write side.  LINGER
 * discards input until the peer closes too or a timer fires, so the peer
 * reads our last reply followed by a clean EOF rather than ECONNRESET.
 *
 * Backpressure: when more than 4 x max_frame bytes of replies are pending,
 * the connection stops reading and executing until the output drains
 * below max_frame.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "conn.h"
#include "dispatch.h"
#include "frame.h"
#include "log.h"
#include "topo.h"

#define CONN_MAX_FDS 64			/* queued SCM_RIGHTS fds */
#define CONN_READ_CHUNK 65536		/* bytes per recvmsg() */
#define CONN_SEND_IOV 16		/* iovecs per sendmsg() */
#define CONN_HELLO_TIMEOUT_S 10		/* Hello must arrive by then */
#define CONN_CLOSE_TIMEOUT_S 5		/* CLOSING/LINGER give up after */
#define CONN_ACCEPT_RETRY_MS 100	/* listener pause after EMFILE */
#define CONN_HIGH_WATER_FRAMES 4	/* stop reading above 4 x max */
#define CONN_WORKERS_MAX 256

enum conn_state {
	CONN_OPEN,	/* serving */
	CONN_CLOSING,	/* sending the last replies, then shut down */
	CONN_LINGER	/* write side shut; discarding input until EOF */
};

struct conn_worker;

struct conn {
	TAILQ_ENTRY(conn) entry;
	struct conn_worker *w;
	int fd;
	unsigned long long id;
	enum conn_state state;
	bool paused;		/* not reading: output above high water */
	bool eof;		/* the peer closed its write side */
	bool fd_overflow;	/* too many fds: protocol error */
	bool counted;		/* counts as a client (not refused) */
	struct event *rev;
	struct event *wev;
	struct event *timer;	/* Hello deadline, then close deadline */
	struct evbuffer *in;
	struct evbuffer *out;
	int fds[CONN_MAX_FDS];	/* ring of received fds */
	unsigned fd_head;
	unsigned nr_fds;
	struct dispatch_client client;
};

/* An accepted connection on its way to a worker. */
struct conn_new {
	STAILQ_ENTRY(conn_new) entry;
	int fd;
	unsigned long long id;
	struct topo_peer peer;
	int refuse;		/* a Status: refuse with msg, then close */
	char msg[128];
};

struct conn_worker {
	unsigned idx;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct event *wake;
	pthread_mutex_t lock;		/* protects queue and stop */
	STAILQ_HEAD(, conn_new) queue;
	bool stop;
	TAILQ_HEAD(, conn) conns;		/* worker thread only */
	/* Written by the worker, read by conn_stats_get() (atomics). */
	uint64_t requests;
	uint64_t errors;
	uint64_t bytes_in;
	uint64_t bytes_out;
	unsigned clients;
};

static struct {
	struct event_base *base;	/* main thread's */
	struct evconnlistener *lev;
	struct event *retry;		/* re-enables the listener */
	bool accept_failing;		/* log accept errors once per run */
	struct topo *topo;
	struct conn_worker *workers;
	unsigned nr_workers;
	unsigned next;			/* round-robin */
	unsigned clients;		/* atomic */
	unsigned long long next_id;
} conn_g;

static void conn_free(struct conn *c);
static void conn_pump(struct conn *c);

/* Relaxed atomic add on a counter another thread may read. */
static inline void
conn_count(uint64_t *ctr, uint64_t n)
{
	__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

/* The max_frame in force. */
static uint32_t
conn_max_frame(void)
{
	return topo_view_get(conn_g.topo)->conf->max_frame;
}

/* fd queue: pop the oldest fd (ownership to the caller), or -1. */
static int
conn_fd_pop(void *arg)
{
	struct conn *c = arg;
	int fd;

	if (c->nr_fds == 0)
		return -1;
	fd = c->fds[c->fd_head];
	c->fd_head = (c->fd_head + 1) % CONN_MAX_FDS;
	c->nr_fds--;
	return fd;
}

static unsigned
conn_fd_count(void *arg)
{
	struct conn *c = arg;

	return c->nr_fds;
}

/* Queue a received fd; close it and flag a protocol error when full. */
static void
conn_fd_push(struct conn *c, int fd)
{
	if (c->nr_fds == CONN_MAX_FDS) {
		(void)close(fd);
		c->fd_overflow = true;
		return;
	}
	c->fds[(c->fd_head + c->nr_fds) % CONN_MAX_FDS] = fd;
	c->nr_fds++;
}

/* Close every queued fd. */
static void
conn_fds_close(struct conn *c)
{
	int fd;

	while ((fd = conn_fd_pop(c)) != -1)
		(void)close(fd);
}

/* Reply sink for dispatch: pack the Response into the output buffer. */
static int
conn_reply(void *arg, const Smmu__V1__Response *resp)
{
	struct conn *c = arg;
	struct evbuffer_iovec v;
	size_t len = frame_size(&resp->base);

	if (evbuffer_reserve_space(c->out, (ev_ssize_t)len, &v, 1) != 1) {
		log_warnx("%s: out of memory for a reply", c->client.label);
		return -1;
	}
	v.iov_len = frame_pack_into(&resp->base, v.iov_base);
	if (evbuffer_commit_space(c->out, &v, 1) == -1)
		return -1;
	return 0;
}

/*
 * Stop executing requests; close once the replies already queued (the
 * one explaining why, usually) are sent.
 */
static void
conn_close_after_reply(struct conn *c)
{
	struct timeval tv = { CONN_CLOSE_TIMEOUT_S, 0 };

	if (c->state != CONN_OPEN)
		return;
	c->state = CONN_CLOSING;
	(void)event_del(c->rev);
	(void)evbuffer_drain(c->in, evbuffer_get_length(c->in));
	conn_fds_close(c);
	/* A peer that never reads its last reply is dropped anyway. */
	(void)evtimer_add(c->timer, &tv);
}

/*
 * Receive once: bytes into the input buffer, SCM_RIGHTS fds onto the fd
 * queue.  Returns the byte count, 0 on EOF, -1 with errno on error.
 */
static ssize_t
conn_recv(struct conn *c)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * FRAME_MAX_FDS)];
	} cbuf;
	struct evbuffer_iovec v;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;
	size_t i, nfd;
	int fd, saved;

	if (evbuffer_reserve_space(c->in, CONN_READ_CHUNK, &v, 1) != 1) {
		errno = ENOMEM;
		return -1;
	}
	iov.iov_base = v.iov_base;
	iov.iov_len = v.iov_len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	saved = errno;
	if (n > 0) {
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < nfd; i++) {
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
				    sizeof(int));
				conn_fd_push(c, fd);
			}
		}
		/* The kernel closed the fds that did not fit. */
		if (msg.msg_flags & MSG_CTRUNC)
			c->fd_overflow = true;
		v.iov_len = (size_t)n;
		(void)evbuffer_commit_space(c->in, &v, 1);
		conn_count(&c->w->bytes_in, (uint64_t)n);
	} else {
		(void)evbuffer_commit_space(c->in, NULL, 0);
	}
	errno = saved;
	return n;
}

/*
 * Send as much pending output as the socket takes.  Returns 0, or -1
 * when the peer is gone (EPIPE, ECONNRESET, ...).
 */
static int
conn_send(struct conn *c)
{
	struct evbuffer_iovec v[CONN_SEND_IOV];
	struct iovec iov[CONN_SEND_IOV];
	struct msghdr msg;
	ssize_t n;
	int i, nv;

	while (evbuffer_get_length(c->out) > 0) {
		nv = evbuffer_peek(c->out, -1, NULL, v, CONN_SEND_IOV);
		if (nv > CONN_SEND_IOV)
			nv = CONN_SEND_IOV;
		for (i = 0; i < nv; i++) {
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)nv;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		(void)evbuffer_drain(c->out, (size_t)n);
		conn_count(&c->w->bytes_out, (uint64_t)n);
	}
	return 0;
}

/* Execute every complete frame in the input buffer, in order. */
static void
conn_process(struct conn *c)
{
	uint8_t hdr[FRAME_HDR_LEN];
	unsigned char *data;
	size_t have, high;
	uint32_t flen, max;
	int status;

	while (c->state == CONN_OPEN && !c->paused) {
		if (c->fd_overflow) {
			log_warnx("%s: more than %d file descriptors queued "
			    "or in one message, closing", c->client.label,
			    FRAME_MAX_FDS);
			(void)dispatch_reply_error(conn_reply, c, 0,
			    SMMU__V1__STATUS__STATUS_RESOURCE_EXHAUSTED,
			    "too many file descriptors (at most %d per "
			    "message, %d queued)", FRAME_MAX_FDS,
			    CONN_MAX_FDS);
			conn_count(&c->w->errors, 1);
			conn_close_after_reply(c);
			break;
		}
		have = evbuffer_get_length(c->in);
		if (have < FRAME_HDR_LEN)
			break;
		(void)evbuffer_copyout(c->in, hdr, FRAME_HDR_LEN);
		flen = frame_hdr_get(hdr);
		max = conn_max_frame();
		/* Refused before a byte of the body is buffered. */
		if (flen > max) {
			log_warnx("%s: frame of %u bytes exceeds max_frame %u, "
			    "closing", c->client.label, flen, max);
			(void)dispatch_reply_error(conn_reply, c, 0,
			    SMMU__V1__STATUS__STATUS_RESOURCE_EXHAUSTED,
			    "frame of %u bytes exceeds max_frame %u", flen,
			    max);
			conn_count(&c->w->errors, 1);
			conn_close_after_reply(c);
			break;
		}
		if (have - FRAME_HDR_LEN < flen)
			break;
		data = evbuffer_pullup(c->in, (ev_ssize_t)(FRAME_HDR_LEN +
		    flen));
		if (data == NULL) {
			log_warnx("%s: out of memory, closing",
			    c->client.label);
			conn_close_after_reply(c);
			break;
		}
		status = dispatch_frame(&c->client, data + FRAME_HDR_LEN,
		    flen, max, conn_reply, c);
		(void)evbuffer_drain(c->in, FRAME_HDR_LEN + flen);
		conn_count(&c->w->requests, 1);
		if (status != SMMU__V1__STATUS__STATUS_OK)
			conn_count(&c->w->errors, 1);
		if (c->client.hello && c->state == CONN_OPEN &&
		    evtimer_pending(c->timer, NULL))
			(void)evtimer_del(c->timer);
		if (c->client.close) {
			conn_close_after_reply(c);
			break;
		}
		high = (size_t)CONN_HIGH_WATER_FRAMES * max;
		if (evbuffer_get_length(c->out) > high) {
			/* Backpressure: no more reading until it drains. */
			c->paused = true;
			(void)event_del(c->rev);
			log_debug("%s: %zu bytes of replies pending, pausing",
			    c->client.label, evbuffer_get_length(c->out));
		}
	}
}

/* Output drained in CLOSING: shut down our side and linger. */
static void
conn_linger(struct conn *c)
{
	struct timeval tv = { CONN_CLOSE_TIMEOUT_S, 0 };

	if (c->eof) {
		conn_free(c);
		return;
	}
	(void)shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	(void)evtimer_add(c->timer, &tv);
	(void)event_add(c->rev, NULL);
}

/*
 * Execute what can be executed, send what can be sent, and arm the
 * events for the rest.  May free c.
 */
static void
conn_pump(struct conn *c)
{
	size_t pending;

	for (;;) {
		conn_process(c);
		if (conn_send(c) == -1) {
			log_debug("%s: send: %s", c->client.label,
			    strerror(errno));
			conn_free(c);
			return;
		}
		pending = evbuffer_get_length(c->out);
		if (c->paused && c->state == CONN_OPEN &&
		    pending <= conn_max_frame()) {
			c->paused = false;
			if (!c->eof)
				(void)event_add(c->rev, NULL);
			log_debug("%s: output drained, resuming",
			    c->client.label);
			continue;
		}
		break;
	}
	if (pending > 0) {
		if (!event_pending(c->wev, EV_WRITE, NULL))
			(void)event_add(c->wev, NULL);
		return;
	}
	(void)event_del(c->wev);
	if (c->state == CONN_CLOSING)
		conn_linger(c);
	else if (c->state == CONN_OPEN && c->eof)
		conn_free(c);
}

/* EV_READ: receive, then execute and reply. */
static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	size_t partial;
	ssize_t n;

	n = conn_recv(c);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (c->state == CONN_LINGER) {
		/* Discard: the conversation is over. */
		(void)evbuffer_drain(c->in, evbuffer_get_length(c->in));
		conn_fds_close(c);
		if (n <= 0)
			conn_free(c);
		return;
	}
	if (n == -1) {
		if (errno != ECONNRESET)
			log_debug("%s: recvmsg: %s", c->client.label,
			    strerror(errno));
		conn_free(c);
		return;
	}
	if (n == 0) {
		/* Replies to complete requests are still sent. */
		c->eof = true;
		(void)event_del(c->rev);
		partial = evbuffer_get_length(c->in);
		if (partial > 0)
			log_debug("%s: closed with %zu bytes of an incomplete "
			    "frame", c->client.label, partial);
		else
			log_debug("%s: disconnected", c->client.label);
	}
	conn_pump(c);
}

/* EV_WRITE: the socket takes more output. */
static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_pump(arg);
}

/* Timer: no Hello in time, or a closing peer took too long. */
static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->state != CONN_OPEN) {
		conn_free(c);
		return;
	}
	if (c->client.hello)
		return;
	log_warnx("%s: no Hello within %d s, closing", c->client.label,
	    CONN_HELLO_TIMEOUT_S);
	(void)dispatch_reply_error(conn_reply, c, 0,
	    SMMU__V1__STATUS__STATUS_FAILED_PRECONDITION,
	    "no Hello within %d s", CONN_HELLO_TIMEOUT_S);
	conn_close_after_reply(c);
	conn_pump(c);
}

/* Free a connection and everything it holds. */
static void
conn_free(struct conn *c)
{
	struct conn_worker *w = c->w;

	TAILQ_REMOVE(&w->conns, c, entry);
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	conn_fds_close(c);
	(void)close(c->fd);
	if (c->counted) {
		__atomic_fetch_sub(&w->clients, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&conn_g.clients, 1, __ATOMIC_RELAXED);
	}
	free(c);
}

/*
 * Set up a connection handed over by the listener (worker thread).  A
 * refused one gets its one reply and goes through the closing states
 * like any other, so the peer can read why before it sees EOF.
 */
static void
conn_create(struct conn_worker *w, const struct conn_new *cn)
{
	struct timeval tv = { CONN_HELLO_TIMEOUT_S, 0 };
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("client %llu: out of memory, closing", cn->id);
		(void)close(cn->fd);
		if (cn->refuse == SMMU__V1__STATUS__STATUS_OK)
			__atomic_fetch_sub(&conn_g.clients, 1,
			    __ATOMIC_RELAXED);
		return;
	}
	c->w = w;
	c->fd = cn->fd;
	c->id = cn->id;
	c->counted = cn->refuse == SMMU__V1__STATUS__STATUS_OK;
	c->client.peer = cn->peer;
	(void)snprintf(c->client.label, sizeof(c->client.label),
	    "client %llu (uid %u, pid %d)", cn->id, (unsigned)cn->peer.uid,
	    (int)cn->peer.pid);
	c->client.fd_pop = conn_fd_pop;
	c->client.fd_count = conn_fd_count;
	c->client.fd_arg = c;
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->rev = event_new(w->base, c->fd, EV_READ | EV_PERSIST, conn_read_cb,
	    c);
	c->wev = event_new(w->base, c->fd, EV_WRITE | EV_PERSIST,
	    conn_write_cb, c);
	c->timer = evtimer_new(w->base, conn_timer_cb, c);
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	if (c->counted)
		__atomic_fetch_add(&w->clients, 1, __ATOMIC_RELAXED);
	if (c->in == NULL || c->out == NULL || c->rev == NULL ||
	    c->wev == NULL || c->timer == NULL ||
	    event_add(c->rev, NULL) == -1 ||
	    evtimer_add(c->timer, &tv) == -1) {
		log_warnx("%s: out of memory, closing", c->client.label);
		conn_free(c);
		return;
	}
	if (!c->counted) {
		(void)dispatch_reply_error(conn_reply, c, 0, cn->refuse, "%s",
		    cn->msg);
		conn_count(&w->errors, 1);
		conn_close_after_reply(c);
		conn_pump(c);
		return;
	}
	log_debug("%s: connected (worker %u)", c->client.label, w->idx);
}

/* Worker shutdown: flush what can be flushed, close everything. */
static void
conn_worker_close_all(struct conn_worker *w)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&w->conns)) != NULL) {
		(void)conn_send(c);
		conn_free(c);
	}
}

/* Wake event: new connections were queued, or it is time to stop. */
static void
conn_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_worker *w = arg;
	STAILQ_HEAD(, conn_new) q = STAILQ_HEAD_INITIALIZER(q);
	struct conn_new *cn;
	bool stop;

	(void)pthread_mutex_lock(&w->lock);
	STAILQ_CONCAT(&q, &w->queue);
	stop = w->stop;
	(void)pthread_mutex_unlock(&w->lock);
	while ((cn = STAILQ_FIRST(&q)) != NULL) {
		STAILQ_REMOVE_HEAD(&q, entry);
		if (stop) {
			(void)close(cn->fd);
			if (cn->refuse == SMMU__V1__STATUS__STATUS_OK)
				__atomic_fetch_sub(&conn_g.clients, 1,
				    __ATOMIC_RELAXED);
		} else {
			conn_create(w, cn);
		}
		free(cn);
	}
	if (stop) {
		conn_worker_close_all(w);
		(void)event_base_loopbreak(w->base);
	}
}

/* Worker thread: run its event_base until told to stop. */
static void *
conn_worker_main(void *arg)
{
	struct conn_worker *w = arg;
	char name[16];

	(void)snprintf(name, sizeof(name), "smmud-w%u", w->idx);
	(void)pthread_setname_np(pthread_self(), name);
	if (event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY) == -1)
		log_warnx("worker %u: event loop failed", w->idx);
	return NULL;
}

/* Peer credentials of fd (and its supplementary groups, if any). */
static int
conn_peer_get(int fd, struct topo_peer *ret)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t groups[TOPO_PEER_GROUPS];

	memset(ret, 0, sizeof(*ret));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return -1;
	ret->uid = uc.uid;
	ret->gid = uc.gid;
	ret->pid = uc.pid;
	/* Best effort: ERANGE (more groups) keeps only the primary gid. */
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		ret->nr_groups = len / sizeof(gid_t);
		memcpy(ret->groups, groups, ret->nr_groups * sizeof(gid_t));
	}
	return 0;
}

/* Listener: a new connection (main thread). */
static void
conn_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	const struct topo_view *v = topo_view_get(conn_g.topo);
	unsigned max = v->conf->max_clients;
	struct conn_worker *w;
	struct conn_new *cn;
	const struct topo_peer *peer;
	unsigned long long id = ++conn_g.next_id;

	conn_g.accept_failing = false;
	if ((cn = calloc(1, sizeof(*cn))) == NULL) {
		log_warnx("client %llu: out of memory, closing", id);
		(void)close(fd);
		return;
	}
	cn->fd = fd;
	cn->id = id;
	if (conn_peer_get(fd, &cn->peer) == -1) {
		log_warn("client %llu: SO_PEERCRED, closing", id);
		(void)close(fd);
		free(cn);
		return;
	}
	peer = &cn->peer;
	if (max != 0 &&
	    __atomic_load_n(&conn_g.clients, __ATOMIC_RELAXED) >= max) {
		log_warnx("client %llu (uid %u, pid %d): too many clients "
		    "(max_clients %u), refusing", id, (unsigned)peer->uid,
		    (int)peer->pid, max);
		cn->refuse = SMMU__V1__STATUS__STATUS_RESOURCE_EXHAUSTED;
		(void)snprintf(cn->msg, sizeof(cn->msg),
		    "too many clients (max_clients %u)", max);
	} else if (!topo_peer_allowed(v, peer, NULL)) {
		log_warnx("client %llu (uid %u, gid %u, pid %d): refused by "
		    "the access rules", id, (unsigned)peer->uid,
		    (unsigned)peer->gid, (int)peer->pid);
		cn->refuse = SMMU__V1__STATUS__STATUS_PERMISSION_DENIED;
		(void)snprintf(cn->msg, sizeof(cn->msg),
		    "uid %u is not allowed by the access rules",
		    (unsigned)peer->uid);
	} else {
		__atomic_fetch_add(&conn_g.clients, 1, __ATOMIC_RELAXED);
	}
	w = &conn_g.workers[conn_g.next++ % conn_g.nr_workers];
	(void)pthread_mutex_lock(&w->lock);
	STAILQ_INSERT_TAIL(&w->queue, cn, entry);
	(void)pthread_mutex_unlock(&w->lock);
	event_active(w->wake, EV_READ, 0);
}

/* Re-enable the listener after an accept failure. */
static void
conn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	if (conn_g.lev != NULL)
		(void)evconnlistener_enable(conn_g.lev);
}

/*
 * Listener error (EMFILE, ENFILE, ENOBUFS, ...): libevent 2.1 would call
 * us again at once, forever, so pause the listener for 100 ms.
 */
static void
conn_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct timeval tv = { 0, CONN_ACCEPT_RETRY_MS * 1000 };

	if (!conn_g.accept_failing)
		log_warn("accept, pausing the listener for %d ms",
		    CONN_ACCEPT_RETRY_MS);
	conn_g.accept_failing = true;
	(void)evconnlistener_disable(lev);
	(void)evtimer_add(conn_g.retry, &tv);
}

/* Create worker w's event base and start its thread. */
static int
conn_worker_start(struct conn_worker *w, unsigned idx)
{
	sigset_t all, old;
	int rc;

	w->idx = idx;
	STAILQ_INIT(&w->queue);
	TAILQ_INIT(&w->conns);
	if (pthread_mutex_init(&w->lock, NULL) != 0)
		return -1;
	if ((w->base = event_base_new()) == NULL)
		return -1;
	if ((w->wake = event_new(w->base, -1, EV_PERSIST, conn_wake_cb,
	    w)) == NULL)
		return -1;
	/* Signals are the main thread's: workers block them all. */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->thread, NULL, conn_worker_main, w);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	w->started = true;
	return 0;
}

int
conn_init(struct event_base *base, int listen_fd, struct topo *t,
    unsigned nr_workers)
{
	long ncpu;
	unsigned i;

	conn_g.base = base;
	conn_g.topo = t;
	if (nr_workers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nr_workers = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (nr_workers > CONN_WORKERS_MAX)
		nr_workers = CONN_WORKERS_MAX;
	conn_g.workers = calloc(nr_workers, sizeof(*conn_g.workers));
	if (conn_g.workers == NULL) {
		log_warnx("workers: out of memory");
		return -1;
	}
	for (i = 0; i < nr_workers; i++) {
		/* Counted first: conn_fini() cleans up a half-built one. */
		conn_g.nr_workers++;
		if (conn_worker_start(&conn_g.workers[i], i) == -1) {
			log_warn("worker %u: cannot start", i);
			return -1;
		}
	}
	conn_g.retry = evtimer_new(base, conn_retry_cb, NULL);
	if (conn_g.retry == NULL) {
		log_warnx("listener: out of memory");
		return -1;
	}
	/* Backlog 0: the socket is already listening. */
	conn_g.lev = evconnlistener_new(base, conn_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_EXEC, 0, listen_fd);
	if (conn_g.lev == NULL) {
		log_warnx("listener: cannot create");
		return -1;
	}
	evconnlistener_set_error_cb(conn_g.lev, conn_accept_error_cb);
	log_info("%u worker thread%s", nr_workers, nr_workers == 1 ? "" :
	    "s");
	return 0;
}

void
conn_stop_accepting(void)
{
	if (conn_g.lev != NULL)
		(void)evconnlistener_disable(conn_g.lev);
	if (conn_g.retry != NULL)
		(void)evtimer_del(conn_g.retry);
}

void
conn_fini(void)
{
	struct conn_worker *w;
	struct conn_new *cn;
	unsigned i;

	if (conn_g.lev != NULL) {
		evconnlistener_free(conn_g.lev);
		conn_g.lev = NULL;
	}
	if (conn_g.retry != NULL) {
		event_free(conn_g.retry);
		conn_g.retry = NULL;
	}
	for (i = 0; i < conn_g.nr_workers; i++) {
		w = &conn_g.workers[i];
		if (!w->started)
			continue;
		(void)pthread_mutex_lock(&w->lock);
		w->stop = true;
		(void)pthread_mutex_unlock(&w->lock);
		event_active(w->wake, EV_READ, 0);
	}
	for (i = 0; i < conn_g.nr_workers; i++) {
		w = &conn_g.workers[i];
		if (w->started)
			(void)pthread_join(w->thread, NULL);
		while ((cn = STAILQ_FIRST(&w->queue)) != NULL) {
			STAILQ_REMOVE_HEAD(&w->queue, entry);
			(void)close(cn->fd);
			free(cn);
		}
		if (w->wake != NULL)
			event_free(w->wake);
		if (w->base != NULL)
			event_base_free(w->base);
		(void)pthread_mutex_destroy(&w->lock);
	}
	free(conn_g.workers);
	conn_g.workers = NULL;
	conn_g.nr_workers = 0;
}

void
conn_stats_get(struct conn_stats *ret)
{
	struct conn_worker *w;
	unsigned i;

	memset(ret, 0, sizeof(*ret));
	ret->workers = conn_g.nr_workers;
	ret->clients = __atomic_load_n(&conn_g.clients, __ATOMIC_RELAXED);
	for (i = 0; i < conn_g.nr_workers; i++) {
		w = &conn_g.workers[i];
		ret->requests += __atomic_load_n(&w->requests,
		    __ATOMIC_RELAXED);
		ret->errors += __atomic_load_n(&w->errors, __ATOMIC_RELAXED);
		ret->bytes_in += __atomic_load_n(&w->bytes_in,
		    __ATOMIC_RELAXED);
		ret->bytes_out += __atomic_load_n(&w->bytes_out,
		    __ATOMIC_RELAXED);
	}
}

unsigned
conn_clients(void)
{
	return __atomic_load_n(&conn_g.clients, __ATOMIC_RELAXED);
}
